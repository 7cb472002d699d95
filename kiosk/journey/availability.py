"""Availability (CUSS): the devices and the platform, what still works, and the published list.

The kiosk is out of service while its required ID-card reader is down (a second reader for
social-security cards is a convenience) and says so; it comes back by itself. A printer that
cannot print (paper out, cover open, no answer) blocks only the items that print. The
platform away stops identification, not the published list kept on the kiosk.

    OUT_OF_SERVICE ⇄ ATTRACT   (the required reader down / back)
"""

from __future__ import annotations

from kiosk.events import CatalogueLoaded, DeviceChanged, Failed, Operation, PlatformHealth
from kiosk.i18n import _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, LoadCatalogue
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("availability")


def banners(j: JourneyCore) -> list[str]:
    """What does not work right now and what still does, for the attract screen."""
    out = []
    if not j.platform_reachable:
        out.append(
            _(
                "暂时无法连接政务服务平台：身份核验与办理暂停，可查看一证通办清单，办理请到人工窗口。"
            )
        )
    if not j.printer_usable:
        message = j.printer_message
        out.append(_("{title}：{text}").format(title=message.title, text=message.text))
    return out


def platform_down(j: JourneyCore) -> bool:
    """True (and the citizen told so) when identification cannot start for want of the
    platform."""
    if j.platform_reachable:
        return False
    j.fail(
        ErrorInfo(
            _("暂时无法核验"),
            _("政务服务平台暂时无法连接，身份核验与办理暂停。请到人工窗口办理，或稍后再试。"),
        )
    )
    return True


@phase.on(DeviceChanged)
def device_changed(j: JourneyCore, event: DeviceChanged, effects: Effects) -> None:
    j.devices[(event.status.kind, event.status.source)] = event.status
    if j.state is State.OUT_OF_SERVICE and j.reader_usable:
        j.enter(State.ATTRACT)
    elif j.state is State.ATTRACT and not j.reader_usable:
        j.enter(State.OUT_OF_SERVICE)


@phase.on(PlatformHealth)
def platform_health(j: JourneyCore, event: PlatformHealth, effects: Effects) -> None:
    was = j.platform_reachable
    j.platform_reachable = event.reachable
    if event.reachable and not was:
        effects.append(LoadCatalogue())  # back online: is the list shown still current?


@phase.on(CatalogueLoaded)
def catalogue_loaded(j: JourneyCore, event: CatalogueLoaded, effects: Effects) -> None:
    j.catalogue_unavailable = False
    j.catalogue = event.catalogue
    j.catalogue_fetched_at = event.fetched_at


@phase.failed(Operation.CATALOGUE)
def catalogue_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    # a list kept on the kiosk stays; without one, the list screen must say so
    j.catalogue_unavailable = j.catalogue is None

"""Availability (CUSS): the devices and the platform, what still works, and the published list.

The kiosk is out of service while its required ID-card reader is down (a second reader for
social-security cards is a convenience) and says so; it comes back by itself. A printer that
cannot print (paper out, cover open, no answer) blocks only the items that print. The
platform away stops identification, not the published list kept on the kiosk.

    OUT_OF_SERVICE ⇄ ATTRACT   (the required reader down / back)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk import messages
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus
from kiosk.events import CatalogueLoaded, DeviceChanged, Failed, Operation, PlatformHealth
from kiosk.journey.effects import Effects, ErrorInfo, LoadCatalogue
from kiosk.journey.phase import Phase
from kiosk.journey.states import State
from kiosk.models import Item

if TYPE_CHECKING:
    from kiosk.journey.machine import Journey

phase = Phase("availability")

_DOWN = (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR, DeviceState.OFFLINE)


def statuses(j: Journey, kind: DeviceKind) -> list[DeviceStatus]:
    return [s for (k, _source), s in j.devices.items() if k is kind]


def reader_usable(j: Journey) -> bool:
    """The required ID-card reader works (or has not reported yet)."""
    required = j.settings.required_reader
    readers = [
        s for s in statuses(j, DeviceKind.CARD_READER) if not required or s.source in (required, "")
    ]
    return not readers or any(s.state not in _DOWN for s in readers)


def printer_usable(j: Journey) -> bool:
    printers = statuses(j, DeviceKind.PRINTER)
    return not printers or any(s.usable or s.state is DeviceState.STARTING for s in printers)


def printer_message(j: Journey) -> messages.Message:
    """Why printing is off right now (paper out, cover open, ...) and what to do."""
    down = next((s for s in statuses(j, DeviceKind.PRINTER) if not s.usable), None)
    return messages.printer_unavailable(down)


def item_blocked_reason(j: Journey, item: Item) -> str:
    """Why this citizen cannot do this item here right now ('' if they can)."""
    if not item.available:
        return item.unavailable_reason or "需到窗口办理"
    if item.prints and not printer_usable(j):
        return "打印机暂停服务，请到窗口办理"
    return ""


def banners(j: Journey) -> list[str]:
    """What does not work right now and what still does, for the attract screen."""
    out = []
    if not j.platform_reachable:
        out.append(
            "暂时无法连接政务服务平台：身份核验与办理暂停，可查看一证通办清单，办理请到人工窗口。"
        )
    if not printer_usable(j):
        message = printer_message(j)
        out.append(message.title + "：" + message.text)
    return out


def platform_down(j: Journey) -> bool:
    """True (and the citizen told so) when identification cannot start for want of the
    platform."""
    if j.platform_reachable:
        return False
    j.fail(
        ErrorInfo(
            "暂时无法核验",
            "政务服务平台暂时无法连接，身份核验与办理暂停。请到人工窗口办理，或稍后再试。",
        )
    )
    return True


@phase.on(DeviceChanged)
def device_changed(j: Journey, event: DeviceChanged, effects: Effects) -> None:
    j.devices[(event.status.kind, event.status.source)] = event.status
    if j.state is State.OUT_OF_SERVICE and reader_usable(j):
        j.enter(State.ATTRACT)
    elif j.state is State.ATTRACT and not reader_usable(j):
        j.enter(State.OUT_OF_SERVICE)


@phase.on(PlatformHealth)
def platform_health(j: Journey, event: PlatformHealth, effects: Effects) -> None:
    was = j.platform_reachable
    j.platform_reachable = event.reachable
    if event.reachable and not was:
        effects.append(LoadCatalogue())  # back online: is the list shown still current?


@phase.on(CatalogueLoaded)
def catalogue_loaded(j: Journey, event: CatalogueLoaded, effects: Effects) -> None:
    j.catalogue_unavailable = False
    j.catalogue = event.catalogue
    j.catalogue_fetched_at = event.fetched_at


@phase.failed(Operation.CATALOGUE)
def catalogue_failed(j: Journey, event: Failed, effects: Effects) -> None:
    # a list kept on the kiosk stays; without one, the list screen must say so
    j.catalogue_unavailable = j.catalogue is None

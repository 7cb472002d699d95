"""Availability (CUSS): the devices and the platform, what still works, and the published list.

The kiosk is out of service while a required device ([devices] required; the ID-card reader by
default, never the second reader for social-security cards) is down, and says which in plain
words; the technician's reason (the device, its state and detail) goes to the log and the
device events. It comes back by itself with the device's first usable report. Out of service,
no one's turn begins, but what needs none of the failed devices stays offered: the published
list, and 证明核验 while a scanner works. A printer that is not required and cannot print
(paper out, cover open, no answer) blocks only the items that print. The platform away stops
identification, not the published list kept on the kiosk.

    OUT_OF_SERVICE ⇄ ATTRACT   (a required device down / all back)
    OUT_OF_SERVICE ─查看清单→ CATALOGUE   ─证明核验→ VERIFY_SCAN (a scanner works)
"""

from __future__ import annotations

import dataclasses

from kiosk.devices import DeviceKind, DeviceStatus
from kiosk.events import (
    Action,
    AddressApplied,
    CatalogueLoaded,
    DeviceChanged,
    Failed,
    Operation,
    PlatformHealth,
    Tap,
)
from kiosk.i18n import N_, _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, LoadCatalogue, ServiceChanged
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("availability")

# what a citizen is told is down: plain words, no states or phone numbers (those are for the
# technician, in the log and the device events)
DOWN_REASONS: dict[DeviceKind, str] = {
    DeviceKind.CARD_READER: N_("身份证读卡器暂时不能使用"),
    DeviceKind.PRINTER: N_("打印机暂时不能使用"),
    DeviceKind.QR_SCANNER: N_("扫码器暂时不能使用"),
}
STARTING_REASON = N_("设备正在启动")  # out of service with no device down: it is (re)starting


def out_of_service_reason(j: JourneyCore) -> str:
    """Why the kiosk is out of service, for the citizen."""
    down = j.down_device
    return _(DOWN_REASONS[down.kind]) if down is not None else _(STARTING_REASON)


def offered_out_of_service(j: JourneyCore) -> tuple[Action, ...]:
    """What the out-of-service screen still offers: the published list always (kept on the
    kiosk), 证明核验 while a scanner works (it needs no card, no paper and no session); nothing
    while the kiosk cannot start at all."""
    if j.halted:
        return ()
    return (Action.BROWSE, Action.VERIFY) if j.scanner_usable else (Action.BROWSE,)


def refuse_out_of_service(j: JourneyCore) -> bool:
    """True (and the citizen told why) when no one's turn may begin: a required device is
    down. Someone already being served carries on; this only stops a new turn."""
    if j.in_service:
        return False
    j.fail(
        ErrorInfo(
            _("本机暂停自助办理"),
            _("{reason}，本机暂停自助办理。请到人工窗口办理；一证通办清单仍可查看。").format(
                reason=out_of_service_reason(j)
            ),
        )
    )
    return True


def _describe(status: DeviceStatus | None) -> tuple[str, str, str]:
    if status is None:
        return "", "", ""
    device = f"{status.kind.value}:{status.source}" if status.source else status.kind.value
    return device, status.state.value, status.detail


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
    before = _describe(j.down_device)
    j.devices[(event.status.kind, event.status.source)] = event.status
    _reconsider(j, before, effects)


def devices_reconfigured(j: JourneyCore, event: AddressApplied, effects: Effects) -> None:
    """A technician changed a device's address: which devices are required (the ID-card
    reader may have a new name), the statuses of the kind's drivers that are gone dropped,
    then service decided again."""
    before = _describe(j.down_device)
    kind, sources = event.kind, event.sources
    j.settings = dataclasses.replace(
        j.settings, required=event.required, required_reader=event.required_reader
    )
    for key in [k for k in j.devices if k[0] is kind and k[1] not in sources]:
        del j.devices[key]
    _reconsider(j, before, effects)


def _reconsider(j: JourneyCore, before: tuple, effects: Effects) -> None:
    after = _describe(j.down_device)
    if after[:2] != before[:2]:  # out of service, back, or down for another reason (not a
        # new detail of the same state: a status poll must not flood the device events)
        effects.append(ServiceChanged(not after[0], *after))
    if j.state is State.OUT_OF_SERVICE and j.in_service:
        j.enter(State.ATTRACT)
    elif j.state is State.ATTRACT and not j.in_service:
        j.enter(State.OUT_OF_SERVICE)


@phase.tap(State.OUT_OF_SERVICE)
def tap_out_of_service(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action not in offered_out_of_service(j):
        return
    if tap.action is Action.BROWSE:
        j.enter(State.CATALOGUE)
        if j.catalogue is None:
            effects.append(LoadCatalogue())
    elif tap.action is Action.VERIFY:
        j.enter(State.VERIFY_SCAN)


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

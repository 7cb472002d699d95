"""What hall staff and technicians are told about the devices, as device events.

XFS splits what to do about a fault between those who can fix it: hall staff (paper, the
printer's cover: a ``staff_alert``) and technicians (a required device down: the kiosk
``out_of_service`` with the device, its state and detail, then ``in_service``). A citizen's
呼叫工作人员 is a ``call_staff`` (the screen and the call's id), and staff acknowledging it at
the kiosk a ``staff_call_acknowledged``; the platform's acknowledgement comes back on a
heartbeat's reply. The events travel with the heartbeat to the platform's monitoring; none
carries personal data.
"""

from __future__ import annotations

from kiosk.devices import DeviceState, DeviceStatus, Paper
from kiosk.journey.effects import CallStaff, ServiceChanged, StaffCallAnswered

_DOWN = (DeviceState.OFFLINE, DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR)


def printer_trouble(status: DeviceStatus | None) -> str:
    """What hall staff can fix on the printer ("" when nothing): paper low, out or jammed,
    the cover open, the printer offline, gone or in error."""
    if status is None:
        return ""
    if status.cover_open:
        return "cover_open"
    if status.paper in (Paper.LOW, Paper.OUT, Paper.JAMMED):
        return f"paper_{status.paper.value}"
    if status.state in _DOWN:
        return f"printer_{status.state.value}"
    return ""


def service_event(change: ServiceChanged) -> tuple[str, dict]:
    """The device event of the kiosk going out of service (and why) or coming back."""
    if change.in_service:
        return "in_service", {}
    return "out_of_service", {
        "device": change.device,
        "state": change.state,
        "detail": change.detail,
    }


def staff_call(effect: CallStaff | StaffCallAnswered) -> tuple[str, dict]:
    """The device event of a staff call, or of staff acknowledging it at the kiosk."""
    if isinstance(effect, CallStaff):
        return "call_staff", {"screen": effect.state, "call_id": effect.call_id}
    return "staff_call_acknowledged", {"call_id": effect.call_id, "by": "kiosk"}

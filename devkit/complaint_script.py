"""The autopilot's 投诉与建议 script (``--script complaints``, tests/ui/test_complaint_ui.py):
one complaint from the attract screen while the platform answers, delivered and gone from the
disk; one from goodbye after a citizen's case while the platform is away, which waits in the
outbox sealed and is delivered once the platform is back. The number is typed on the keypad
and must show masked."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Generator

from devkit.autopilot import Pilot, Wait
from kiosk.journey import State

PHONE = "13812345678"
MASKED = "138****5678"
SOCIAL_INSURANCE = "1401002001100100"  # 个人社保参保缴费证明打印 (即办件)


def _waiting(p: Pilot) -> list[dict]:
    """The complaints in the outbox, as stored on disk."""
    path = p.app.runtime.outbox.path
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT payload FROM outbox WHERE kind = 'complaint'").fetchall()
    return [json.loads(r[0]) for r in rows]


def _in_clear_on_disk(p: Pilot) -> list[str]:
    """Files of the kiosk's data directory that hold the number in clear (there must be none)."""
    folder = p.app.runtime.config.data_dir
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if PHONE.encode() in data or PHONE.encode("utf-16-le") in data:
                found.append(path.name)
    return found


def _compose(p: Pilot, name: str) -> Generator[Wait, None, None]:
    """A category, two phrases, the number on the keypad (masked), consent, 提交."""
    yield p.screen(State.COMPLAINT)
    yield p.shot(f"{name}_empty")
    yield p.tap("complaint.category:efficiency")
    yield p.tap("complaint.phrase:long_wait")
    yield p.tap("complaint.phrase:many_trips")
    for digit in PHONE:
        yield p.tap(f"complaint.key:{digit}")
    screen = p.app.sm.current_screen
    p.record.setdefault("shown", []).append(screen.phone)
    p.check(screen.phone == MASKED, f"the number shows as {screen.phone!r}")
    p.check(not p.journey.complaint.ready, "a number went without consent")
    yield p.shot(f"{name}_number")
    yield p.tap("complaint.consent")
    yield p.until("ready to send", lambda: p.journey.complaint.ready)
    yield p.frames(3)
    yield p.shot(f"{name}_ready")
    yield p.tap("complaint.submit")
    yield p.screen(State.COMPLAINT_SENT)
    p.check(not p.journey.notice, f"the complaint was not stored: {p.journey.notice}")
    yield p.shot(f"{name}_sent")


def complaints(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 14, part 5: a complaint sent online, and one sent during an outage."""
    platform = p.stack.platform
    runtime = p.app.runtime
    runtime.heartbeat_interval = 1.0  # the platform's return is noticed within a second
    yield p.screen(State.ATTRACT)

    p.say("投诉与建议 from the attract screen, anonymous but for a callback number")
    yield p.tap("attract.complaint")
    yield from _compose(p, "complaint")
    yield p.until("delivered", lambda: len(platform.complaints()) == 1, timeout=20)
    yield p.until("gone from the outbox", lambda: _waiting(p) == [], timeout=10)
    yield p.tap("complaint_sent.home")
    yield p.screen(State.ATTRACT)

    p.say("a citizen's case (不打印); the platform goes away before the goodbye")
    p.stack.place_card("zhang_wei")
    yield p.screen(State.ITEMS, timeout=30)
    yield p.tap(f"items.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.session.guide is not None)
    yield p.tap("detail.confirm")
    yield p.screen(State.PREVIEW, timeout=30)
    yield p.tap("preview.no_print")
    yield p.screen(State.TAKE_DOCUMENTS)
    platform.set_faults(mode="refuse")
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield p.screen(State.GOODBYE)
    p.stack.remove_card()
    yield p.seconds(0.5)  # the reader notices the card has gone
    yield p.shot("goodbye")
    yield p.tap("goodbye.complaint")
    yield from _compose(p, "complaint_offline")
    waiting = _waiting(p)
    p.record["waiting_while_offline"] = len(waiting)
    p.record["stored_fields"] = sorted({k for w in waiting for k in w})
    p.record["in_clear_while_offline"] = _in_clear_on_disk(p)
    p.check(len(waiting) == 1, f"{len(waiting)} complaints wait on disk, not 1")
    p.check(len(platform.complaints()) == 1, "the platform had the complaint while away")
    yield p.until("the outage noticed", lambda: not p.journey.platform_reachable, timeout=20)
    yield p.tap("complaint_sent.home")
    yield p.screen(State.ATTRACT)
    yield p.shot("attract_offline")

    p.say("the platform is back: the complaint goes, and leaves the disk")
    platform.set_faults()
    yield p.until("recovery", lambda: p.journey.platform_reachable, timeout=30)
    yield p.until("delivered", lambda: len(platform.complaints()) == 2, timeout=30)
    yield p.until("gone from the outbox", lambda: _waiting(p) == [], timeout=10)
    p.record["complaints"] = platform.complaints()
    p.record["in_clear_after"] = _in_clear_on_disk(p)
    p.record["session_after"] = p.journey.session is None

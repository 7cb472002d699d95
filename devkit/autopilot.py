"""Drives the real Kivy app through a scripted journey, the way a person would.

A script is a generator: it yields things to wait for (a screen, a widget, some frames) and the
pilot resumes it on the Kivy clock when they are there. Taps are real touch events dispatched
through Kivy's event loop at the widget's centre; screenshots are taken a couple of frames after
the screen has drawn. Each step is printed to the console; failures end the run with exit code 1
and a screenshot of what was on screen.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.recycleview import RecycleView
from kivy.uix.scrollview import ScrollView

from kiosk.journey import Journey, State

_touch_ids = itertools.count(1000)


class PilotFailure(AssertionError):
    pass


class _Touch(MotionEvent):
    def __init__(self, x: float, y: float) -> None:
        super().__init__(
            "autopilot",
            next(_touch_ids),
            {"x": x / (Window.width - 1.0), "y": y / (Window.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


@dataclass
class Wait:
    what: str
    ready: Callable[[], bool]
    timeout: float = 20.0
    then: Callable[[], object] | None = None  # done once ready (e.g. the tap itself)
    settle_frames: int = 0  # frames the condition must hold before it counts
    _since: float = field(default=0.0)
    _held: int = field(default=0)


Script = Callable[["Pilot"], Generator[Wait, None, None]]


class Pilot:
    """``quiet`` is for thousands of journeys (the soak): steps are not printed, and only the
    last ``KEEP`` steps and screens are kept (printed if the run fails), so the pilot's own
    memory does not grow with the run."""

    KEEP = 200

    def __init__(
        self, stack, script: Script, out: Path, *, name: str = "demo", quiet: bool = False
    ) -> None:
        self.stack = stack
        self.script = script
        self.out = out
        self.shots = out / "screens"
        self.name = name
        self.quiet = quiet
        self.app = None
        keep = self.KEEP if quiet else None
        self.seen: deque[tuple[float, str]] = deque(maxlen=keep)
        self.steps: deque[dict] = deque(maxlen=keep)
        self.record: dict = {}
        self._gen: Generator[Wait, None, None] | None = None
        self._wait: Wait | None = None
        self._started = 0.0
        self._n = 0
        self._done = False
        self._cursor = 0  # into ``seen``: states entered before it have been waited for
        self.drawn_at: dict[str, float] = {}  # state -> perf_counter of its first frame on screen

    # ---- running --------------------------------------------------------------------------------

    def start(self, app) -> None:
        self.app = app
        self.shots.mkdir(parents=True, exist_ok=True)
        for old in self.shots.glob("*.png"):
            old.unlink()
        app.runtime.listeners.append(self._on_journey)
        self._on_journey(app.runtime.journey)
        Window.bind(on_flip=self._on_flip)
        self._started = time.monotonic()
        self._gen = self.script(self)
        Clock.schedule_interval(self._frame, 0)

    def _on_journey(self, journey: Journey) -> None:
        if not self.seen or self.seen[-1][1] != journey.state.value:
            self.seen.append((round(time.monotonic() - self._started, 3), journey.state.value))
            self.drawn_at.pop(journey.state.value, None)

    def _on_flip(self, *_args) -> None:
        """A frame reached the screen: the current screen is now drawn."""
        if self.app is not None and self.app.sm is not None:
            self.drawn_at.setdefault(self.app.sm.current, time.perf_counter())

    def _frame(self, _dt) -> bool:
        if self._done:
            return False
        try:
            while True:
                w = self._wait
                if w is not None:
                    if w.ready():
                        w._held += 1
                        if w._held <= w.settle_frames:
                            return True
                        if w.then is not None:
                            w.then()
                    else:
                        w._held = 0
                        if time.monotonic() - w._since > w.timeout:
                            raise PilotFailure(
                                f"timed out after {w.timeout:.0f} s waiting for {w.what}"
                            )
                        return True
                self._wait = next(self._gen)
                self._wait._since = time.monotonic()
        except StopIteration:
            self._finish(0)
        except PilotFailure as failure:
            self._fail(str(failure))
        except Exception:
            self._fail("script error:\n" + traceback.format_exc())
        return False

    def _fail(self, message: str) -> None:
        if self.quiet:
            for step in self.steps:
                print(f"[{self.name}] {step['n']:02d} {step['state']:<15} {step['what']}")
        print(f"[{self.name}] FAILED: {message}", flush=True)
        print(f"[{self.name}] screens seen: {' → '.join(s for _, s in self.seen)}", flush=True)
        error = self.journey.error if self.app is not None else None
        if error is not None:
            print(f"[{self.name}] on screen: {error.title}: {error.text}", flush=True)
        self.record["failure"] = message
        with contextlib.suppress(Exception):
            self._screenshot(self.shots / "FAILED.png")
        self._finish(1)

    def _finish(self, code: int) -> None:
        self._done = True
        failed = getattr(self.app, "render_failures", [])
        if code == 0 and failed:  # a screen that raised while rendering was half drawn
            print(f"[{self.name}] FAILED: rendering failed on {failed}", flush=True)
            self.record["failure"] = f"rendering failed on {failed}"
            code = 1
        report = {
            "script": self.name,
            "ok": code == 0,
            "steps": list(self.steps),
            "screens_seen": list(self.seen),
            "record": self.record,
            "seconds": round(time.monotonic() - self._started, 2),
        }
        (self.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
        if code == 0:
            print(
                f"[{self.name}] done: {len(self.steps)} steps in {report['seconds']} s", flush=True
            )
        self.app.exit_code = code
        Clock.schedule_once(lambda _dt: self.app.shutdown(), 0.3)

    # ---- what scripts yield ---------------------------------------------------------------------

    @property
    def journey(self) -> Journey:
        return self.app.runtime.journey

    def say(self, text: str) -> None:
        self._n += 1
        state = self.journey.state.value
        t = round(time.monotonic() - self._started, 3)
        self.steps.append({"n": self._n, "t": t, "state": state, "what": text})
        if not self.quiet:
            print(f"[{self.name}] {self._n:02d} {state:<15} {text}", flush=True)

    def screen(self, state: State, timeout: float = 20.0) -> Wait:
        """Wait until the journey has entered ``state`` since the last screen waited for (or
        the last tap), or is in it now.

        What happened is in the journey's history: a screen that waits for a machine
        (identifying, verifying, printing…) may be gone again before this looks, on a loaded
        machine, and that is no failure. A screen that is still up is given two frames to draw.
        """
        found: list[int] = []

        def ready() -> bool:
            states = [s for _, s in self.seen]
            later = states[self._cursor :]
            if state.value in later:
                found[:] = [self._cursor + later.index(state.value)]
                return True
            return self.journey.state is state and self.app.sm.current == state.value

        def consume() -> None:
            if found:
                self._cursor = max(self._cursor, found[0] + 1)
            else:
                self._cursor = len(self.seen)

        return Wait(f"the {state.value} screen", ready, timeout, then=consume, settle_frames=2)

    def until(self, what: str, ready: Callable[[], bool], timeout: float = 20.0) -> Wait:
        return Wait(what, ready, timeout)

    def frames(self, n: int = 2) -> Wait:
        count = itertools.count()
        return Wait(f"{n} frames", lambda: next(count) >= n, 5.0)

    def seconds(self, s: float) -> Wait:
        end = time.monotonic() + s
        return Wait(f"{s} s", lambda: time.monotonic() >= end, s + 5.0)

    def shot(self, name: str, *, of: State | None = None) -> Wait:
        """A screenshot two frames from now (after the screen has been drawn). ``of``: a screen
        that may already be gone (one that waits for a machine); then no picture is taken, and
        the report says so, rather than a picture of the wrong screen."""
        count = itertools.count()
        path = self.shots / f"{len(list(self.shots.glob('*.png'))) + 1:02d}-{name}.png"

        def take() -> None:
            if of is not None and self.app.sm.current != of.value:
                self.record.setdefault("shots_missed", []).append(name)
                print(
                    f"[{self.name}] no screenshot of {name}: the screen had moved on ({self.app.sm.current} {self.journey.state})",
                    flush=True,
                )
                return
            self._screenshot(path)
            if self.steps:
                self.steps[-1].setdefault("screenshots", []).append(path.name)

        return Wait(f"screenshot {name}", lambda: next(count) >= 2, 5.0, then=take)

    def _screenshot(self, path: Path) -> None:
        written = Window.screenshot(name=str(path))
        os.replace(written, path)

    def tap(self, kid: str, timeout: float = 10.0) -> Wait:
        """Wait for the widget with this kid to be on screen and enabled, then touch it."""

        def ready() -> bool:
            widget = self.find(kid)
            if widget is None:
                self._reveal(kid)
                return False
            return True

        def touch() -> None:
            self._cursor = len(self.seen)  # from now on, what happens answers this tap
            self._touch(self.find(kid))

        return Wait(f"widget {kid!r}", ready, timeout, then=touch, settle_frames=1)

    def tap_unguarded(self, kid: str, timeout: float = 10.0) -> Wait:
        """``tap``, but the touch runs in a clock callback of its own, outside the pilot: an
        exception in the button's handler then reaches Kivy's ExceptionManager, as it would
        with a person's finger, instead of failing the script."""

        def ready() -> bool:
            return self.find(kid) is not None

        def schedule() -> None:
            self._cursor = len(self.seen)
            widget = self.find(kid)
            Clock.schedule_once(lambda _dt: self._touch(widget), 0)

        return Wait(f"widget {kid!r}", ready, timeout, then=schedule, settle_frames=1)

    def press(self, kid: str, seconds: float) -> Generator[Wait, None, None]:
        """Hold a finger on the widget: a real touch down, ``seconds`` of frames, the touch up
        (where the finger was, whatever is on screen by then). ``yield from`` it."""
        held: list[_Touch] = []

        def down() -> None:
            self._cursor = len(self.seen)
            x, y = self.find(kid).to_window(*self.find(kid).center)
            held.append(_Touch(x, y))
            EventLoop.post_dispatch_input("begin", held[0])

        yield Wait(f"widget {kid!r}", lambda: self.find(kid) is not None, 10.0, then=down)
        # the hold counts from when a widget has the finger (it grabs it), not from when the
        # touch was posted: a loaded machine may dispatch it frames later, and a long press
        # held for less than its time does nothing
        yield Wait("the finger on the widget", lambda: bool(held[0].grab_list), 10.0)
        yield self.seconds(seconds)
        yield Wait("the finger lifted", lambda: True, then=lambda: self._lift(held[0]))

    @staticmethod
    def _lift(touch: _Touch) -> None:
        EventLoop.post_dispatch_input("end", touch)

    def advance_clock(self, seconds: float) -> None:
        """Move the kiosk's monotonic clock on (what the journey's deadlines and locks read):
        minutes of waiting in a moment. Everything on that clock sees the same jump."""
        runtime = self.app.runtime
        clock = runtime.clock
        runtime.clock = lambda: clock() + seconds

    @staticmethod
    def _touch(widget) -> None:
        x, y = widget.to_window(*widget.center)
        t = _Touch(x, y)
        EventLoop.post_dispatch_input("begin", t)
        EventLoop.post_dispatch_input("end", t)

    def find(self, kid: str):
        for widget in self.app.root.walk(restrict=False):
            if getattr(widget, "kid", None) != kid:
                continue
            if widget.disabled or widget.opacity == 0 or not getattr(widget, "enabled", True):
                continue
            if widget.get_root_window() is None:
                continue
            hidden_by = self._clipping_scrollview(widget)
            if hidden_by is not None:  # scrolled out of view: scroll it in, as a person would
                # a RecycleView's layout cannot scroll_to (Kivy 2.3 fails on its layout
                # trigger); ``_reveal`` scrolls it by its data instead
                if not isinstance(hidden_by, RecycleView):
                    hidden_by.scroll_to(widget, padding=10, animate=False)
                continue
            x, y = widget.to_window(*widget.center)
            if 0 <= x < Window.width and 0 <= y < Window.height:
                return widget
        return None

    @staticmethod
    def _clipping_scrollview(widget):
        """The scroll view that hides this widget's centre, if any (a person could not tap it)."""
        _x, y = widget.to_window(*widget.center)
        w = widget.parent
        while w is not None and w is not Window:
            if isinstance(w, ScrollView):
                _left, bottom = w.to_window(w.x, w.y)
                if not bottom <= y <= bottom + w.height:
                    return w
            w = w.parent
        return None

    def _reveal(self, kid: str) -> None:
        """Scroll the list that holds this row so that the row is on screen."""
        screen = self.app.sm.current_screen
        for rv in screen.walk(restrict=True):
            if not isinstance(rv, RecycleView):
                continue
            top = 0.0
            spacing = getattr(rv.layout_manager, "spacing", 0) or 0
            for entry in rv.data:
                if entry.get("kid") == kid:
                    content = rv.layout_manager.height
                    room = content - rv.height
                    if room > 0:
                        centre = top + entry.get("height", 0) / 2 - rv.height / 2
                        rv.scroll_y = max(0.0, min(1.0, 1 - centre / room))
                    return
                top += entry.get("height", 0) + spacing

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            raise PilotFailure(message)

"""What the Kivy clock is to the app, for tests that drive the runtime without it: the calls the
runtime posts run here, on the test's own thread, as they would on the UI thread."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable


class Loop:
    def __init__(self) -> None:
        self.q: queue.Queue[Callable[[], None]] = queue.Queue()

    def call_soon(self, fn: Callable[[], None]) -> None:
        self.q.put(fn)

    def run_for(self, seconds: float) -> None:
        """Run what is posted for this long, whatever happens."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            with contextlib.suppress(queue.Empty):
                self.q.get(timeout=min(0.1, left))()

    def until(self, cond: Callable[[], object], what: str = "", timeout: float = 20.0) -> None:
        """Run what is posted until ``cond`` holds; AssertionError naming ``what`` if it does
        not within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what or cond}")
            with contextlib.suppress(queue.Empty):
                self.q.get(timeout=min(0.1, left))()

"""A phase of the journey declares what it handles; the machine routes by these tables.

Each phase module makes one ``Phase`` and registers plain functions ``(journey, event, effects)``
for the events it answers, the taps in the states it owns, the failures of the operations it
asks for, the retries and the timeouts of its states, and where ‹ 返回 leads from each of them. Routing is by type, state and operation,
never by comparing strings; the machine refuses two phases claiming the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.events import Operation
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effect, Effects
from kiosk.journey.states import State

Handler = Callable[[JourneyCore, Any, Effects], None]
Retry = Callable[[JourneyCore], Effect | None]
Timeout = Callable[[JourneyCore, Effects], None]


class Leave:
    """‹ 返回 from the first screen of a session: leaving it, after asking once."""

    def __repr__(self) -> str:
        return "LEAVE"


LEAVE = Leave()
# where ‹ 返回 leads from a state: the state one step back, or LEAVE (the first screen of a
# session: the citizen is asked once "结束办理？" before the session ends)
Back = Callable[[JourneyCore], State | Leave]


@dataclass
class Phase:
    name: str
    events: dict[type, Handler] = field(default_factory=dict)
    taps: dict[State, Handler] = field(default_factory=dict)
    failures: dict[Operation, Handler] = field(default_factory=dict)
    retries: dict[State, Retry] = field(default_factory=dict)
    timeouts: dict[State, Timeout] = field(default_factory=dict)
    backs: dict[State, Back] = field(default_factory=dict)

    def on(self, *types: type) -> Callable[[Handler], Handler]:
        """The handler of these event types."""
        return self._register(self.events, types)

    def tap(self, *states: State) -> Callable[[Handler], Handler]:
        """The handler of taps in these states (after the frame's own: exit, more time…)."""
        return self._register(self.taps, states)

    def failed(self, *ops: Operation) -> Callable[[Handler], Handler]:
        """The handler of a ``Failed`` answer to these operations."""
        return self._register(self.failures, ops)

    def retry(self, *states: State) -> Callable[[Retry], Retry]:
        """What a retry of the machine wait in these states does again."""
        return self._register(self.retries, states)

    def timeout(self, *states: State) -> Callable[[Timeout], Timeout]:
        """What happens when these states' wait runs out (instead of the general rule)."""
        return self._register(self.timeouts, states)

    def back(self, *states: State) -> Callable[[Back], Back]:
        """Where ‹ 返回 leads from these states (the machine enters it; LEAVE asks first)."""
        return self._register(self.backs, states)

    @staticmethod
    def _register(table: dict, keys: tuple) -> Callable:
        def add(fn: Callable) -> Callable:
            for key in keys:
                if key in table:
                    raise ValueError(f"{key!r} is handled twice in one phase")
                table[key] = fn
            return fn

        return add


def merge(phases: list[Phase]) -> Phase:
    """One routing table from all phases; a key claimed twice is a programming error."""
    out = Phase("journey")
    for phase in phases:
        for name in ("events", "taps", "failures", "retries", "timeouts", "backs"):
            table: dict = getattr(out, name)
            for key, fn in getattr(phase, name).items():
                if key in table:
                    raise ValueError(f"{key!r} is claimed by two phases ({phase.name})")
                table[key] = fn
    return out

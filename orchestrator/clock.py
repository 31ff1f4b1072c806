"""The simulation's clock. The engine never reads one: the edge reads `now` and passes it to
`engine.step`; the in-memory simulation (and the what-if) moves a `ManualClock`. Times are
timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def require_aware(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: use a timezone-aware one")
    return moment.astimezone(UTC)


class ManualClock:
    """A clock that moves only when told to, never backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start)

    def now(self) -> datetime:
        return self._now

    def move_to(self, moment: datetime) -> None:
        moment = require_aware(moment)
        if moment < self._now:
            raise ValueError(f"clock cannot go back from {self._now} to {moment}")
        self._now = moment

    def advance(self, duration: timedelta) -> None:
        self.move_to(self._now + duration)

"""B8: when each batch and the whole upgrade should end, from the plan and the timings observed
so far. The one implementation: the edge computes an `Estimate` whenever a batch starts or
completes and the upgrade pauses or resumes, sends it with that step's events and in the page's
snapshot, and the browser only counts down to its times.

A batch's duration is estimated by `batch_estimate`: the mean of the batches completed so far,
each measured from its start to its end, so its health waits (U4) and its slowest instance are
in it; before any completes, the nominal duration (the provider's reimage plus healthy-after
time, at its slowest jitter: a batch ends with its slowest VM), scaled. Batches run one after
another, separated by the gap `gap_estimate` measures: from a batch's end to the next one's
start (the upgrade's start to the first batch's, at first), which holds
pauseTimeBetweenBatches, the U7 check and the steps' own latency; never less than the pause.
Measured, the gaps matter: at 60x time a 1,000-instance rollout spent a third of its time in
them, and an estimate without them was 2x optimistic (bench/eta_accuracy.py).

Worked example (batch estimate 10 s, gap 0 s, now = 12:00:00): batch 1 completed at 11:59:50,
batch 2 started at 11:59:55 ends ~12:00:05; batch 3 ends ~12:00:15; the upgrade ~12:00:15.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise


@dataclass(frozen=True)
class BatchTimes:
    """One batch of the plan as it went so far."""

    index: int
    started_at: datetime | None
    completed_at: datetime | None

    @property
    def duration(self) -> timedelta | None:
        """How long it took, once completed."""
        if self.started_at is None or self.completed_at is None:
            return None
        return self.completed_at - self.started_at


@dataclass(frozen=True)
class Estimate:
    """`ends`: every batch not completed yet and its expected end; `end`: the whole upgrade's,
    None while it is paused (B5). `observed_batches`: how many completed batches the
    `batch_duration` comes from (0: the nominal duration)."""

    batch_duration: timedelta
    observed_batches: int
    ends: dict[int, datetime]
    end: datetime | None
    gap: timedelta = timedelta(0)  # between one batch's end and the next one's start


def estimate(
    batches: Sequence[BatchTimes],
    now: datetime,
    nominal: timedelta,
    pause: timedelta,
    *,
    paused: bool = False,
    started_at: datetime | None = None,
) -> Estimate:
    """B8 at `now`: the batch duration to expect, and when each batch and the upgrade end.
    `started_at`: the upgrade's start, whose distance to the first batch's start is the first
    gap measured."""
    duration, observed = batch_estimate(batches, nominal)
    gap = gap_estimate(batches, pause, started_at)
    ends, end = expected_ends(batches, now, duration, gap, paused=paused)
    if end is not None:
        end += gap - pause  # the step that ends the upgrade after its last batch: no pause
    return Estimate(duration, observed, ends, end, gap)


def gap_estimate(
    batches: Sequence[BatchTimes], pause: timedelta, started_at: datetime | None = None
) -> timedelta:
    """The expected time between a batch's end and the next one's start: the mean of the gaps
    measured so far, never less than the pause (pauseTimeBetweenBatches).

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> s = timedelta(seconds=1)
    >>> gap_estimate([BatchTimes(0, t, t + 8 * s), BatchTimes(1, t + 11 * s, None)], 0 * s)
    datetime.timedelta(seconds=3)
    """
    ordered = sorted(batches, key=lambda b: b.index)
    gaps: list[timedelta] = []
    if started_at is not None and ordered and ordered[0].started_at is not None:
        gaps.append(ordered[0].started_at - started_at)
    for before, after in pairwise(ordered):
        if before.completed_at is not None and after.started_at is not None:
            gaps.append(after.started_at - before.completed_at)
    if not gaps:
        return pause
    return max(pause, sum(gaps, timedelta(0)) / len(gaps))


def batch_estimate(batches: Sequence[BatchTimes], nominal: timedelta) -> tuple[timedelta, int]:
    """The expected duration of one batch, and how many observed batches it comes from.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> batch_estimate([BatchTimes(0, t, t + timedelta(seconds=8))], timedelta(seconds=20))
    (datetime.timedelta(seconds=8), 1)
    """
    observed = [batch.duration for batch in batches if batch.duration is not None]
    if not observed:
        return nominal, 0
    return sum(observed, timedelta(0)) / len(observed), len(observed)


def expected_ends(
    batches: Sequence[BatchTimes],
    now: datetime,
    duration: timedelta,
    pause: timedelta,
    *,
    paused: bool = False,
) -> tuple[dict[int, datetime], datetime | None]:
    """The expected end of every batch not completed yet, and of the whole upgrade.

    A running batch that overruns its estimate is expected to end "now" (it cannot have ended
    in the past). While the upgrade is paused (B5) no batch after the running one has an
    expected end, and neither has the upgrade.
    """
    ends: dict[int, datetime] = {}
    cursor: datetime | None = None
    for batch in sorted(batches, key=lambda b: b.index):
        if batch.completed_at is not None:
            cursor = batch.completed_at
            continue
        if batch.started_at is not None:
            end = max(batch.started_at + duration, now)
        else:
            if paused:
                return ends, None
            start = now if cursor is None else max(cursor + pause, now)
            end = start + duration
        ends[batch.index] = end
        cursor = end
    if not ends:
        return ends, None
    return ends, max(ends.values())

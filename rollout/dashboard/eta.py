"""B8: when each batch and the whole upgrade should end, from the plan and observed timings.

A batch's duration is estimated as the mean of the batches completed so far; before any
completes, as the simulated provider's nominal reimage + healthy-after time (what B1's preview
uses), scaled. Batches run one after another, separated by pauseTimeBetweenBatches.
``static/rollwright/js/eta.js`` computes the same figures in the browser as batches go by.

Worked example (batch estimate 10 s, no pause, now = 12:00:00): batch 1 completed at 11:59:50,
batch 2 started at 11:59:55 ends ~12:00:05; batch 3 ends ~12:00:15; the upgrade ~12:00:15.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class BatchTimes:
    index: int
    started_at: datetime | None
    completed_at: datetime | None


def batch_estimate(batches: Sequence[BatchTimes], nominal: timedelta) -> tuple[timedelta, int]:
    """The expected duration of one batch, and how many observed batches it comes from.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> batch_estimate([BatchTimes(0, t, t + timedelta(seconds=8))], timedelta(seconds=20))
    (datetime.timedelta(seconds=8), 1)
    """
    observed = [
        batch.completed_at - batch.started_at
        for batch in batches
        if batch.started_at is not None and batch.completed_at is not None
    ]
    if not observed:
        return nominal, 0
    return sum(observed, timedelta(0)) / len(observed), len(observed)


def expected_ends(
    batches: Sequence[BatchTimes],
    now: datetime,
    estimate: timedelta,
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
            end = max(batch.started_at + estimate, now)
        else:
            if paused:
                return ends, None
            start = now if cursor is None else max(cursor + pause, now)
            end = start + estimate
        ends[batch.index] = end
        cursor = end
    if not ends:
        return ends, None
    return ends, max(ends.values())

"""What gates, checkpoints and bake time add to a plan (G4, for B1's preview and B8's ETA).

>>> from datetime import timedelta
>>> stops = checkpoint_stops((2, 2, 2, 2, 2), (Checkpoint(50, timedelta(minutes=10)),))
>>> stops  # 50% of 10 instances is reached after the third batch (6 of 10)
{2: (Checkpoint(percent=50, delay=datetime.timedelta(seconds=600)),)}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from orchestrator.gates.model import Checkpoint


def checkpoint_stops(
    batch_sizes: Sequence[int], checkpoints: Sequence[Checkpoint]
) -> dict[int, tuple[Checkpoint, ...]]:
    """Which batch each checkpoint follows (the first that reaches its percentage), for the
    checkpoints with a batch after them (one at 100% would hold nothing)."""
    planned = sum(batch_sizes)
    stops: dict[int, list[Checkpoint]] = {}
    done = 0
    for index, size in enumerate(batch_sizes[:-1]):
        before, done = done, done + size
        for checkpoint in sorted(checkpoints, key=lambda c: c.percent):
            if before * 100 < checkpoint.percent * planned <= done * 100:
                stops.setdefault(index, []).append(checkpoint)
    return {index: tuple(found) for index, found in stops.items()}


@dataclass(frozen=True)
class Waits:
    """Time the plan waits beyond its batches: bake time and checkpoint delays (at Azure's
    pace), and how many checkpoints hold until promoted (their wait is a person's)."""

    bake: timedelta
    delays: timedelta
    holds: int

    @property
    def total(self) -> timedelta:
        return self.bake + self.delays


def waits_of(
    batch_sizes: Sequence[int], bake: timedelta, checkpoints: Sequence[Checkpoint]
) -> Waits:
    """G4: a bake after every batch but the last, and each checkpoint's delay."""
    stops = checkpoint_stops(batch_sizes, checkpoints)
    reached = [c for found in stops.values() for c in found]
    return Waits(
        bake=bake * max(len(batch_sizes) - 1, 0),
        delays=sum((c.delay for c in reached if c.delay is not None), timedelta(0)),
        holds=sum(c.delay is None for c in reached),
    )

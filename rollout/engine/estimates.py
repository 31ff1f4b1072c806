"""B8 at the edge: ``orchestrator.eta``'s estimate of a running upgrade, from its rows, as
the browser receives it (in the live snapshot, and in the events of each step that starts or
completes a batch, plans, pauses or resumes). The page only counts down to these times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypedDict

from orchestrator.behaviour import BehaviourModel
from orchestrator.eta import BatchTimes, estimate
from rollout.engine.gates import bake_time_of
from rollout.engine.snapshots import policy_of
from rollout.models import ACTIVE_STATUSES, UpgradeBatch, UpgradeOperation


class EstimateData(TypedDict):
    """ISO times; ``batches``: the expected end of each batch not completed yet (by index);
    ``overall``: the upgrade's, None while it is paused (B5)."""

    computed_at: str
    batch_seconds: float
    observed_batches: int
    gap_seconds: float  # measured between one batch's end and the next one's start
    batches: dict[str, str]
    overall: str | None


def estimate_of(
    operation: UpgradeOperation,
    batches: Iterable[UpgradeBatch],
    behaviour: BehaviourModel,
    now: datetime,
) -> EstimateData | None:
    """The running upgrade's estimate at ``now`` (None once it has ended): the batches' own
    times, the provider's nominal batch duration, the policy's pause, scaled alike."""
    if operation.status not in ACTIVE_STATUSES:
        return None
    policy = policy_of(operation)
    # A batch ends with its slowest VM: the nominal times at their slowest jitter.
    slowest = 1 + behaviour.jitter
    nominal = timedelta(
        seconds=(behaviour.reimage_seconds + behaviour.healthy_after_seconds) * slowest
    )
    found = estimate(
        [BatchTimes(batch.index, batch.started_at, batch.completed_at) for batch in batches],
        now,
        policy.scaled(nominal),
        # G4: the bake time runs from a batch's end, as the pause does: the longer one counts.
        policy.scaled(max(policy.rolling.pause_time_between_batches, bake_time_of(operation))),
        paused=operation.is_paused or operation.pause_requested,
        started_at=operation.started_at,
    )
    return {
        "computed_at": now.isoformat(),
        "batch_seconds": found.batch_duration.total_seconds(),
        "observed_batches": found.observed_batches,
        "gap_seconds": found.gap.total_seconds(),
        "batches": {str(index): end.isoformat() for index, end in found.ends.items()},
        "overall": found.end.isoformat() if found.end is not None else None,
    }

"""Fleet scale: a snapshot that carries some instances in full and the rest as aggregates.

A step of a 1,000-instance upgrade needs only a few instances in full: the open batch (its
instances move on), the next batch and the last completed one (StartBatch reimages the next;
U9 reads the last), the failed and rolling-back instances (a U5/U7 breach restores them;
RollingBack watches them). For every other instance the engine reads only aggregates: how many
are unhealthy (U7), how many are upgraded and how many of those are unhealthy (U5), the
progress counts (U6, H1) and the failure reasons (U5's message). `Snapshot.rest` carries those.

`summarize` computes the aggregates of given views; `scope` turns a full snapshot into the
scoped one the edge builds from rows. The engine's decision on both is the same (the property
tests of tests/orchestrator/test_scoped.py check it), so the edge may build the scoped one with
aggregate SQL and a provider's census instead of one object per instance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime

from orchestrator.health import instance_health
from orchestrator.model import (
    Batch,
    HealthSource,
    InstanceUpgradeState,
    InstanceView,
    RestSummary,
    Snapshot,
    count_progress,
)

# The states whose instances a step may act on outside the open batch.
FULL_STATES = frozenset({InstanceUpgradeState.FAILED, InstanceUpgradeState.ROLLING_BACK})


def summarize(views: Iterable[InstanceView], source: HealthSource, now: datetime) -> RestSummary:
    """The aggregates of `views` at `now`, as `Snapshot.rest` carries them."""
    views = list(views)
    unhealthy = upgraded = upgraded_unhealthy = 0
    reasons: Counter[str] = Counter()
    for view in views:
        healthy = instance_health(view, source, now).is_healthy
        state = view.upgrade_state
        unhealthy += not healthy
        if state.is_upgraded:
            upgraded += 1
            upgraded_unhealthy += state.is_failure or not healthy
        if state.is_failure and view.progress.failure_reason:
            reasons[view.progress.failure_reason] += 1
    return RestSummary(
        total=len(views),
        unhealthy=unhealthy,
        upgraded=upgraded,
        upgraded_unhealthy=upgraded_unhealthy,
        progress=count_progress(view.progress for view in views),
        failure_reasons=tuple(sorted(reasons.items())),
    )


def batches_in_full(batches: Iterable[Batch]) -> set[int]:
    """The indexes of the batches whose instances a step reads: the open batch, or else the
    next batch to start and the last completed one."""
    batches = list(batches)
    open_batch = next((batch for batch in batches if batch.is_open), None)
    if open_batch is not None:
        return {open_batch.index}
    wanted = set()
    upcoming = next((batch for batch in batches if batch.started_at is None), None)
    if upcoming is not None:
        wanted.add(upcoming.index)
    completed = [batch for batch in batches if batch.completed_at is not None]
    if completed:
        wanted.add(completed[-1].index)
    return wanted


def needs_full(view: InstanceView, member_ids: Collection[str]) -> bool:
    """An instance a step may act on: in a batch it reads, failed, or rolling back."""
    return view.instance_id in member_ids or view.upgrade_state in FULL_STATES


def scope(snapshot: Snapshot, now: datetime, extra_ids: Collection[str] = ()) -> Snapshot:
    """`snapshot` at `now` with only the instances a step needs in full (plus `extra_ids`,
    as an edge may add instances whose health it cannot vouch for), the rest summarized;
    batches the step does not read lose their instance ids, as the edge does not load them.

    A snapshot of an operation not started yet is returned whole: the plan needs every instance.
    """
    operation = snapshot.operation
    if operation.started_at is None or snapshot.rest is not None:
        return snapshot
    wanted = batches_in_full(operation.batches)
    members = {
        i for batch in operation.batches if batch.index in wanted for i in batch.instance_ids
    }
    kept: list[InstanceView] = []
    rest: list[InstanceView] = []
    for view in snapshot.instances:
        chosen = needs_full(view, members) or view.instance_id in extra_ids
        (kept if chosen else rest).append(view)
    batches = tuple(
        batch if batch.index in wanted else replace(batch, instance_ids=(), size=batch.planned_size)
        for batch in operation.batches
    )
    return replace(
        snapshot,
        operation=replace(operation, batches=batches),
        instances=tuple(kept),
        rest=summarize(rest, snapshot.health_source, now),
    )

"""Fleet scale: the snapshot of one engine step, at a cost that follows the open batch.

A step loads in full only the instances it may act on (``orchestrator.scoped``): the open
batch, or else the next batch and the last completed one; the failed and rolling-back
instances; and the instances whose health the provider cannot vouch for without observing
them (its census). Every other instance is read with aggregate SQL: counts by state and
failure reason of the operation's rows, and the scale set's instance count. The plan step
(an operation not started yet) still loads every instance: the plan needs them all.

The simulated provider's census (``health_suspects``) is exact: an instance it leaves out is
running, has no failed extension, is not reimaging or restoring or settling after either
(within the longest reimage or restore plus health wait the behaviour model allows), and no
enabled fault rule selects it; the behaviour model then observes it healthy from every health
source. The tests in tests/rollout/engine/test_step_snapshot.py compare it with the full
snapshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.fields import TextField
from django.db.models.functions import Cast

from orchestrator.behaviour import BehaviourModel, SimulatedInstance
from orchestrator.behaviour import FaultRule as EngineFaultRule
from orchestrator.model import (
    PENDING_STATES,
    Batch,
    InstanceUpgradeState,
    RestSummary,
    Snapshot,
    progress_of_states,
)
from orchestrator.scoped import FULL_STATES, batches_in_full
from rollout.engine.provider import DatabaseComputeProvider, behaviour_model, engine_rule
from rollout.engine.snapshots import load_snapshot
from rollout.models import Instance, InstanceUpgrade, ScaleSet, UpgradeBatch, UpgradeOperation

# A census bound a little beyond the behaviour model's longest settle time (float rounding).
_MARGIN = timedelta(microseconds=5)


@dataclass
class StepState:
    """A step's snapshot with the rows it came from, for ``apply_decision``; ``counts``: the
    operation's instance rows by state when loaded (for progress counts after the step)."""

    snapshot: Snapshot
    provider: DatabaseComputeProvider
    rows: dict[int, InstanceUpgrade]
    batches: list[UpgradeBatch]
    counts: Counter[str]
    pending: int


def load_step_state(operation: UpgradeOperation, now: datetime) -> StepState:
    """The snapshot one step of ``operation`` decides from, scoped when it can be."""
    scale_set = operation.scale_set
    behaviour = behaviour_model()
    rules = [engine_rule(rule) for rule in scale_set.fault_rules.all()]
    counts, pending, reasons = _row_counts(operation)
    if operation.planned_at is None:
        provider = DatabaseComputeProvider(scale_set, behaviour=behaviour, rules=rules)
        snapshot, rows, batches = load_snapshot(operation, provider, now)
        return StepState(snapshot, provider, rows, batches, counts, pending)

    batches = list(operation.batches.order_by("index"))
    views_of_batches = [
        Batch(batch.index, (), started_at=batch.started_at, completed_at=batch.completed_at)
        for batch in batches
    ]
    wanted = [batch.pk for batch in batches if batch.index in batches_in_full(views_of_batches)]
    population = _population(scale_set.pk) if _needs_population(rules) else None
    suspects = health_suspects(scale_set, behaviour, rules, population, now)
    rows = {
        row.instance_id: row
        for row in operation.instance_upgrades.filter(
            Q(batch_id__in=wanted) | Q(state__in=list(FULL_STATES)) | Q(instance_id__in=suspects)
        ).order_by()  # the model's ordering joins batches and instances: not needed here
    }
    provider = DatabaseComputeProvider(
        scale_set,
        behaviour=behaviour,
        instance_pks={*rows, *suspects},
        rules=rules,
        population=population,
    )
    snapshot, rows, batches = load_snapshot(operation, provider, now, rows=rows, batches=batches)
    total = Instance.objects.filter(scale_set_id=scale_set.pk).count()
    rest = _rest(counts, pending, reasons, rows.values(), total - len(provider.instances))
    # As orchestrator.scoped.scope: the batches a step does not read carry no instance ids.
    read = {batch.index for batch in batches if batch.pk in wanted}
    # The planned size of the batches not read (G4's checkpoints count instances): one query.
    sizes = dict(
        InstanceUpgrade.objects.filter(operation_id=operation.pk, batch__isnull=False)
        .values_list("batch__index")
        .annotate(n=Count("pk"))
        .order_by()
    )
    view = snapshot.operation
    scoped_batches = tuple(
        batch
        if batch.index in read
        else replace(batch, instance_ids=(), size=sizes.get(batch.index, 0))
        for batch in view.batches
    )
    snapshot = replace(snapshot, operation=replace(view, batches=scoped_batches), rest=rest)
    return StepState(snapshot, provider, rows, batches, counts, pending)


def health_suspects(
    scale_set: ScaleSet,
    behaviour: BehaviourModel,
    rules: list[EngineFaultRule],
    population: list[tuple[str, str | None]] | None,
    now: datetime,
) -> set[int]:
    """The pks of the instances whose health the simulated provider must observe to know: one
    query on the scale set's instances (see the module docstring)."""
    settle = timedelta(
        seconds=(
            max(behaviour.reimage_seconds, behaviour.restore_seconds)
            + behaviour.healthy_after_seconds
        )
        * (1 + behaviour.jitter)
        / behaviour.time_scale
    )
    # A VM reimaged or restored at `since` or earlier has settled (with instant timings, one
    # reimaged at `now` has); the margin covers the durations' rounding to microseconds.
    since = now - (settle + _MARGIN if settle else settle)
    selected = _selected_instance_ids(rules, population, behaviour, scale_set.name)
    unsettled = (
        ~Q(power_state="running")
        | Q(reimage_started_at__gt=since)
        | Q(restore_started_at__gt=since)
        | Q(extension_text__contains='"Failed"')
        | Q(extension_text__contains='"Skipped"')
    )
    if selected:
        unsettled |= Q(instance_id__in=[int(key) for key in selected])
    return set(
        Instance.objects.filter(scale_set_id=scale_set.pk)
        .annotate(extension_text=Cast("extension_states", TextField()))
        .filter(unsettled)
        .values_list("pk", flat=True)
    )


def _needs_population(rules: list[EngineFaultRule]) -> bool:
    """A rule that selects by share, by zone or everyone needs the scale set's ids to select."""
    return any(rule.enabled and not rule.instance_ids for rule in rules)


def _population(scale_set_pk: int) -> list[tuple[str, str | None]]:
    return [
        (str(instance_id), zone or None)
        for instance_id, zone in Instance.objects.filter(scale_set_id=scale_set_pk).values_list(
            "instance_id", "zone"
        )
    ]


def _selected_instance_ids(
    rules: list[EngineFaultRule],
    population: list[tuple[str, str | None]] | None,
    behaviour: BehaviourModel,
    scale_set_name: str,
) -> set[str]:
    chosen: set[str] = set()
    candidates = [SimulatedInstance(key, zone, 0, 0, "") for key, zone in population or ()]
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.instance_ids:
            chosen |= rule.instance_ids
        else:
            chosen |= behaviour.select(rule, candidates, scale_set_name)
    return chosen


def _row_counts(operation: UpgradeOperation) -> tuple[Counter[str], int, Counter[tuple[str, str]]]:
    """The operation's instance rows by state, the planned pending ones, and by (state,
    failure reason): one aggregate query."""
    counts: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    pending = 0
    grouped = (
        InstanceUpgrade.objects.filter(operation_id=operation.pk)
        .values("state", "failure_reason")
        .annotate(n=Count("pk"), planned=Count("batch_id"))
        .order_by()
    )
    for group in grouped:
        counts[group["state"]] += group["n"]
        reasons[(group["state"], group["failure_reason"])] += group["n"]
        if group["state"] in PENDING_STATES:
            pending += group["planned"]
    return counts, pending, reasons


def _rest(
    counts: Counter[str],
    pending: int,
    reasons: Counter[tuple[str, str]],
    loaded: Iterable[InstanceUpgrade],
    rest_total: int,
) -> RestSummary:
    """The aggregates of the instances not loaded: all rows' counts minus the loaded rows'.

    Every instance not loaded is healthy (the census), so U7's unhealthy count of the rest is
    0 and U5's is its failures."""
    rest_counts = Counter(counts)
    rest_reasons = Counter(reasons)
    rest_pending = pending
    for row in loaded:
        rest_counts[row.state] -= 1
        rest_reasons[(row.state, row.failure_reason)] -= 1
        if row.state in PENDING_STATES and row.batch_id is not None:
            rest_pending -= 1
    by_state = {InstanceUpgradeState(state): n for state, n in rest_counts.items() if n}
    upgraded = sum(n for state, n in by_state.items() if state.is_upgraded)
    failures = sum(n for state, n in by_state.items() if state.is_failure)
    failure_reasons = Counter[str]()
    for (state, reason), n in rest_reasons.items():
        if n and reason and InstanceUpgradeState(state).is_failure:
            failure_reasons[reason] += n
    return RestSummary(
        total=rest_total,
        unhealthy=0,
        upgraded=upgraded,
        upgraded_unhealthy=failures,
        progress=progress_of_states(by_state, rest_pending),
        failure_reasons=tuple(sorted(failure_reasons.items())),
    )

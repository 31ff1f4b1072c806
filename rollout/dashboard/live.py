"""The scale set page's read model: one snapshot of the grid, its gauges and its log.

The snapshot shows the running upgrade, or else the last one, or else the instances as they
are. It is read in one consistent transaction (``streams.consistent_read``) that first reads
the scale set's stream head: the snapshot reflects exactly the events numbered up to its
``sequence``, and the browser applies the events after it (``rollout.events.streams``).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from orchestrator.health import unhealthy_share, unhealthy_upgraded_share
from orchestrator.model import InstanceView
from orchestrator.policy import RollingUpgradePolicy
from rollout.dashboard.display import LOGGED_STATES
from rollout.dashboard.messages import (
    CellState,
    FaultRuleView,
    InstanceCell,
    ScaleSetSnapshot,
    Share,
)
from rollout.dashboard.views_of import header_of, iso, operation_view, timing_of
from rollout.engine.estimates import estimate_of
from rollout.engine.figures import FigureData, figure_data
from rollout.engine.provider import DatabaseComputeProvider
from rollout.engine.snapshots import (
    health_source_of,
    instance_views,
    load_snapshot,
)
from rollout.events import streams
from rollout.events.log import EventPayload, as_payload
from rollout.models import (
    ACTIVE_STATUSES,
    Event,
    EventKind,
    Instance,
    InstanceUpgrade,
    ScaleSet,
    UpgradeBatch,
    UpgradeOperation,
)
from rollout.services.scale_sets.fault_rules import describe_fault_rule

# The log the page opens with: operator actions, batches and decisions, and instance failures.
RECENT_EVENTS = 150
RECENT_FAILURES = 50


def shown_operation(scale_set: ScaleSet) -> UpgradeOperation | None:
    """The running upgrade, else the last one (as ``rollingUpgrades/latest`` reports)."""
    operations = UpgradeOperation.objects.filter(scale_set=scale_set).select_related(
        "started_by_user"
    )
    running = operations.filter(status__in=ACTIVE_STATUSES).first()
    return running or operations.order_by("-started_at", "-id").first()


def scale_set_snapshot(scale_set: ScaleSet, now: datetime | None = None) -> ScaleSetSnapshot:
    """Everything the live page draws, in one message (see the module docstring)."""
    with streams.consistent_read():
        return _snapshot(scale_set, now)


def _snapshot(scale_set: ScaleSet, now: datetime | None) -> ScaleSetSnapshot:
    sequence = streams.head(scale_set.pk)  # first: the rows below show exactly up to it
    now = now or timezone.now()
    scale_set = ScaleSet.objects.select_related("location", "resource_group").get(pk=scale_set.pk)
    operation = shown_operation(scale_set)
    provider = DatabaseComputeProvider(scale_set)
    batches: list[UpgradeBatch] = []
    rows: dict[int, InstanceUpgrade] = {}
    if operation is not None:
        batches = list(operation.batches.order_by("index"))
        rows = {row.instance_id: row for row in operation.instance_upgrades.all()}
    index_of = {batch.pk: batch.index for batch in batches}
    cells = [
        _cell(key, instance.pk, provider, rows, index_of) for key, instance in _ordered(provider)
    ]
    members: dict[int, list[str]] = {}
    for cell in cells:
        if cell["batch"] is not None:
            members.setdefault(cell["batch"], []).append(cell["id"])
    skipped = sum(cell["state"] == "skipped" for cell in cells)
    return {
        "sequence": sequence,
        "server_time": now.isoformat(),
        "scale_set": header_of(scale_set),
        "operation": operation_view(operation, skipped) if operation is not None else None,
        "batches": [
            {
                "index": batch.index,
                "zones": [str(zone) for zone in batch.zones],
                "update_domain": batch.update_domain,
                "instances": members.get(batch.index, []),
                "started_at": iso(batch.started_at),
                "completed_at": iso(batch.completed_at),
            }
            for batch in batches
        ],
        "instances": cells,
        "shares": _shares(scale_set, operation, provider, now),
        "timing": timing_of(operation),
        "estimate": (
            estimate_of(operation, batches, provider.behaviour, now)
            if operation is not None
            else None
        ),
        "fault_rules": fault_rule_views(scale_set),
        "events": recent_events(scale_set, sequence),
    }


def fault_rule_views(scale_set: ScaleSet) -> list[FaultRuleView]:
    return [
        {
            "id": rule.pk,
            "kind": rule.kind,
            "description": describe_fault_rule(rule),
            "instance_ids": [int(i) for i in rule.instance_ids],
            "enabled": rule.enabled,
        }
        for rule in scale_set.fault_rules.order_by("id")
    ]


def recent_events(scale_set: ScaleSet, up_to: int) -> list[EventPayload]:
    """The log's opening lines, in stream order: everything but routine instance transitions.

    Only up to the snapshot's sequence: a newer event reaches the browser through the socket.
    """
    rows = Event.objects.filter(scale_set=scale_set, sequence__lte=up_to)
    notable = list(
        rows.exclude(kind=EventKind.INSTANCE_CHANGED).order_by("-sequence")[:RECENT_EVENTS]
    )
    failures = list(
        rows.filter(
            Q(kind=EventKind.INSTANCE_CHANGED) & Q(data__state__in=sorted(LOGGED_STATES))
        ).order_by("-sequence")[:RECENT_FAILURES]
    )
    merged = sorted({event.id: event for event in notable + failures}.values(), key=_sequence)
    return [as_payload(event) for event in merged]


def _sequence(event: Event) -> int:
    return event.sequence or 0


def _ordered(provider: DatabaseComputeProvider) -> list[tuple[str, Instance]]:
    return sorted(
        ((key, instance) for key, instance in provider.instances.items()),
        key=lambda item: int(item[0]),
    )


def _cell(
    key: str,
    instance_pk: int,
    provider: DatabaseComputeProvider,
    rows: dict[int, InstanceUpgrade],
    index_of: dict[int, int],
) -> InstanceCell:
    instance = provider.instances[key]
    row = rows.get(instance_pk)
    state: CellState = "idle"
    if row is not None:
        state = row.state  # type: ignore[assignment]  # InstanceUpgradeState's values
    return {
        "id": key,
        "zone": instance.zone,
        "update_domain": instance.update_domain,
        "fault_domain": instance.fault_domain,
        "state": state,
        "batch": index_of.get(row.batch_id) if row is not None and row.batch_id else None,
        "deadline": iso(row.health_deadline) if row is not None else None,
        "reason": row.failure_reason if row is not None else "",
        "image_version": instance.image_version,
        "power_state": instance.power_state,
        "protected": instance.protect_from_scale_set_actions,
    }


def _shares(
    scale_set: ScaleSet,
    operation: UpgradeOperation | None,
    provider: DatabaseComputeProvider,
    now: datetime,
) -> list[Share]:
    """U5 and U7 as the engine would measure them now (orchestrator.health); the scale set's
    share as the engine last measured it (U1, U7) instead, when the shown upgrade has one."""
    if operation is not None:
        snapshot, _, _ = load_snapshot(operation, provider, now)
        views: tuple[InstanceView, ...] = snapshot.instances
        source = snapshot.health_source
        rolling = snapshot.policy.rolling
    else:
        views = instance_views(provider, now)
        source = health_source_of(scale_set)
        rolling = RollingUpgradePolicy(
            max_unhealthy_instance_percent=scale_set.max_unhealthy_instance_percent,
            max_unhealthy_upgraded_instance_percent=scale_set.max_unhealthy_upgraded_instance_percent,
        )
    upgraded = unhealthy_upgraded_share(
        views, source, now, rolling.max_unhealthy_upgraded_instance_percent
    )
    overall = unhealthy_share(views, source, now, rolling.max_unhealthy_instance_percent)
    measured = _last_measured(operation) if operation is not None else None
    return [
        {**figure_data(upgraded), "measured_at": None},
        measured or {**figure_data(overall), "measured_at": None},
    ]


def _last_measured(operation: UpgradeOperation) -> Share | None:
    """The scale set's share in the upgrade's latest decision that measured it (U1 or U7)."""
    event = (
        Event.objects.filter(operation=operation, kind=EventKind.DECISION)
        .filter(Q(data__figures__has_key="U7") | Q(data__figures__has_key="U1"))
        .order_by("-id")
        .only("created_at", "data")
        .first()
    )
    if event is None:
        return None
    figures = event.data["figures"]
    figure: FigureData = figures.get("U7") or figures["U1"]
    return {**figure, "measured_at": event.created_at.isoformat()}

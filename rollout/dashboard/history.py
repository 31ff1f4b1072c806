"""History (H1) and replay (B3) read models.

The history page lists every upgrade of a scale set with Azure's fields, marking those that
``osUpgradeHistory`` still reports (the last 5 within 2 months); older rows stay here. Replay
reads an upgrade's own events back, in order: the same rows the live page received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import Count, Q
from django.utils import timezone

from orchestrator.health import UnhealthyShare
from rollout.dashboard.display import outcome_of, status_of
from rollout.dashboard.messages import Counts, InstanceCell, OperationView, ScaleSetSnapshot
from rollout.dashboard.views_of import header_of, operation_view, timing_of
from rollout.engine.apply import PROTECTED_REASON
from rollout.engine.figures import figure_data
from rollout.engine.snapshots import policy_of
from rollout.events.log import EventPayload, as_payload
from rollout.models import RunningStatus, ScaleSet, UpgradeOperation
from rollout.services.upgrades.reads import history_item, os_upgrade_history

HISTORY_PAGE = 50


@dataclass(frozen=True)
class HistoryRow:
    operation: UpgradeOperation
    item: dict[str, Any]  # Azure's UpgradeOperationHistoricalStatusInfo
    reported: bool  # H1: still in osUpgradeHistory's answer
    duration_seconds: float | None

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.item["properties"])

    @property
    def counts(self) -> Counts:
        """Azure's progress and rollbackInfo counts, as the dashboard counts them."""
        progress = self.properties.get("progress", {})
        rollback = self.properties.get("rollbackInfo", {})
        return {
            "successful": int(progress.get("successfulInstanceCount", 0)),
            "failed": int(progress.get("failedInstanceCount", 0)),
            "in_progress": int(progress.get("inProgressInstanceCount", 0)),
            "pending": int(progress.get("pendingInstanceCount", 0)),
            "rolled_back": int(rollback.get("successfullyRolledbackInstanceCount", 0)),
            "rollback_failed": int(rollback.get("failedRolledbackInstanceCount", 0)),
            "skipped": 0,
        }

    @property
    def status(self) -> tuple[str, str]:
        """(CSS hook, words): honest about failures ("Completed with failures: 1 rolled
        back"), and what an operator asked of a running upgrade ("Paused")."""
        operation = self.operation
        if operation.ended_at is None:
            return status_of(operation_view(operation))
        return outcome_of(RunningStatus(operation.status), self.counts)

    @property
    def status_hook(self) -> str:
        return self.status[0]

    @property
    def status_label(self) -> str:
        return self.status[1]

    @property
    def target(self) -> str:
        reference = self.properties.get("targetImageReference", {})
        if "id" in reference:  # a gallery image version: .../images/<image>/versions/<version>
            parts = str(reference["id"]).split("/")
            return f"{parts[-3]} · {parts[-1]}" if len(parts) >= 3 else str(reference["id"])
        return " · ".join(
            str(reference.get(key, "")) for key in ("offer", "sku", "version") if key in reference
        )


def history_rows(scale_set: ScaleSet, now: datetime | None = None) -> list[HistoryRow]:
    reported = {operation.pk for operation in os_upgrade_history(scale_set, now)}
    # Instance protection: how many VMs each upgrade left out (one query for the page).
    protected = Count(
        "instance_upgrades", filter=Q(instance_upgrades__failure_reason=PROTECTED_REASON)
    )
    operations = (
        UpgradeOperation.objects.filter(scale_set=scale_set)
        .annotate(protected_count=protected)
        .order_by("-started_at", "-id")[:HISTORY_PAGE]
    )
    rows = []
    for operation in operations:
        end = operation.ended_at
        duration = (end - operation.started_at).total_seconds() if end is not None else None
        rows.append(
            HistoryRow(operation, history_item(operation), operation.pk in reported, duration)
        )
    return rows


class ReplayData(TypedDict):
    """``start``: the scale set as the upgrade found it (every instance idle, the policy's
    limits); the page applies ``events`` to it, in order, as the live page applies them."""

    operation: OperationView
    start: ScaleSetSnapshot
    events: list[EventPayload]


def replay_data(operation: UpgradeOperation) -> ReplayData:
    """B3: what the replay page plays back: where it starts, and the upgrade's events."""
    return {
        "operation": operation_view(operation),
        "start": _start(operation),
        "events": [as_payload(event) for event in operation.events.order_by("sequence", "id")],
    }


def _start(operation: UpgradeOperation) -> ScaleSetSnapshot:
    scale_set = operation.scale_set
    rolling = policy_of(operation).rolling
    instances = scale_set.instances.order_by("instance_id").values_list(
        "instance_id", "zone", "update_domain", "fault_domain"
    )
    cells: list[InstanceCell] = [
        {
            "id": str(key),
            "zone": zone,
            "update_domain": update_domain,
            "fault_domain": fault_domain,
            "state": "idle",
            "batch": None,
            "deadline": None,
            "reason": "",
            "image_version": "",
            "power_state": "running",  # a replay plays the upgrade's own events only
            "protected": False,
        }
        for key, zone, update_domain, fault_domain in instances
    ]
    upgraded = UnhealthyShare("U5", 0, 0, rolling.max_unhealthy_upgraded_instance_percent)
    overall = UnhealthyShare("U7", 0, len(cells), rolling.max_unhealthy_instance_percent)
    return {
        "sequence": 0,
        "server_time": timezone.now().isoformat(),
        "scale_set": header_of(scale_set),
        "operation": None,
        "batches": [],
        "instances": cells,
        "shares": [
            {**figure_data(upgraded), "measured_at": None},
            {**figure_data(overall), "measured_at": None},
        ],
        "timing": timing_of(operation),
        "estimate": None,
        "fault_rules": [],
        "events": [],
    }

"""History (H1) and replay (B3) read models.

The history page lists every upgrade of a scale set with Azure's fields, marking those that
``osUpgradeHistory`` still reports (the last 5 within 2 months); older rows stay here. Replay
reads an upgrade's own events back, in order: the same rows the live page received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings
from django.utils import timezone

from orchestrator.policy import HEALTH_WAIT
from rollout.dashboard.messages import OperationView
from rollout.dashboard.views_of import operation_view
from rollout.events.log import EventPayload, as_payload
from rollout.models import ScaleSet, UpgradeOperation
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
    operations = UpgradeOperation.objects.filter(scale_set=scale_set).order_by(
        "-started_at", "-id"
    )[:HISTORY_PAGE]
    rows = []
    for operation in operations:
        end = operation.ended_at
        duration = (end - operation.started_at).total_seconds() if end is not None else None
        rows.append(
            HistoryRow(operation, history_item(operation), operation.pk in reported, duration)
        )
    return rows


class ReplayInstance(TypedDict):
    id: str
    zone: str
    update_domain: int
    fault_domain: int


class ReplayData(TypedDict):
    operation: OperationView
    scale_set: str
    instances: list[ReplayInstance]
    events: list[EventPayload]
    time_scale: float
    health_wait_seconds: float
    server_time: str


def replay_data(operation: UpgradeOperation) -> ReplayData:
    """B3: what the replay page plays back: placements and the upgrade's events in order."""
    scale_set = operation.scale_set
    instances = scale_set.instances.order_by("instance_id").values_list(
        "instance_id", "zone", "update_domain", "fault_domain"
    )
    scale = float(settings.ROLLWRIGHT_TIME_SCALE)
    return {
        "operation": operation_view(operation),
        "scale_set": scale_set.name,
        "instances": [
            {"id": str(key), "zone": zone, "update_domain": ud, "fault_domain": fd}
            for key, zone, ud, fd in instances
        ],
        "events": [as_payload(event) for event in operation.events.order_by("id")],
        "time_scale": scale,
        "health_wait_seconds": (HEALTH_WAIT / scale).total_seconds(),
        "server_time": timezone.now().isoformat(),
    }

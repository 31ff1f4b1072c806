"""Small shared conversions from rows to the message shapes (``messages``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Max

from orchestrator.policy import HEALTH_WAIT
from rollout.dashboard.messages import Counts, OperationView, ScaleSetHeader, Timing
from rollout.engine.snapshots import policy_of
from rollout.models import Event, ScaleSet, UpgradeOperation


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def counts_of(operation: UpgradeOperation, skipped: int = 0) -> Counts:
    return {
        "successful": operation.successful_instance_count,
        "failed": operation.failed_instance_count,
        "in_progress": operation.in_progress_instance_count,
        "pending": operation.pending_instance_count,
        "rolled_back": operation.rolled_back_instance_count,
        "rollback_failed": operation.failed_rollback_instance_count,
        "skipped": skipped,
    }


def operation_view(operation: UpgradeOperation, skipped: int = 0) -> OperationView:
    user = operation.started_by_user
    return {
        "id": operation.pk,
        "kind": operation.kind,
        "started_by": operation.started_by,
        "started_by_user": user.get_username() if user is not None else "",
        "status": operation.status,
        "is_paused": operation.is_paused,
        "pause_requested": operation.pause_requested,
        "cancel_requested": operation.cancel_requested,
        "automatic_rollback": operation.automatic_rollback,
        "target_image_version": operation.target_image_version,
        "batch_count": operation.batch_count,
        "current_batch": operation.current_batch_index,
        "started_at": operation.started_at.isoformat(),
        "ended_at": iso(operation.ended_at),
        "error_code": operation.error_code,
        "error_message": operation.error_message,
        "reasons": [str(reason) for reason in operation.reasons],
        "counts": counts_of(operation, skipped),
    }


def header_of(scale_set: ScaleSet) -> ScaleSetHeader:
    return {
        "id": scale_set.pk,
        "name": scale_set.name,
        "resource_group": scale_set.resource_group.name,
        "region": scale_set.location.name,
        "zones": [str(zone) for zone in scale_set.zones],
        "capacity": scale_set.capacity,
        "auto_upgrade": scale_set.enable_automatic_os_upgrade,
    }


def timing_of(operation: UpgradeOperation | None) -> Timing:
    """The time scale, and U4's health wait in wall seconds (the operation's, or Azure's)."""
    scale = float(settings.ROLLWRIGHT_TIME_SCALE)
    health_wait = policy_of(operation).health_wait if operation is not None else HEALTH_WAIT
    return {"time_scale": scale, "health_wait_seconds": health_wait.total_seconds() / scale}


def last_event_id(**filters: object) -> int:
    """The newest event id (of the rows ``filters`` select): a resume cursor for the socket."""
    found = Event.objects.filter(**filters).aggregate(newest=Max("id"))["newest"]
    return int(found or 0)

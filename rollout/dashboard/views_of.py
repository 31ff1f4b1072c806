"""Small shared conversions from rows to the message shapes (``messages``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from rollout.dashboard.messages import Counts, OperationView
from rollout.models import Event, UpgradeOperation


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


def last_event_id(**filters: object) -> int:
    """The newest event id (of the rows ``filters`` select): a resume cursor for the socket."""
    found = Event.objects.filter(**filters).aggregate(newest=Max("id"))["newest"]
    return int(found or 0)

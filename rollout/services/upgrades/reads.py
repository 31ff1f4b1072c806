"""Read models of upgrades in Azure's shapes: rolling upgrade status (M2) and history (H1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rollout.models import ScaleSet, UpgradeOperation
from rollout.services.errors import not_found
from rollout.services.wire import arm_time, compact

ROLLING_UPGRADES_TYPE = "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"
# H1: the last five OS upgrades attempted within the past two months.
HISTORY_LIMIT = 5
HISTORY_WINDOW = timedelta(days=61)


def _progress(operation: UpgradeOperation) -> dict[str, int]:
    return {
        "successfulInstanceCount": operation.successful_instance_count,
        "failedInstanceCount": operation.failed_instance_count,
        "inProgressInstanceCount": operation.in_progress_instance_count,
        "pendingInstanceCount": operation.pending_instance_count,
    }


def _error(operation: UpgradeOperation) -> dict[str, str] | None:
    if not operation.error_code:
        return None
    return {"code": operation.error_code, "message": operation.error_message}


def rolling_upgrade_status(scale_set: ScaleSet) -> dict[str, Any]:
    """M2: ``GET .../rollingUpgrades/latest``, the running or last upgrade."""
    operation = scale_set.upgrades.order_by("-started_at", "-id").first()
    if operation is None:
        raise not_found(f"No rolling upgrade of {scale_set.name} has ever run.", "NotFound")
    running = compact(
        {
            "code": operation.status,
            "startTime": arm_time(operation.started_at),
            "lastAction": operation.last_action,
            "lastActionTime": arm_time(operation.last_action_at),
        }
    )
    properties = compact(
        {
            "policy": operation.policy,
            "runningStatus": running,
            "progress": _progress(operation),
            "error": _error(operation),
        }
    )
    return {"type": ROLLING_UPGRADES_TYPE, "location": operation.location, "properties": properties}


def history_item(operation: UpgradeOperation) -> dict[str, Any]:
    end = arm_time(operation.ended_at)
    rollback = {
        "successfullyRolledbackInstanceCount": operation.rolled_back_instance_count,
        "failedRolledbackInstanceCount": operation.failed_rollback_instance_count,
    }
    properties = compact(
        {
            # The SDK reads endTime; the 2021 documentation's example says completedTime.
            "runningStatus": compact(
                {
                    "code": operation.status,
                    "startTime": arm_time(operation.started_at),
                    "endTime": end,
                    "completedTime": end,
                }
            ),
            "progress": _progress(operation),
            "error": _error(operation),
            "startedBy": operation.started_by,
            "targetImageReference": operation.target_image_reference,
            "rollbackInfo": rollback,
        }
    )
    return {"properties": properties, "type": ROLLING_UPGRADES_TYPE, "location": operation.location}


def os_upgrade_history(scale_set: ScaleSet, now: datetime | None = None) -> list[UpgradeOperation]:
    """H1: the last 5 OS upgrades attempted in the last 2 months, newest first."""
    now = now or timezone.now()
    return list(
        scale_set.upgrades.filter(started_at__gte=now - HISTORY_WINDOW).order_by(
            "-started_at", "-id"
        )[:HISTORY_LIMIT]
    )

"""S2 osRollingUpgradeDeferral: approveRollingUpgrade, for a scale set or some of its VMs.

An automatic upgrade of a scale set with ``osRollingUpgradeDeferral`` notifies each instance
of a batch (its metadata gets ``Platform.PendingOSUpgrade``) and reimages it only once
approved. Approving records the moment on the instance's progress row, writes the audit
event (who, which instances, why) and wakes the engine, which reimages them on its next step.
An approval that never comes leaves the batch waiting; cancel (U10) releases the instances
not approved yet (``orchestrator.deferral``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from orchestrator.wording import describe_ids, instance_sort_key
from rollout import events
from rollout.models import EventKind, InstanceUpgrade, InstanceUpgradeState, ScaleSet
from rollout.services import wakeups
from rollout.services.errors import ServiceError, invalid_parameter
from rollout.services.upgrades.operations import active_operation


def awaiting_approval(scale_set: ScaleSet) -> list[str]:
    """The instance ids of the running upgrade that wait for approval, in id order."""
    operation = active_operation(scale_set)
    if operation is None:
        return []
    ids = operation.instance_upgrades.filter(
        state=InstanceUpgradeState.AWAITING_APPROVAL, approved_at__isnull=True
    ).values_list("instance__instance_id", flat=True)
    return sorted((str(i) for i in ids), key=instance_sort_key)


def approve_rolling_upgrade(
    scale_set: ScaleSet,
    instance_ids: Sequence[str] | None = None,
    *,
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Approve the pending OS upgrade of ``instance_ids`` (None: every instance awaiting
    approval); returns the ids approved. Refused, changing nothing, when an id is not an
    instance of the scale set (400), or when none of them awaits approval (409)."""
    requested = None if instance_ids is None else [str(i).strip() for i in instance_ids]
    if requested is not None:
        known = {str(i) for i in scale_set.instances.values_list("instance_id", flat=True)}
        unknown = [i for i in requested if i not in known]
        if unknown:
            raise invalid_parameter(
                f"{describe_ids(unknown)}: not an instance of {scale_set.name}.", "instanceIds"
            )
    with transaction.atomic():
        operation = active_operation(scale_set, lock=True)
        rows = (
            []
            if operation is None
            else list(
                operation.instance_upgrades.filter(
                    state=InstanceUpgradeState.AWAITING_APPROVAL, approved_at__isnull=True
                ).select_related("instance")
            )
        )
        chosen = [
            row for row in rows if requested is None or str(row.instance.instance_id) in requested
        ]
        if operation is None or not chosen:
            which = "" if requested is None else f" among {describe_ids(requested)}"
            raise ServiceError(
                "OperationNotAllowed",
                f"No instance of {scale_set.name}{which} awaits approval of an OS upgrade.",
                status=409,
            )
        now = now or timezone.now()
        for row in chosen:
            row.approved_at = now
        InstanceUpgrade.objects.bulk_update(chosen, ["approved_at"])
        operation.next_look_at = now
        operation.save(update_fields=["next_look_at"])
        approved = sorted((str(row.instance.instance_id) for row in chosen), key=instance_sort_key)
        events.record_one(
            EventKind.UPGRADE_APPROVED,
            scale_set=scale_set,
            operation=operation,
            actor=actor,
            reason=reason,
            at=now,
            instances=approved,
        )
        wakeups.advance_operation(operation.id)
    return approved

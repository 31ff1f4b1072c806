"""Operator verbs on OS upgrades: start (M1 or automatic), cancel (U10), pause and resume (B5).

They write the operation row and the audit event, then wake the engine after commit; the
engine (``rollout.tasks.upgrades.advance``) does everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orchestrator.policy import (
    AutomaticOSUpgradePolicy,
    EffectivePolicy,
    RollingUpgradePolicy,
    effective_policy,
    wire_members,
)
from orchestrator.policy import UpgradeKind as EngineKind
from rollout import events
from rollout.models import (
    ACTIVE_STATUSES,
    EventKind,
    LastAction,
    ScaleSet,
    StartedBy,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.services import wakeups
from rollout.services.errors import ServiceError, conflict, invalid_parameter
from rollout.services.gallery.images import latest_available_version


def rolling_policy_of(scale_set: ScaleSet) -> RollingUpgradePolicy:
    return RollingUpgradePolicy(**_policy_values(scale_set, RollingUpgradePolicy))


def policy_for(scale_set: ScaleSet, kind: str) -> EffectivePolicy:
    """The policy an upgrade of ``kind`` runs under, with the configured time scale."""
    automatic = AutomaticOSUpgradePolicy(**_policy_values(scale_set, AutomaticOSUpgradePolicy))
    return effective_policy(
        EngineKind(kind),
        rolling_policy_of(scale_set),
        automatic,
        time_scale=settings.ROLLWRIGHT_TIME_SCALE,
    )


def _policy_values(scale_set: ScaleSet, policy: type) -> dict[str, Any]:
    """The scale set's fields named as the policy's members (the field table's rows)."""
    return {item.attribute: getattr(scale_set, item.attribute) for item in wire_members(policy)}


def start_os_upgrade(
    scale_set: ScaleSet,
    *,
    started_by: str = StartedBy.USER,
    actor: Any = None,
    reason: str = "",
    target_version: str | None = None,
    target_model_version: int | None = None,
    now: datetime | None = None,
) -> UpgradeOperation:
    """Start an OS upgrade of every instance to the latest available image version.

    With ``target_model_version`` it is instead the rolling upgrade of a model change
    (``upgradePolicy.mode = Rolling``): instances not on that model are reimaged with it,
    in batches, to ``target_version`` (the model's image).

    M1 when a user starts it (no automatic rollback); an automatic upgrade when the platform
    does (``started_by=Platform``), refused (409) unless automatic OS upgrade is on.
    Instances already on the target are left alone (T6). Raises a 409 ``Conflict`` when an
    upgrade is already running: the database allows one.
    """
    now = now or timezone.now()
    kind = UpgradeKind.AUTOMATIC if started_by == StartedBy.PLATFORM else UpgradeKind.MANUAL
    if kind == UpgradeKind.AUTOMATIC and not scale_set.enable_automatic_os_upgrade:
        raise ServiceError(
            "OperationNotAllowed",
            f"An automatic OS upgrade of {scale_set.name} needs auto-upgrade on: turn it on, "
            "or start a manual OS upgrade (M1).",
            "properties.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade",
            status=409,
        )
    resolved = latest_available_version(scale_set)
    if resolved is None:
        raise invalid_parameter(
            f"The image of {scale_set.name} ({scale_set.image_label}) has no version available "
            f"in {scale_set.location.name}: the OS Rolling Upgrade API needs a platform image "
            "or a Compute Gallery image.",
            "properties.virtualMachineProfile.storageProfile.imageReference",
        )
    version = target_version or resolved.version
    reference = dict(resolved.reference)
    if "version" in reference:
        reference["version"] = version
    policy = policy_for(scale_set, kind)
    try:
        with transaction.atomic():
            operation = UpgradeOperation.objects.create(
                scale_set=scale_set,
                kind=kind,
                started_by=started_by,
                started_by_user=actor if getattr(actor, "is_authenticated", False) else None,
                target_image_version=version,
                target_model_version=target_model_version,
                target_image_reference=reference,
                location=scale_set.location.name,
                last_action=LastAction.START,
                last_action_at=now,
                started_at=now,
                policy=policy.rolling.to_wire(),
                automatic_rollback=policy.automatic_rollback,
                os_rolling_upgrade_deferral=policy.os_rolling_upgrade_deferral,
                next_look_at=now,
            )
            events.record_one(
                EventKind.UPGRADE_STARTED,
                scale_set=scale_set,
                operation=operation,
                actor=actor if kind == UpgradeKind.MANUAL else (actor or "Platform"),
                reason=reason,
                at=now,
                upgrade_kind=kind,
                target_image_version=version,
                policy=operation.policy,
            )
            _wake_after_commit(operation.id)
    except IntegrityError:
        raise upgrade_in_progress(scale_set) from None
    return operation


def upgrade_in_progress(scale_set: ScaleSet) -> ServiceError:
    return conflict(
        f"An OS upgrade of {scale_set.name} is already in progress: cancel it or wait for it to "
        "end before starting another."
    )


def active_operation(scale_set: ScaleSet, *, lock: bool = False) -> UpgradeOperation | None:
    rows = UpgradeOperation.objects.filter(scale_set=scale_set, status__in=ACTIVE_STATUSES)
    if lock:
        rows = rows.select_for_update(of=("self",))
    return rows.first()


def cancel_upgrade(scale_set: ScaleSet, *, actor: Any = None, reason: str = "") -> UpgradeOperation:
    """U10: the current batch finishes (or rolls back) and no other starts."""
    with transaction.atomic():
        operation = _require_active(scale_set, "cancel")
        now = timezone.now()
        operation.cancel_requested = True
        operation.last_action = LastAction.CANCEL
        operation.last_action_at = now
        operation.next_look_at = now
        operation.save(
            update_fields=["cancel_requested", "last_action", "last_action_at", "next_look_at"]
        )
        events.record_one(
            EventKind.CANCEL_REQUESTED,
            scale_set=scale_set,
            operation=operation,
            actor=actor,
            reason=reason,
            at=now,
        )
        _wake_after_commit(operation.id)
    return operation


def pause_upgrade(scale_set: ScaleSet, *, actor: Any = None, reason: str = "") -> UpgradeOperation:
    """B5: finish the current batch, start no other, keep the operation open."""
    return _set_pause(scale_set, True, actor, reason)


def resume_upgrade(scale_set: ScaleSet, *, actor: Any = None, reason: str = "") -> UpgradeOperation:
    """B5: continue a paused upgrade; the engine re-checks U7 before the next batch."""
    return _set_pause(scale_set, False, actor, reason)


def _set_pause(scale_set: ScaleSet, pause: bool, actor: Any, reason: str) -> UpgradeOperation:
    verb = "pause" if pause else "resume"
    with transaction.atomic():
        operation = _require_active(scale_set, verb)
        if operation.cancel_requested:
            raise ServiceError(
                "OperationNotAllowed",
                f"The upgrade of {scale_set.name} is being cancelled: it cannot {verb}.",
                status=409,
            )
        if operation.pause_requested == pause:
            state = "already paused or pausing" if pause else "not paused"
            raise ServiceError(
                "OperationNotAllowed", f"The upgrade of {scale_set.name} is {state}.", status=409
            )
        now = timezone.now()
        operation.pause_requested = pause
        operation.next_look_at = now
        operation.save(update_fields=["pause_requested", "next_look_at"])
        events.record_one(
            EventKind.PAUSE_REQUESTED if pause else EventKind.RESUMED,
            scale_set=scale_set,
            operation=operation,
            actor=actor,
            reason=reason,
            at=now,
        )
        _wake_after_commit(operation.id)
    return operation


def _require_active(scale_set: ScaleSet, verb: str) -> UpgradeOperation:
    operation = active_operation(scale_set, lock=True)
    if operation is None:
        raise ServiceError(
            "OperationNotAllowed",
            f"There is no OS upgrade of {scale_set.name} in progress to {verb}.",
            status=409,
        )
    return operation


def _wake_after_commit(operation_id: int) -> None:
    wakeups.advance_operation(operation_id)

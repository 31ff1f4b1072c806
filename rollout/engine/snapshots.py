"""Rebuilding the engine's ``Snapshot`` of one operation from its rows and the provider."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from django.conf import settings

from orchestrator.model import (
    Batch,
    ErrorCode,
    ErrorInfo,
    HealthSource,
    InstanceProgress,
    InstanceUpgradeState,
    InstanceView,
    MaintenanceWindow,
    OperationView,
    RunningStatus,
    Snapshot,
)
from orchestrator.policy import EffectivePolicy, RollingUpgradePolicy, UpgradeKind
from rollout.engine.provider import DatabaseComputeProvider, expired_credentials
from rollout.engine.windows import maintenance_window_for
from rollout.models import InstanceUpgrade, ScaleSet, UpgradeBatch, UpgradeOperation

# A model rollout (upgradePolicy.mode Rolling) targets an image *and* a model: the engine
# compares versions as opaque strings, so both travel together as "22.04.1 @ model 3".
MODEL_MARK = " @ model "


def with_model(version: str, model_version: int) -> str:
    return f"{version}{MODEL_MARK}{model_version}"


def image_of(target: str) -> str:
    """The image version of a target, without its model (the provider reimages with it)."""
    return target.split(MODEL_MARK, 1)[0]


def health_source_of(scale_set: ScaleSet) -> HealthSource:
    if scale_set.health_probe_id is not None:
        return HealthSource.LOAD_BALANCER_PROBE
    if scale_set.application_health_extension() is not None:
        return HealthSource.APPLICATION_HEALTH_EXTENSION
    return HealthSource.NONE


def policy_of(operation: UpgradeOperation) -> EffectivePolicy:
    """The policy stored on the operation at start, at today's time scale."""
    kind = UpgradeKind(operation.kind)
    return EffectivePolicy(
        kind=kind,
        rolling=RollingUpgradePolicy.from_wire(operation.policy),
        automatic_rollback=operation.automatic_rollback and kind is UpgradeKind.AUTOMATIC,
        time_scale=settings.ROLLWRIGHT_TIME_SCALE,
        os_rolling_upgrade_deferral=operation.os_rolling_upgrade_deferral
        and kind is UpgradeKind.AUTOMATIC,
    )


def progress_of(row: InstanceUpgrade, batch_index: Mapping[int, int]) -> InstanceProgress:
    return InstanceProgress(
        upgrade_state=InstanceUpgradeState(row.state),
        batch_index=batch_index.get(row.batch_id) if row.batch_id is not None else None,
        reimage_started_at=row.reimage_started_at,
        health_deadline=row.health_deadline,
        rollback_started_at=row.rollback_started_at,
        failure_reason=row.failure_reason or None,
        approved_at=row.approved_at,
    )


def load_snapshot(
    operation: UpgradeOperation,
    provider: DatabaseComputeProvider,
    now: datetime,
    *,
    rows: dict[int, InstanceUpgrade] | None = None,
    batches: list[UpgradeBatch] | None = None,
) -> tuple[Snapshot, dict[int, InstanceUpgrade], list[UpgradeBatch]]:
    """The snapshot, plus the rows it came from (the edge updates those in place); ``rows``
    and ``batches`` when the caller loaded them (a scoped step: ``engine.step_snapshot``)."""
    if batches is None:
        batches = list(operation.batches.order_by("index"))
    batch_index = {batch.pk: batch.index for batch in batches}
    if rows is None:
        rows = {row.instance_id: row for row in operation.instance_upgrades.all()}
    members = batch_members(rows, provider)
    model = operation.target_model_version
    views = instance_views(provider, now, rows, batch_index, model)
    error = (
        ErrorInfo(ErrorCode(operation.error_code), operation.error_message)
        if operation.error_code in ErrorCode.__members__.values()
        else None
    )
    view = OperationView(
        kind=UpgradeKind(operation.kind),
        target_image_version=(
            operation.target_image_version
            if model is None
            else with_model(operation.target_image_version, model)
        ),
        status=RunningStatus(operation.status),
        started_at=operation.planned_at,
        batches=tuple(
            Batch(
                index=batch.index,
                instance_ids=tuple(members.get(batch.pk, ())),
                zones=tuple(batch.zones),
                update_domain=batch.update_domain,
                started_at=batch.started_at,
                completed_at=batch.completed_at,
            )
            for batch in batches
        ),
        cancel_requested=operation.cancel_requested,
        pause_requested=operation.pause_requested,
        is_paused=operation.is_paused,
        error=error,
    )
    snapshot = Snapshot(
        policy=policy_of(operation),
        health_source=health_source_of(operation.scale_set),
        operation=view,
        instances=views,
        credential_problems=expired_credentials(provider.extensions, now),
        maintenance_window=maintenance_window_of(operation, now),
    )
    return snapshot, rows, batches


def instance_views(
    provider: DatabaseComputeProvider,
    now: datetime,
    rows: Mapping[int, InstanceUpgrade] | None = None,
    batch_index: Mapping[int, int] | None = None,
    model_version: int | None = None,
) -> tuple[InstanceView, ...]:
    """Every instance of the provider as the engine sees it at ``now``: the one place an
    ``InstanceView`` is built (snapshots, previews and the dashboard's gauges call it).

    With an operation's ``rows`` (by instance pk) and its batches' indexes (by batch pk), a
    view carries the instance's progress; without them, none (pending, in no batch). With a
    model rollout's ``model_version``, its image version names the instance's model too.
    """
    rows = rows or {}
    batch_index = batch_index or {}
    observed = provider.observe(list(provider.instances), now)
    views = []
    for key, instance in provider.instances.items():
        row = rows.get(instance.pk)
        seen = observed[key]
        if model_version is not None:
            seen = replace(
                seen, image_version=with_model(seen.image_version, instance.model_version)
            )
        views.append(
            InstanceView(
                instance_id=key,
                zone=instance.zone or None,
                update_domain=instance.update_domain,
                fault_domain=instance.fault_domain,
                observed=seen,
                progress=progress_of(row, batch_index) if row is not None else InstanceProgress(),
                protected=instance.protect_from_scale_set_actions,
            )
        )
    return tuple(views)


def maintenance_window_of(operation: UpgradeOperation, now: datetime) -> MaintenanceWindow | None:
    """T7: an automatic upgrade starts batches only inside its scale set's window; a manual
    upgrade ignores windows (M1)."""
    if operation.kind != UpgradeKind.AUTOMATIC:
        return None
    return maintenance_window_for(operation.scale_set, now)


def batch_members(
    rows: dict[int, InstanceUpgrade], provider: DatabaseComputeProvider
) -> dict[int, list[str]]:
    """Instance ids per batch row, in instance id order (the planner's order)."""
    key_of = {instance.pk: key for key, instance in provider.instances.items()}
    members: dict[int, list[str]] = {}
    for row in rows.values():
        if row.batch_id is not None and row.instance_id in key_of:
            members.setdefault(row.batch_id, []).append(key_of[row.instance_id])
    for ids in members.values():
        ids.sort(key=int)
    return members

"""Builders with readable defaults for the orchestrator's tests.

Named scale sets everyone knows:

* `web10`: 10 VMs "0".."9" over zones 1-3 (round robin, one update domain per zone), with a
  load balancer probe, all healthy on OLD.
* `tiny3`: 3 regional VMs "0".."2" in update domains 0-2, no health source (U8).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.behaviour import FaultRule
from orchestrator.model import (
    AppHealthState,
    Batch,
    HealthSource,
    InstanceProgress,
    InstanceUpgradeState,
    InstanceView,
    Observation,
    OperationView,
    Snapshot,
)
from orchestrator.policy import (
    AutomaticOSUpgradePolicy,
    EffectivePolicy,
    RollingUpgradePolicy,
    UpgradeKind,
    effective_policy,
)
from orchestrator.simulation import SimulatedWorld

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OLD = "2025.12.01"
NEW = "2026.01.01"
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)

State = InstanceUpgradeState


def vm(
    instance_id: str,
    *,
    zone: str | None = None,
    update_domain: int = 0,
    image: str = OLD,
    power: str = "running",
    provisioning: str = "Succeeded",
    extensions: Sequence[tuple[str, str]] = (("CustomScript", "Succeeded"),),
    probe: bool | None = True,
    app: AppHealthState | None = None,
    reimage_completed_at: datetime | None = None,
    next_change_at: datetime | None = None,
    state: InstanceUpgradeState = State.PENDING,
    batch: int | None = None,
    reimage_started_at: datetime | None = None,
    deadline: datetime | None = None,
    rollback_started_at: datetime | None = None,
    failure: str | None = None,
) -> InstanceView:
    return InstanceView(
        instance_id=instance_id,
        zone=zone,
        update_domain=update_domain,
        fault_domain=0 if zone else update_domain,
        observed=Observation(
            image_version=image,
            power_state=power,
            provisioning_state=provisioning,
            extension_states=tuple(extensions),
            probe_healthy=probe,
            app_health=app,
            reimage_completed_at=reimage_completed_at,
            next_change_at=next_change_at,
        ),
        progress=InstanceProgress(
            upgrade_state=state,
            batch_index=batch,
            reimage_started_at=reimage_started_at,
            health_deadline=deadline,
            rollback_started_at=rollback_started_at,
            failure_reason=failure,
        ),
    )


def web10(**changes: Any) -> list[InstanceView]:
    """10 VMs over zones 1-3, probe healthy; `changes` apply to every VM (see `vm`)."""
    return [vm(str(n), zone=str(n % 3 + 1), **changes) for n in range(10)]


def tiny3(**changes: Any) -> list[InstanceView]:
    """3 regional VMs in update domains 0-2, no health source."""
    return [vm(str(n), update_domain=n, probe=None, **changes) for n in range(3)]


def with_vm(
    instances: Iterable[InstanceView], instance_id: str, **changes: Any
) -> list[InstanceView]:
    """`instances` with VM `instance_id` rebuilt with `changes` (see `vm`)."""
    result = []
    for view in instances:
        if view.instance_id == instance_id:
            view = vm(
                instance_id,
                zone=view.zone,
                update_domain=view.update_domain,
                **_keep(view, changes),
            )
        result.append(view)
    return result


def _keep(view: InstanceView, changes: dict[str, Any]) -> dict[str, Any]:
    observed, progress = view.observed, view.progress
    current: dict[str, Any] = {
        "image": observed.image_version,
        "power": observed.power_state,
        "provisioning": observed.provisioning_state,
        "extensions": observed.extension_states,
        "probe": observed.probe_healthy,
        "app": observed.app_health,
        "reimage_completed_at": observed.reimage_completed_at,
        "next_change_at": observed.next_change_at,
        "state": progress.upgrade_state,
        "batch": progress.batch_index,
        "reimage_started_at": progress.reimage_started_at,
        "deadline": progress.health_deadline,
        "rollback_started_at": progress.rollback_started_at,
        "failure": progress.failure_reason,
    }
    return {**current, **changes}


def policy(
    kind: UpgradeKind = UpgradeKind.AUTOMATIC,
    *,
    disable_automatic_rollback: bool = False,
    time_scale: float = 1.0,
    **rolling: Any,
) -> EffectivePolicy:
    """An effective policy; `rolling` sets rollingUpgradePolicy fields (used by automatic too)."""
    automatic = AutomaticOSUpgradePolicy(
        enable_automatic_os_upgrade=True,
        disable_automatic_rollback=disable_automatic_rollback,
        use_rolling_upgrade_policy=True,
    )
    return effective_policy(
        kind,
        RollingUpgradePolicy(**rolling),
        automatic,
        time_scale=time_scale,
    )


def operation(
    *batches: Sequence[str],
    kind: UpgradeKind = UpgradeKind.AUTOMATIC,
    started: bool = True,
    open_batch: int | None = None,
    completed: int = 0,
    completed_at: datetime = T0,
    **changes: Any,
) -> OperationView:
    """An operation planned into `batches` (lists of ids); the first `completed` batches are
    done (at `completed_at`) and `open_batch` is running."""
    planned = []
    for index, ids in enumerate(batches):
        batch = Batch(index, tuple(ids), update_domain=0)
        if index < completed:
            batch = replace(batch, started_at=T0, completed_at=completed_at)
        elif index == open_batch:
            batch = replace(batch, started_at=T0)
        planned.append(batch)
    view = OperationView(
        kind=kind,
        target_image_version=NEW,
        started_at=T0 if started else None,
        batches=tuple(planned),
    )
    return replace(view, **changes)


# web10's plan as the planner makes it (zones one after another, at most 2 per batch).
WEB10_BATCHES = (("0", "3"), ("6", "9"), ("1", "4"), ("7",), ("2", "5"), ("8",))


def planned(instances: list[InstanceView], done: int = 0) -> list[InstanceView]:
    """web10's VMs with their batch index; batches before `done` succeeded on NEW."""
    result: list[InstanceView] = []
    for view in instances:
        index = next(i for i, ids in enumerate(WEB10_BATCHES) if view.instance_id in ids)
        changes: dict[str, object] = {"batch": index}
        if index < done:
            changes.update(state=State.SUCCEEDED, image=NEW)
        result = with_vm([*result, view], view.instance_id, **changes)
    return result


def web10_op(done: int = 0, open_batch: int | None = None, **changes: Any) -> OperationView:
    op = operation(*WEB10_BATCHES, completed=done, open_batch=open_batch, **changes)
    zoned = [
        replace(batch, zones=(str(int(batch.instance_ids[0]) % 3 + 1),)) for batch in op.batches
    ]
    return replace(op, batches=tuple(zoned))


def snapshot(
    instances: Iterable[InstanceView],
    op: OperationView | None = None,
    *,
    effective: EffectivePolicy | None = None,
    source: HealthSource = HealthSource.LOAD_BALANCER_PROBE,
    credential_problems: Sequence[str] = (),
) -> Snapshot:
    op = op or operation(started=False)
    return Snapshot(
        policy=effective or policy(op.kind),
        health_source=source,
        operation=op,
        instances=tuple(instances),
        credential_problems=tuple(credential_problems),
    )


def world(
    *,
    vms: int = 10,
    zones: int = 3,
    update_domains: int = 1,
    kind: UpgradeKind = UpgradeKind.AUTOMATIC,
    effective: EffectivePolicy | None = None,
    rules: Iterable[FaultRule] = (),
    source: HealthSource = HealthSource.LOAD_BALANCER_PROBE,
    **options: Any,
) -> SimulatedWorld:
    """A simulated web10 by default (10 VMs, 3 zones, probe), upgrading OLD to NEW."""
    return SimulatedWorld.build(
        vms=vms,
        zones=zones,
        update_domains=update_domains,
        current=OLD,
        target=NEW,
        kind=kind,
        policy=effective or policy(kind),
        health_source=source,
        rules=rules,
        **options,
    )


def ids(*numbers: int) -> frozenset[str]:
    return frozenset(str(n) for n in numbers)

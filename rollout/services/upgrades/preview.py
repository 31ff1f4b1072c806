"""B1: the batch plan of an upgrade before it starts, and how long it should take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from orchestrator.health import instance_health
from orchestrator.planner import Plan, plan_batches
from rollout.engine.provider import DatabaseComputeProvider
from rollout.engine.snapshots import health_source_of, instance_views
from rollout.models import Instance, ScaleSet, StartedBy, UpgradeKind
from rollout.services.errors import invalid_parameter
from rollout.services.gallery.images import latest_available_version
from rollout.services.gates.timing import gate_preview
from rollout.services.upgrades.operations import policy_for


@dataclass(frozen=True)
class Preview:
    scale_set: ScaleSet
    target_version: str
    kind: str
    plan: Plan
    instances: dict[str, Instance]
    expected_duration: timedelta  # in wall time, at the configured time scale
    nominal_duration: timedelta  # at Azure's pace
    gate_notes: tuple[str, ...] = ()  # G1, G4: gates, bake time and checkpoints on the plan


def preview_upgrade(
    scale_set: ScaleSet, *, started_by: str = StartedBy.USER, now: datetime | None = None
) -> Preview:
    """The plan the engine would make now: same planner, same policy, same health."""
    now = now or timezone.now()
    resolved = latest_available_version(scale_set)
    if resolved is None:
        raise invalid_parameter(f"The image of {scale_set.name} has no version to upgrade to.")
    kind = UpgradeKind.AUTOMATIC if started_by == StartedBy.PLATFORM else UpgradeKind.MANUAL
    policy = policy_for(scale_set, kind)
    provider = DatabaseComputeProvider(scale_set)
    views = instance_views(provider, now)
    source = health_source_of(scale_set)
    unhealthy = {v.instance_id for v in views if not instance_health(v, source, now).is_healthy}
    plan = plan_batches(views, policy, resolved.version, unhealthy_ids=unhealthy)
    behaviour = provider.behaviour
    per_batch_reimage = timedelta(seconds=behaviour.reimage_seconds)
    per_batch_health = timedelta(seconds=behaviour.healthy_after_seconds)
    nominal = plan.expected_duration(per_batch_reimage, per_batch_health, policy)
    waits, notes = gate_preview(scale_set, [len(batch.instance_ids) for batch in plan.batches])
    nominal += waits.total  # G4: bake time and checkpoint delays
    return Preview(
        scale_set=scale_set,
        target_version=resolved.version,
        kind=kind,
        plan=plan,
        instances=provider.instances,
        expected_duration=policy.scaled(nominal),
        nominal_duration=nominal,
        gate_notes=tuple(notes),
    )

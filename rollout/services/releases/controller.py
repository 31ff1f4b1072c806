"""The release controller: ``reconcile_release`` (T1, T2, T5, T6, T7), and finding the work.

``reconcile_release`` is idempotent and runs under the release's row lock, so concurrent
workers never start two upgrades the gates forbid:

1. Targets whose automatic upgrade ended take its outcome: Completed with no failed instance
   is success; anything else (Faulted, Cancelled, Completed with failed instances) stops the
   release (T1: the next phase starts only when the previous one upgraded successfully), and
   the reason names the scale set, its region and phase, and Azure's error.
2. Pending targets that no longer need it are skipped (auto-upgrade turned off, T6 already on
   the version, the version no longer its latest) or superseded (a newer version became their
   candidate).
3. Phases advance: phase N starts when phase N-1 has every target succeeded, skipped or
   superseded.
4. While the release is Rolling, every pending target the gates let through starts its
   automatic upgrade (``triggers.gate``: phase, geo pair, one scale set per region,
   T5 delay, T7 window).
5. With nothing pending or running and every phase done, the release ends: Completed, or
   Superseded when a newer version took over some targets.

``reconcile_scale_sets`` (the events' entry) and ``scan`` (the beat's) bring scale sets into
the releases they need (``release_targets.release_needed``) and reconcile those releases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rollout import events
from rollout.models import (
    ACTIVE_STATUSES,
    DONE_TARGET_STATES,
    OPEN_TARGET_STATES,
    EventKind,
    Release,
    ReleaseStatus,
    ReleaseTarget,
    RunningStatus,
    ScaleSet,
    StartedBy,
    TargetState,
    UpgradeOperation,
    version_sort_key,
)
from rollout.services.errors import ServiceError
from rollout.services.releases.candidates import (
    Candidate,
    candidate_for,
    instance_versions,
    is_behind,
)
from rollout.services.releases.targets import PLATFORM, join, release_needed
from rollout.services.releases.triggers import gate
from rollout.services.upgrades.operations import start_os_upgrade


@dataclass
class Reconciled:
    """What one reconcile did (for logs, tests and the benchmark)."""

    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    phases_started: list[int] = field(default_factory=list)
    status: str = ""


def reconcile_release(
    release_id: int, now: datetime | None = None, *, joining: Sequence[ScaleSet] = ()
) -> Reconciled:
    """One idempotent pass over a release (steps 1-5 of the module docstring)."""
    now = now or timezone.now()
    result = Reconciled()
    with transaction.atomic():
        release = Release.objects.select_for_update(of=("self",)).filter(pk=release_id).first()
        if release is None:
            return result
        if joining:
            join(release, joining, now)
        targets = list(
            release.targets.select_related(
                "scale_set__location__paired_region",
                "scale_set__gallery_image",
                "operation",
                "phase",
            ).order_by("region__name", "position", "pk")
        )
        for target in targets:
            if target.state == TargetState.RUNNING:
                _settle(release, target, now, result)
        for target in targets:
            if target.state == TargetState.PENDING:
                _drop_if_not_needed(release, target, now)
        if release.status == ReleaseStatus.ROLLING:
            result.phases_started = advance_phases(release, targets, now)
            _start_due(release, targets, now, result)
            _end_if_done(release, targets, now)
        result.status = release.status
    return result


def _settle(release: Release, target: ReleaseTarget, now: datetime, result: Reconciled) -> None:
    """Step 1: a running target takes the outcome of its automatic upgrade once it ends."""
    operation = target.operation
    if operation is not None and operation.status in ACTIVE_STATUSES:
        return
    scale_set = target.scale_set
    if operation is None:
        outcome, message = TargetState.FAILED, "its upgrade operation is gone"
    elif operation.status == RunningStatus.COMPLETED and operation.failed_instance_count == 0:
        outcome = TargetState.SUCCEEDED
        message = f"upgraded {operation.successful_instance_count} instances to {release.version}"
    elif operation.status == RunningStatus.COMPLETED:
        outcome = TargetState.FAILED
        message = (
            f"completed with {operation.failed_instance_count} failed instances "
            f"({operation.rolled_back_instance_count} rolled back): "
            f"{operation.error_code or 'RollingUpgradeInProgressWithFailedUpgradedVMs'}"
        )
    elif operation.status == RunningStatus.CANCELLED:
        outcome, message = TargetState.CANCELLED, "its automatic upgrade was cancelled"
    else:
        outcome = TargetState.FAILED
        message = f"faulted: {operation.error_code}: {operation.error_message}"
    target.state = outcome
    target.message = message
    target.ended_at = operation.ended_at if operation and operation.ended_at else now
    target.save(update_fields=["state", "message", "ended_at"])
    result.ended.append(scale_set.name)
    if outcome != TargetState.SUCCEEDED and release.status == ReleaseStatus.ROLLING:
        where = f"{scale_set.location.name}"
        if target.phase is not None:
            where += f", phase {target.phase.index + 1}"
        set_status(
            release,
            ReleaseStatus.STOPPED,
            f"the automatic upgrade of {scale_set.name} ({where}) {message.rstrip('.')}. No "
            "other scale set of this release starts: fix the cause and resume the release, or "
            "publish a newer version.",
            now,
            EventKind.RELEASE_STOPPED,
            scale_set=scale_set,
            operation=operation,
        )


def _drop_if_not_needed(release: Release, target: ReleaseTarget, now: datetime) -> None:
    """Step 2: skip or supersede a pending target that no longer needs this release."""
    scale_set = target.scale_set
    state, message = None, ""
    if not scale_set.enable_automatic_os_upgrade:
        state, message = TargetState.SKIPPED, "automatic OS upgrade was turned off"
    else:
        found = candidate_for(scale_set)
        if not isinstance(found, Candidate):
            state, message = TargetState.SKIPPED, f"{release.version} is not for it: {found.why}"
        elif found.version != release.version and version_sort_key(found.version) > (
            release.sort_key
        ):
            state, message = TargetState.SUPERSEDED, f"superseded by {found.version}"
        elif found.version != release.version:
            # T4: e.g. the version was excluded from latest after it was released.
            state = TargetState.SKIPPED
            message = f"{release.version} is no longer its latest version ({found.version} is)"
        elif not is_behind(instance_versions(scale_set), release.version):
            state, message = TargetState.SKIPPED, f"T6: already on {release.version}"
    if state is None:
        return
    target.state = state
    target.message = message
    target.ended_at = now
    target.save(update_fields=["state", "message", "ended_at"])


def advance_phases(release: Release, targets: list[ReleaseTarget], now: datetime) -> list[int]:
    """Step 3 (T1): complete done phases and start the next, as far as they go."""
    started: list[int] = []
    phases = list(release.phases.prefetch_related("regions").order_by("index"))
    by_phase: dict[int, list[ReleaseTarget]] = {}
    for target in targets:
        if target.phase_id is not None:
            by_phase.setdefault(target.phase_id, []).append(target)
    for position, phase in enumerate(phases):
        if phase.started_at is None:
            if position > 0 and phases[position - 1].completed_at is None:
                break
            phase.started_at = now
            phase.save(update_fields=["started_at"])
            started.append(phase.index)
            for target in by_phase.get(phase.pk, []):
                target.phase = phase  # the gates of step 4 read this very object
                if target.state == TargetState.PENDING:
                    target.eligible_at = now
                    target.save(update_fields=["eligible_at"])
            regions = sorted(region.name for region in phase.regions.all())
            events.record_one(
                EventKind.RELEASE_PHASE_STARTED,
                scale_set=None,
                actor=PLATFORM,
                reason=(
                    f"T1: phase {phase.index} upgraded successfully"
                    if position
                    else "T1: a release starts with its smallest phase"
                ),
                at=now,
                release=release.pk,
                version=release.version,
                phase=phase.index + 1,
                regions=regions,
            )
        if phase.completed_at is None:
            members = by_phase.get(phase.pk, [])
            if any(target.state not in DONE_TARGET_STATES for target in members):
                break
            phase.completed_at = now
            phase.save(update_fields=["completed_at"])
    return started


def _start_due(
    release: Release, targets: list[ReleaseTarget], now: datetime, result: Reconciled
) -> None:
    """Step 4: start every pending target its gates let through, in region order."""
    running: dict[int, list[str]] = {}
    for target in targets:
        if target.state == TargetState.RUNNING:
            running.setdefault(target.region_id, []).append(target.scale_set.name)
    phase_count = release.phases.count()
    for target in targets:
        if target.state != TargetState.PENDING:
            continue
        scale_set = target.scale_set
        held = gate(
            release,
            scale_set,
            phase=target.phase,
            phase_count=phase_count,
            eligible_at=target.eligible_at,
            running=running,
            now=now,
        )
        if held is not None:
            if target.message != held.why:
                target.message = held.why
                target.save(update_fields=["message"])
            continue
        operation = _start(release, target, now)
        if operation is None:
            continue
        running.setdefault(target.region_id, []).append(scale_set.name)
        result.started.append(scale_set.name)


def _start(release: Release, target: ReleaseTarget, now: datetime) -> UpgradeOperation | None:
    scale_set = target.scale_set
    where = f"{scale_set.location.name}"
    if target.phase is not None:
        where += f", phase {target.phase.index + 1}"
    try:
        operation = start_os_upgrade(
            scale_set,
            started_by=StartedBy.PLATFORM,
            actor=PLATFORM,
            reason=f"{release.image_label} {release.version} released ({where})",
            target_version=release.version,
            now=now,
        )
    except ServiceError as error:
        # 409: a manual upgrade runs (the next pass tries again); 400: nothing to upgrade to.
        target.message = f"could not start: {error.message}"
        target.save(update_fields=["message"])
        return None
    target.state = TargetState.RUNNING
    target.operation = operation
    target.message = f"automatic upgrade to {release.version} started"
    target.save(update_fields=["state", "operation", "message"])
    return operation


def _end_if_done(release: Release, targets: list[ReleaseTarget], now: datetime) -> None:
    """Step 5: nothing open and every phase done: the release ends."""
    if any(target.state in OPEN_TARGET_STATES for target in targets):
        return
    if release.phases.filter(completed_at__isnull=True).exists():
        return
    superseded = sum(target.state == TargetState.SUPERSEDED for target in targets)
    upgraded = sum(target.state == TargetState.SUCCEEDED for target in targets)
    if superseded:
        status = ReleaseStatus.SUPERSEDED
        why = f"{upgraded} scale sets upgraded; {superseded} went on to a newer version"
    else:
        status = ReleaseStatus.COMPLETED
        why = f"{upgraded} scale sets upgraded, {len(targets) - upgraded} skipped"
    set_status(release, status, why, now, EventKind.RELEASE_ENDED)


def set_status(
    release: Release,
    status: ReleaseStatus,
    why: str,
    now: datetime,
    kind: EventKind,
    *,
    scale_set: ScaleSet | None = None,
    operation: UpgradeOperation | None = None,
    actor: Any = PLATFORM,
    reason: str = "",
) -> None:
    """Change the release's status with its reason, and record why (B7, the live feed)."""
    release.status = status
    release.status_reason = why
    release.ended_at = now if status != ReleaseStatus.ROLLING else None
    release.save(update_fields=["status", "status_reason", "ended_at"])
    events.record_one(
        kind,
        scale_set=scale_set,
        operation=operation,
        actor=actor,
        reason=reason or why,
        at=now,
        release=release.pk,
        version=release.version,
        image=release.image_label,
        status=status,
        why=why,
    )


# Finding work: per scale set (events) and the whole fleet (beat)


def reconcile_scale_sets(
    scale_set_ids: Iterable[int] | None = None, now: datetime | None = None
) -> dict[int, Reconciled]:
    """Bring scale sets into the releases they need, and reconcile those releases.

    With ``scale_set_ids`` None, the whole fleet and every release still open (the beat's
    safety net). Each scale set with auto-upgrade on that is behind its candidate joins the
    candidate's release (a gallery version's release is made here, T4); the releases in which
    the scale sets have a running target are reconciled too (an upgrade just ended).
    """
    now = now or timezone.now()
    scale_sets = ScaleSet.objects.select_related("location__paired_region", "gallery_image").filter(
        enable_automatic_os_upgrade=True
    )
    if scale_set_ids is not None:
        ids = list(scale_set_ids)
        scale_sets = scale_sets.filter(pk__in=ids)
        involved = set(
            ReleaseTarget.objects.filter(
                scale_set_id__in=ids, state__in=OPEN_TARGET_STATES
            ).values_list("release_id", flat=True)
        )
    else:
        involved = set(
            Release.objects.filter(
                Q(status=ReleaseStatus.ROLLING) | Q(targets__state=TargetState.RUNNING)
            ).values_list("pk", flat=True)
        )
    joining: dict[int, list[ScaleSet]] = {}
    for scale_set in scale_sets:
        release = release_needed(scale_set, now)
        if release is not None:
            joining.setdefault(release.pk, []).append(scale_set)
    results = {}
    for release_id in sorted(involved | set(joining)):
        results[release_id] = reconcile_release(
            release_id, now, joining=joining.get(release_id, ())
        )
    return results


def scan(now: datetime | None = None) -> dict[int, Reconciled]:
    """The beat's safety net: the whole fleet (see ``reconcile_scale_sets``)."""
    return reconcile_scale_sets(None, now)

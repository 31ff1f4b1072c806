"""When an automatic upgrade starts by itself (T1, T2, T4, T5, T6, T7), as a read.

For one scale set with auto-upgrade on, ``outlook(scale_set, now)`` walks the gates in order
and stops at the first that holds it back:

1. an upgrade of it already runs (one at a time);
2. its **candidate**: the version automatic upgrades would move it to. Platform image: the
   newest *release* of its SKU available in its region (E4: never another SKU; versions
   published without a release, like the seeded catalogue, roll out only by hand, M1).
   Gallery image (T4): the newest version not excluded from latest and replicated to its
   region; a newer one still replicating, failed, or not targeted there says so;
3. T6: every instance is already on the candidate (or newer): nothing to do;
4. the release stopped (a faulted upgrade stops it, T1);
5. T1: its phase has not started (the previous phase is not done);
6. T1: a scale set of the same release is upgrading in the geo-paired region;
7. T2: another scale set of the same release is upgrading in its region (one scale set per
   region at a time, each going zone by zone: so one zone of a region at a time);
8. T5: the trigger policy's delay after the version became eligible (the first rollout after
   auto-upgrade is first enabled: up to 3 hours; later ones: 30 to 60 minutes; immediate
   mode: none);
9. T7: its maintenance window is closed;
10. otherwise it is due now.

``controller`` acts on the same gates (``gate``) when it reconciles a release;
``next_upgrade_status`` is the dashboard's one-line summary of the outlook.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orchestrator.releases.delays import Delays, describe_delay, due_at
from orchestrator.releases.windows import describe_countdown
from rollout import events
from rollout.engine.windows import maintenance_window_for
from rollout.models import (
    EventKind,
    ImageKind,
    Region,
    Release,
    ReleaseKind,
    ReleasePhase,
    ReleaseStatus,
    ReleaseTarget,
    ScaleSet,
    TargetState,
    TriggerPolicy,
    TriggerPolicyAssignment,
    UpgradeKind,
    UpgradeOperation,
    version_sort_key,
)
from rollout.services import wakeups
from rollout.services.releases.candidates import (
    Candidate,
    NextUpgrade,
    Outlook,
    OutlookCode,
    candidate_for,
    instance_versions,
    is_behind,
    not_replicated,
)
from rollout.services.upgrades.operations import active_operation

# T5: the trigger policy


def delays_of(policy: TriggerPolicy) -> Delays:
    return Delays(
        name=policy.name,
        immediate=policy.immediate,
        first_rollout_max_delay=policy.first_rollout_max_delay,
        min_delay=policy.min_delay,
        max_delay=policy.max_delay,
        seed=policy.seed,
    )


def delays_for(scale_set: ScaleSet) -> Delays:
    """Its assigned policy, else the default policy row, else Azure's delays.

    ``ROLLWRIGHT_IMMEDIATE_TRIGGERS`` makes every policy immediate (operators who want every
    newly eligible version rolled within seconds).
    """
    assignment = (
        TriggerPolicyAssignment.objects.select_related("policy")
        .filter(scale_set_id=scale_set.pk)
        .first()
    )
    row = assignment.policy if assignment else TriggerPolicy.objects.filter(is_default=True).first()
    delays = delays_of(row) if row is not None else Delays()
    if getattr(settings, "ROLLWRIGHT_IMMEDIATE_TRIGGERS", False) and not delays.immediate:
        delays = replace(delays, immediate=True)
    return delays


def had_automatic_rollout(scale_set: ScaleSet) -> bool:
    """T5's "once": an automatic upgrade started since auto-upgrade was first enabled."""
    rows = UpgradeOperation.objects.filter(scale_set_id=scale_set.pk, kind=UpgradeKind.AUTOMATIC)
    if scale_set.auto_upgrade_first_enabled_at is not None:
        rows = rows.filter(started_at__gte=scale_set.auto_upgrade_first_enabled_at)
    return rows.exists()


# The gates of one target


def running_targets(release: Release) -> dict[int, list[str]]:
    """Region id -> scale sets of ``release`` whose automatic upgrade runs there now."""
    running: dict[int, list[str]] = {}
    rows = release.targets.filter(state=TargetState.RUNNING).values_list(
        "region_id", "scale_set__name"
    )
    for region_id, name in rows:
        running.setdefault(region_id, []).append(name)
    return running


def gate(
    release: Release,
    scale_set: ScaleSet,
    *,
    phase: ReleasePhase | None,
    phase_count: int,
    eligible_at: datetime | None,
    running: dict[int, list[str]],
    now: datetime,
) -> Outlook | None:
    """Gates 5-9 for a pending target of an open release: None when it may start now."""
    version = release.version
    region: Region = scale_set.location
    if release.kind == ReleaseKind.PLATFORM:
        if phase is None or phase.started_at is None:
            return _phase_waiting(release, phase, phase_count, version)
        pair_id = region.paired_region_id
        busy = running.get(pair_id, []) if pair_id is not None else []
        if busy:
            pair = region.paired_region
            return Outlook(
                OutlookCode.PAIRED_REGION_BUSY,
                f"T1: {busy[0]} is upgrading to {version} in the paired region "
                f"{pair.name if pair else '?'}: geo pairs never upgrade at the same time.",
                version=version,
                release_id=release.pk,
            )
    busy = [name for name in running.get(region.pk, []) if name != scale_set.name]
    if busy:
        return Outlook(
            OutlookCode.REGION_BUSY,
            f"T2: {busy[0]} is upgrading to {version} in {region.name}: one scale set per "
            "region at a time, zone by zone.",
            version=version,
            release_id=release.pk,
        )
    eligible = eligible_at or now
    delays = delays_for(scale_set)
    due = due_at(
        delays,
        scale_set.pk,
        version,
        eligible,
        first_enabled_at=scale_set.auto_upgrade_first_enabled_at,
        had_automatic_rollout=had_automatic_rollout(scale_set),
        time_scale=settings.ROLLWRIGHT_TIME_SCALE,
    )
    if due.at > now:
        seconds = settings.ROLLWRIGHT_TIME_SCALE > 1
        return Outlook(
            OutlookCode.DELAYED,
            describe_delay(due, version, eligible, delays, now, seconds=seconds),
            when=due.at,
            version=version,
            release_id=release.pk,
        )
    window = maintenance_window_for(scale_set, now)
    if window is not None and not window.is_open(now):
        return Outlook(
            OutlookCode.MAINTENANCE_WINDOW,
            f"T7: waiting for the maintenance window opening at {window.opens_label} "
            f"({describe_countdown(window.opens_at - now)}).",
            when=window.opens_at,
            version=version,
            release_id=release.pk,
        )
    return None


def _phase_waiting(
    release: Release, phase: ReleasePhase | None, phase_count: int, version: str
) -> Outlook:
    if phase is None:
        why = f"T1: its region joins the release of {version} after its {phase_count} phases."
    else:
        previous = release.phases.filter(index=phase.index - 1).first()
        done = total = 0
        if previous is not None:
            states = list(previous.targets.values_list("state", flat=True))
            total = len(states)
            done = sum(state in _DONE for state in states)
        why = (
            f"T1: phase {phase.index + 1} of {phase_count} not started: it starts when phase "
            f"{phase.index} has upgraded successfully ({done} of {total} scale sets done)."
        )
    return Outlook(OutlookCode.PHASE_WAITING, why, version=version, release_id=release.pk)


_DONE = {TargetState.SUCCEEDED, TargetState.SKIPPED, TargetState.SUPERSEDED}


# The outlook


def outlook(scale_set: ScaleSet, now: datetime | None = None) -> Outlook:
    """The first gate that holds the scale set's next automatic upgrade (module docstring)."""
    now = now or timezone.now()
    if not scale_set.enable_automatic_os_upgrade:
        return Outlook(OutlookCode.OFF, "Automatic OS upgrade is off.")
    running = active_operation(scale_set)
    if running is not None:
        return _upgrading(running)
    found = candidate_for(scale_set)
    if isinstance(found, Outlook):
        return found
    versions = instance_versions(scale_set)
    if not is_behind(versions, found.version):
        return _up_to_date(scale_set, found)
    release = found.release
    if release is None:
        # A gallery version replicated here whose release the trigger has not made yet.
        release = Release(
            kind=ReleaseKind.GALLERY,
            gallery_version=found.gallery_version,
            version=found.version,
            created_at=now,
        )
    target = (
        ReleaseTarget.objects.select_related("phase")
        .filter(release_id=release.pk, scale_set_id=scale_set.pk)
        .first()
        if release.pk is not None
        else None
    )
    if release.status == ReleaseStatus.STOPPED:
        return Outlook(
            OutlookCode.RELEASE_STOPPED,
            f"T1: the release of {release.version} is stopped: {release.status_reason}",
            version=release.version,
            release_id=release.pk,
        )
    phase, eligible_at = _hypothetical_phase(release, scale_set, target, found, now)
    held = gate(
        release,
        scale_set,
        phase=phase,
        phase_count=release.phases.count() if release.pk is not None else 0,
        eligible_at=eligible_at,
        running=running_targets(release) if release.pk is not None else {},
        now=now,
    )
    if held is not None:
        return held
    return Outlook(
        OutlookCode.DUE,
        f"The automatic upgrade to {release.version} is due: it starts within seconds.",
        when=now,
        version=release.version,
        release_id=release.pk,
    )


def _hypothetical_phase(
    release: Release,
    scale_set: ScaleSet,
    target: ReleaseTarget | None,
    found: Candidate,
    now: datetime,
) -> tuple[ReleasePhase | None, datetime | None]:
    """The phase and eligibility the scale set has, or would get on joining the release."""
    if target is not None and target.state in (TargetState.PENDING, TargetState.RUNNING):
        return target.phase, target.eligible_at
    if release.kind == ReleaseKind.GALLERY:
        return None, found.replicated_at
    phase = release.phases.filter(regions=scale_set.location_id).first()
    if phase is None:
        phases = list(release.phases.all())
        if phases and all(p.completed_at is not None for p in phases):
            return ReleasePhase(index=len(phases), started_at=now), now
        return None, None
    return phase, (now if phase.started_at is not None else None)


def _upgrading(operation: UpgradeOperation) -> Outlook:
    kind = "An automatic" if operation.kind == UpgradeKind.AUTOMATIC else "A manual"
    if operation.current_batch_index is not None:
        where = f"batch {operation.current_batch_index + 1} of {operation.batch_count}"
    elif operation.is_paused:
        where = "paused"
    else:
        where = "between batches" if operation.batch_count else "starting"
    return Outlook(
        OutlookCode.UPGRADING,
        f"{kind} upgrade to {operation.target_image_version} is running ({where}).",
        version=operation.target_image_version,
    )


def _up_to_date(scale_set: ScaleSet, found: Candidate) -> Outlook:
    if scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image is not None:
        newest = scale_set.gallery_image.latest_version()
        if newest is not None and version_sort_key(newest.name) > version_sort_key(found.version):
            return not_replicated(scale_set, newest, up_to=found.version)
    return Outlook(
        OutlookCode.UP_TO_DATE,
        f"T6: up to date: every instance runs {found.version}; the next version published "
        "rolls out automatically.",
        version=found.version,
        release_id=found.release.pk if found.release else None,
    )


def next_upgrade_status(scale_set: ScaleSet, now: datetime | None = None) -> NextUpgrade:
    """The dashboard's line: when the next automatic upgrade may start, and why it waits.

    ``when`` is the earliest moment it may start when a time is known: a T5 delay's end, a
    T7 window's opening, or ``now`` when it is due. It is None when nothing is scheduled (off,
    up to date, running now) or the moment depends on something else (a phase, another scale
    set, a replication). ``why`` is one sentence naming the rule (see ``outlook``).
    """
    result = outlook(scale_set, now)
    return NextUpgrade(result.when, result.why)


def assign_trigger_policy(
    scale_set: ScaleSet,
    policy: TriggerPolicy | None,
    *,
    actor: Any = None,
    reason: str = "",
) -> TriggerPolicyAssignment | None:
    """Make ``scale_set`` follow ``policy`` (None: the default one); recorded (B7)."""
    with transaction.atomic():
        TriggerPolicyAssignment.objects.filter(scale_set_id=scale_set.pk).delete()
        assignment = None
        if policy is not None:
            assignment = TriggerPolicyAssignment.objects.create(scale_set=scale_set, policy=policy)
        events.record_one(
            EventKind.TRIGGER_POLICY_ASSIGNED,
            scale_set=scale_set,
            actor=actor,
            reason=reason,
            policy=policy.name if policy is not None else None,
            immediate=policy.immediate if policy is not None else None,
        )
        wakeups.reconcile(scale_set_ids=[scale_set.pk])
    return assignment

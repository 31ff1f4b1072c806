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

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orchestrator.releases.windows import describe_countdown
from rollout import events
from rollout.engine.windows import maintenance_window_for
from rollout.models import (
    EventKind,
    GalleryImageReplica,
    GalleryImageVersion,
    ImageKind,
    Instance,
    Region,
    Release,
    ReleaseKind,
    ReleasePhase,
    ReleaseStatus,
    ReleaseTarget,
    ReplicationState,
    ScaleSet,
    TargetState,
    TriggerPolicy,
    TriggerPolicyAssignment,
    UpgradeKind,
    UpgradeOperation,
    version_sort_key,
)
from rollout.services import wakeups
from rollout.services.gallery.images import platform_image_of
from rollout.services.upgrades.operations import active_operation

DEFAULT_POLICY = "azure-default"


class OutlookCode(StrEnum):
    OFF = "off"
    NOT_APPLICABLE = "not_applicable"
    UPGRADING = "upgrading"
    UP_TO_DATE = "up_to_date"
    NO_RELEASE = "no_release"
    NOT_REPLICATED = "not_replicated"
    REPLICATION_FAILED = "replication_failed"
    RELEASE_STOPPED = "release_stopped"
    PHASE_WAITING = "phase_waiting"
    PAIRED_REGION_BUSY = "paired_region_busy"
    REGION_BUSY = "region_busy"
    DELAYED = "delayed"
    MAINTENANCE_WINDOW = "maintenance_window"
    DUE = "due"


@dataclass(frozen=True)
class Outlook:
    """What holds a scale set's next automatic upgrade back, and until when if known."""

    code: OutlookCode
    why: str
    when: datetime | None = None
    version: str | None = None
    release_id: int | None = None


class NextUpgrade(NamedTuple):
    """``(when, why)``: see ``next_upgrade_status``."""

    when: datetime | None
    why: str


# T5: the trigger policy


@dataclass(frozen=True)
class Delays:
    """The trigger policy a scale set follows (nominal durations, Azure's by default)."""

    name: str = DEFAULT_POLICY
    immediate: bool = False
    first_rollout_max_delay: timedelta = timedelta(hours=3)
    min_delay: timedelta = timedelta(minutes=30)
    max_delay: timedelta = timedelta(minutes=60)
    seed: int = 0

    @classmethod
    def of(cls, policy: TriggerPolicy) -> Delays:
        return cls(
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
    delays = Delays.of(row) if row is not None else Delays()
    if getattr(settings, "ROLLWRIGHT_IMMEDIATE_TRIGGERS", False) and not delays.immediate:
        delays = replace(delays, immediate=True)
    return delays


def jitter(seed: int, key: str) -> float:
    """A deterministic draw in [0, 1) for ``key``: the same scale set and version always wait
    the same time, on every worker and in every read."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Due:
    at: datetime
    kind: str  # "immediate", "first" (first rollout after enabling) or "later"


def due_at(
    delays: Delays,
    scale_set: ScaleSet,
    version: str,
    eligible_at: datetime,
    *,
    had_automatic_rollout: bool,
) -> Due:
    """T5: when the rollout of ``version`` (eligible at ``eligible_at``) may start.

    Later rollouts: ``eligible_at`` plus a jittered 30-60 minutes. Until the scale set's first
    automatic rollout (once), also no earlier than its first enablement plus a jittered 0-3
    hours. Every delay is divided by ``ROLLWRIGHT_TIME_SCALE``; immediate mode waits nothing.
    """
    if delays.immediate:
        return Due(eligible_at, "immediate")
    scale = settings.ROLLWRIGHT_TIME_SCALE
    spread = delays.max_delay - delays.min_delay
    wait = delays.min_delay + spread * jitter(delays.seed, f"later:{scale_set.pk}:{version}")
    later = Due(eligible_at + wait / scale, "later")
    enabled = scale_set.auto_upgrade_first_enabled_at
    if had_automatic_rollout or enabled is None:
        return later
    first_wait = delays.first_rollout_max_delay * jitter(delays.seed, f"first:{scale_set.pk}")
    first = Due(enabled + first_wait / scale, "first")
    return first if first.at > later.at else later


def had_automatic_rollout(scale_set: ScaleSet) -> bool:
    """T5's "once": an automatic upgrade started since auto-upgrade was first enabled."""
    rows = UpgradeOperation.objects.filter(scale_set_id=scale_set.pk, kind=UpgradeKind.AUTOMATIC)
    if scale_set.auto_upgrade_first_enabled_at is not None:
        rows = rows.filter(started_at__gte=scale_set.auto_upgrade_first_enabled_at)
    return rows.exists()


# The candidate version


@dataclass(frozen=True)
class Candidate:
    """The version automatic upgrades would move a scale set to, and its release if any."""

    version: str
    release: Release | None
    gallery_version: GalleryImageVersion | None = None
    replicated_at: datetime | None = None  # gallery: when it reached the scale set's region


def candidate_for(scale_set: ScaleSet) -> Candidate | Outlook:
    """The candidate (gate 2 of the module docstring), or the outlook saying why none."""
    if scale_set.image_kind == ImageKind.PLATFORM:
        return _platform_candidate(scale_set)
    if scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image_id is not None:
        return _gallery_candidate(scale_set)
    return Outlook(
        OutlookCode.NOT_APPLICABLE,
        "Automatic OS upgrades follow platform images and Compute Gallery images only.",
    )


def _platform_candidate(scale_set: ScaleSet) -> Candidate | Outlook:
    image = platform_image_of(scale_set)
    if image is None:
        return Outlook(
            OutlookCode.NOT_APPLICABLE,
            f"The image {scale_set.image_label} is not in the catalogue.",
        )
    release = (
        Release.objects.filter(
            kind=ReleaseKind.PLATFORM,
            platform_version__image=image,
            platform_version__regions=scale_set.location_id,
        )
        .order_by("-sort_key", "-id")
        .first()
    )
    if release is None:
        return Outlook(
            OutlookCode.NO_RELEASE,
            f"T1: no release of {image} covers {scale_set.location.name} yet: automatic upgrades "
            "follow published releases (a manual upgrade takes the newest version available).",
        )
    return Candidate(release.version, release)


def _gallery_candidate(scale_set: ScaleSet) -> Candidate | Outlook:
    image = scale_set.gallery_image
    assert image is not None
    version = image.latest_version(region=scale_set.location)
    if version is None:
        return _not_replicated(scale_set, image.latest_version(), up_to=None)
    replica = GalleryImageReplica.objects.filter(
        version=version, region_id=scale_set.location_id
    ).first()
    release = Release.objects.filter(gallery_version=version).first()
    return Candidate(
        version.name,
        release,
        gallery_version=version,
        replicated_at=replica.completed_at if replica is not None else None,
    )


def _not_replicated(
    scale_set: ScaleSet, newest: GalleryImageVersion | None, up_to: str | None
) -> Outlook:
    """T4: why the newest version does not reach the scale set's region (yet)."""
    region = scale_set.location.name
    prefix = f"up to date with {up_to}; " if up_to else ""
    if newest is None:
        return Outlook(
            OutlookCode.NO_RELEASE,
            f"T4: {scale_set.gallery_image} has no version to roll out (none, or all excluded "
            "from latest).",
        )
    replica = GalleryImageReplica.objects.filter(version=newest, region__name=region).first()
    if replica is None:
        return Outlook(
            OutlookCode.NOT_REPLICATED,
            f"T4: {prefix}{newest.name} is not replicated to {region} (not a target region).",
            version=newest.name,
        )
    if replica.state == ReplicationState.FAILED:
        return Outlook(
            OutlookCode.REPLICATION_FAILED,
            f"T4: {prefix}replication of {newest.name} to {region} failed: nothing rolls out "
            "there until it is replicated again.",
            version=newest.name,
        )
    return Outlook(
        OutlookCode.NOT_REPLICATED,
        f"T4: {prefix}{newest.name} not replicated to {region} yet ({replica.progress}%).",
        version=newest.name,
    )


def instance_versions(scale_set: ScaleSet) -> set[str]:
    """The image versions the scale set's instances run."""
    rows = Instance.objects.filter(scale_set_id=scale_set.pk)
    return {v for v in rows.values_list("os_disk__image_version", flat=True).distinct() if v}


def is_behind(versions: set[str], version: str) -> bool:
    """T6: some instance runs an older version than ``version``."""
    target = version_sort_key(version)
    return any(version_sort_key(v) < target for v in versions)


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
        delays, scale_set, version, eligible, had_automatic_rollout=had_automatic_rollout(scale_set)
    )
    if due.at > now:
        return Outlook(
            OutlookCode.DELAYED,
            _delay_reason(due, version, eligible, delays, now),
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


def _delay_reason(due: Due, version: str, eligible: datetime, delays: Delays, now: datetime) -> str:
    until = describe_clock(due.at, now)
    if due.kind == "first":
        return (
            f"T5: first-rollout delay until {until} (up to "
            f"{_hours(delays.first_rollout_max_delay)} after automatic OS upgrade was first "
            "enabled)."
        )
    return (
        f"T5: {version} eligible since {describe_clock(eligible, now)}; rollout delay until "
        f"{until} ({_minutes(delays.min_delay)} to {_minutes(delays.max_delay)} minutes after "
        "a version becomes eligible)."
    )


def describe_clock(moment: datetime, now: datetime) -> str:
    """``14:05 UTC``; with seconds when time runs faster than Azure's; with the date when
    more than a day away."""
    seconds = settings.ROLLWRIGHT_TIME_SCALE > 1
    text = moment.astimezone(UTC).strftime("%H:%M:%S UTC" if seconds else "%H:%M UTC")
    if abs(moment - now) >= timedelta(hours=24):
        text = moment.astimezone(UTC).strftime("%Y-%m-%d ") + text
    return text


def _hours(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _minutes(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 60:g}"


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
            return _not_replicated(scale_set, newest, up_to=found.version)
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

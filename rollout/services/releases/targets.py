"""Who a release targets, and in which phase (T1, T2, T4, T6, E4).

``join`` makes scale sets targets of a release: a platform release plans phases for regions it
does not cover yet (``release_plan``, after its existing phases); inside a region, smaller
scale sets come first (T2: one at a time). ``release_needed`` says which release a scale set
should be a pending target of (its candidate, when it is behind it); ``gallery_release`` makes a
gallery version's release when it first reaches a follower's region (T4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count

from orchestrator.releases.phases import RegionLoad, next_phase_size, plan_phases
from rollout.models import (
    ACTIVE_STATUSES,
    ImageKind,
    Instance,
    PlatformImage,
    Region,
    Release,
    ReleaseKind,
    ReleasePhase,
    ReleaseStatus,
    ReleaseTarget,
    ScaleSet,
    TargetState,
    UpgradeOperation,
    version_sort_key,
)
from rollout.services.releases.candidates import (
    Candidate,
    candidate_for,
    instance_versions,
    is_behind,
)

PLATFORM = "Platform"
# A target in one of these states that is behind the version again is pending again.
REJOIN_STATES = (TargetState.SKIPPED, TargetState.SUPERSEDED, TargetState.SUCCEEDED)


def following_scale_sets(image: PlatformImage, regions: Iterable[Region]) -> list[ScaleSet]:
    """Scale sets with auto-upgrade on that use exactly this SKU, in these regions (E4)."""
    return list(
        ScaleSet.objects.select_related("location__paired_region")
        .filter(
            enable_automatic_os_upgrade=True,
            image_kind=ImageKind.PLATFORM,
            image_publisher__iexact=image.publisher,
            image_offer__iexact=image.offer,
            image_sku__iexact=image.sku,
            location__in=list(regions),
        )
        .order_by("location__name", "name")
    )


def join(release: Release, scale_sets: Sequence[ScaleSet], now: datetime) -> list[ReleaseTarget]:
    """Make the scale sets targets of ``release`` (the caller holds its row lock).

    A platform release plans phases for the regions it did not cover yet (after the existing
    ones); a target goes in its region's phase, smaller scale sets first inside a region. A
    target that had ended well (``REJOIN_STATES``) and is behind the version again is pending
    again. A release that had ended opens again.
    """
    existing = {target.scale_set_id: target for target in release.targets.all()}
    new = [s for s in scale_sets if s.pk not in existing]
    rejoined = [
        existing[s.pk]
        for s in scale_sets
        if s.pk in existing and existing[s.pk].state in REJOIN_STATES
    ]
    if not new and not rejoined:
        return []
    sizes = dict(
        Instance.objects.filter(scale_set__in=new)
        .values("scale_set_id")
        .annotate(count=Count("id"))
        .values_list("scale_set_id", "count")
    )
    for scale_set in new:
        scale_set.instance_total = sizes.get(scale_set.pk, 0)  # type: ignore[attr-defined]
    phase_of = _phases_for(release, new) if release.kind == ReleaseKind.PLATFORM else {}
    positions: dict[int, int] = dict(
        release.targets.values("region_id")
        .annotate(count=Count("id"))
        .values_list("region_id", "count")
    )
    ordered = sorted(new, key=lambda s: (s.location_id, _size(s), s.name))
    targets = []
    for scale_set in ordered:
        phase = phase_of.get(scale_set.location_id)
        position = positions.get(scale_set.location_id, 0)
        positions[scale_set.location_id] = position + 1
        targets.append(
            ReleaseTarget(
                release=release,
                scale_set=scale_set,
                phase=phase,
                region_id=scale_set.location_id,
                position=position,
                eligible_at=_eligible_at(release, phase, scale_set, now),
                created_at=now,
            )
        )
    ReleaseTarget.objects.bulk_create(targets)
    for target in rejoined:
        target.state = TargetState.PENDING
        target.eligible_at = _eligible_at(release, target.phase, target.scale_set, now)
        target.message = "joined again: behind the version"
        target.ended_at = None
        target.save(update_fields=["state", "eligible_at", "message", "ended_at"])
    if release.status in (ReleaseStatus.COMPLETED, ReleaseStatus.SUPERSEDED):
        release.status = ReleaseStatus.ROLLING
        release.status_reason = "reopened: more scale sets follow it"
        release.ended_at = None
        release.save(update_fields=["status", "status_reason", "ended_at"])
    return [*targets, *rejoined]


def _size(scale_set: ScaleSet) -> int:
    total = getattr(scale_set, "instance_total", None)
    return total if total is not None else scale_set.capacity


def _eligible_at(
    release: Release, phase: ReleasePhase | None, scale_set: ScaleSet, now: datetime
) -> datetime | None:
    """T5 counts from here: a started phase's targets are eligible from when they join it;
    a gallery target from when the version reached its region."""
    if release.kind == ReleaseKind.GALLERY:
        found = candidate_for(scale_set)
        if isinstance(found, Candidate) and found.replicated_at is not None:
            return found.replicated_at
        return now
    if phase is not None and phase.started_at is not None:
        return now
    return None


def _phases_for(release: Release, new: Sequence[ScaleSet]) -> dict[int, ReleasePhase]:
    """The phase of each region of ``new``; regions not covered yet get new last phases."""
    phase_of: dict[int, ReleasePhase] = {}
    phases = list(release.phases.prefetch_related("regions"))
    for phase in phases:
        for region in phase.regions.all():
            phase_of[region.pk] = phase
    uncovered: dict[int, RegionLoad] = {}
    regions: dict[int, Region] = {}
    for scale_set in new:
        if scale_set.location_id in phase_of:
            continue
        region = scale_set.location
        pair = region.paired_region.name if region.paired_region else None
        load = uncovered.get(region.pk, RegionLoad(region.name, pair, 0))
        uncovered[region.pk] = RegionLoad(region.name, pair, load.instances + _size(scale_set))
        regions[region.pk] = region
    if not uncovered:
        return phase_of
    by_name = {region.name: region for region in regions.values()}
    # New phases start in reconcile_release (step 3), after the ones before them are done.
    for names in plan_phases(list(uncovered.values()), first_size=next_phase_size(len(phases))):
        phase = ReleasePhase.objects.create(release=release, index=len(phases))
        phase.regions.set([by_name[name] for name in names])
        phases.append(phase)
        for name in names:
            phase_of[by_name[name].pk] = phase
    return phase_of


def release_needed(scale_set: ScaleSet, now: datetime) -> Release | None:
    """The release the scale set should be a pending target of but is not, if any.

    Cheapest checks first: the beat runs this for every scale set every few seconds.
    """
    found = candidate_for(scale_set)
    if not isinstance(found, Candidate):
        return None
    if found.release is not None:
        state = (
            ReleaseTarget.objects.filter(release=found.release, scale_set_id=scale_set.pk)
            .values_list("state", flat=True)
            .first()
        )
        if state is not None and state not in REJOIN_STATES:
            return None  # already a target (or done with it)
    if UpgradeOperation.objects.filter(
        scale_set_id=scale_set.pk, status__in=ACTIVE_STATUSES
    ).exists():
        return None
    if not is_behind(instance_versions(scale_set), found.version):
        return None
    if found.release is not None:
        return found.release
    if found.gallery_version is None:
        return None
    return gallery_release(found, now)


def gallery_release(found: Candidate, now: datetime) -> Release:
    """T4: the release of a gallery version, made when it first reaches a follower's region."""
    version = found.gallery_version
    assert version is not None
    existing = Release.objects.filter(gallery_version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Release.objects.create(
                kind=ReleaseKind.GALLERY,
                gallery_version=version,
                image_label=str(version.image),
                version=version.name,
                sort_key=version_sort_key(version.name),
                created_at=now,
                created_by_name=PLATFORM,
                reason="T4: replicated to a region where scale sets follow the image",
            )
    except IntegrityError:  # another worker made it first
        return Release.objects.get(gallery_version=version)

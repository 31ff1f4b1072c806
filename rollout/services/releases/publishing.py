"""Releases: publishing a platform image version and rolling it out across the fleet (T1-T6).

``publish_image_version`` makes a version available in regions and, when it is the newest of
its SKU, creates its **release**: the auto-upgrade scale sets on that SKU (E4: never another
SKU) not already on it (T6) become **targets**, in availability-first **phases** of regions
(``release_plan``: smallest first, growing, geo pairs apart). A Compute Gallery version gets a
release as soon as it is replicated to a region where a scale set follows its image (T4); it
has no phases: replication steers it.

The release then runs by itself: ``release_controller.reconcile_release`` (after commit, on
every upgrade's end, and from the beat's ``scan``) starts each target's automatic upgrade when
its gates allow it. ``stop_release`` and ``resume_release`` are the operator's verbs.
Scale sets that start following a release later (auto-upgrade enabled after publication, a new
scale set) join it, in the phase of their region or in a new last phase
(``release_targets.join``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rollout import events
from rollout.models import (
    EventKind,
    PlatformImage,
    PlatformImageVersion,
    Region,
    Release,
    ReleaseKind,
    ReleaseStatus,
    TargetState,
    version_sort_key,
)
from rollout.services import wakeups
from rollout.services.errors import ServiceError, invalid_parameter, not_found
from rollout.services.releases.candidates import instance_versions, is_behind
from rollout.services.releases.controller import (
    Reconciled,
    advance_phases,
    reconcile_release,
    reconcile_scale_sets,
    scan,
    set_status,
)
from rollout.services.releases.targets import (
    PLATFORM,
    REJOIN_STATES,
    following_scale_sets,
    gallery_release,
    join,
)

VERSION_NAME = re.compile(r"^\d{1,10}\.\d{1,10}\.\d{1,15}$")


@dataclass(frozen=True)
class Publication:
    """What ``publish_image_version`` did."""

    version: PlatformImageVersion
    release: Release | None
    created: bool
    regions_added: tuple[str, ...]
    message: str


# Publishing a platform image version


def publish_image_version(
    publisher: str,
    offer: str,
    sku: str,
    version: str,
    *,
    regions: Sequence[str] | None = None,
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> Publication:
    """Publish ``version`` of a platform image SKU in ``regions`` (default: every region).

    1. The version becomes available in the regions (publishing again adds regions).
    2. If it is the newest version of its SKU, its release is created (or extended with phases
       for the regions just added); an older version is published for manual upgrades only:
       automatic upgrades never move a scale set backwards.
    3. The audit event (B7) records who published it, why, and the phases.
    4. After commit, the trigger reconciles the release: in immediate mode (T5) the first
       phase starts upgrading within seconds; otherwise after the policy's delay.
    """
    now = now or timezone.now()
    if not VERSION_NAME.match(version):
        raise invalid_parameter(
            f"The image version '{version[:40]}' is invalid: use Major.Minor.Build, e.g. "
            "22.04.202612010.",
            "version",
        )
    image = PlatformImage.objects.filter(
        publisher__iexact=publisher, offer__iexact=offer, sku__iexact=sku
    ).first()
    if image is None:
        raise not_found(
            f"The platform image {publisher}:{offer}:{sku} is not in the catalogue: add its SKU "
            "first (admin, Platform images).",
            "NotFound",
        )
    wanted = _regions(regions)
    with transaction.atomic():
        row = (
            PlatformImageVersion.objects.select_for_update(of=("self",))
            .filter(image=image, version=version)
            .first()
        )
        created = row is None
        if row is None:
            try:
                with transaction.atomic():
                    row = PlatformImageVersion.objects.create(
                        image=image, version=version, published_at=now
                    )
            except IntegrityError:  # published at the same moment by another request
                row = PlatformImageVersion.objects.select_for_update(of=("self",)).get(
                    image=image, version=version
                )
                created = False
        present = set(row.regions.values_list("pk", flat=True))
        added = [region for region in wanted if region.pk not in present]
        row.regions.add(*added)
        if not created and not added:
            release = Release.objects.filter(platform_version=row).first()
            return Publication(row, release, False, (), "Already published in those regions.")
        newest = image.versions.order_by("-sort_key").values_list("pk", flat=True).first()
        release = None
        if newest == row.pk:
            release = _create_or_extend_release(row, actor, reason, now)
            if release.status == ReleaseStatus.ROLLING:
                advance_phases(release, list(release.targets.all()), now)  # phase 1 starts now
            message = _describe(release)
        else:
            message = (
                f"{version} is not the newest version of {image}: it is available for manual "
                "upgrades, and no automatic rollout moves a scale set back to it."
            )
        events.record_one(
            EventKind.IMAGE_PUBLISHED,
            scale_set=None,
            actor=actor,
            reason=reason,
            at=now,
            image=str(image),
            version=version,
            regions=sorted(region.name for region in added),
            created=created,
            release=release.pk if release else None,
            phases=_phase_names(release) if release else [],
            message=message,
        )
        if release is not None:
            release_id = release.pk
            wakeups.reconcile(release_ids=[release_id])
    return Publication(row, release, created, tuple(r.name for r in added), message)


def _regions(names: Sequence[str] | None) -> list[Region]:
    if names is None:
        regions = list(Region.objects.order_by("name"))
        if not regions:
            raise invalid_parameter("There is no region to publish to.", "regions")
        return regions
    if not names:
        raise invalid_parameter("Name at least one region to publish to.", "regions")
    found = {region.name.lower(): region for region in Region.objects.all()}
    unknown = [name for name in names if name.lower() not in found]
    if unknown:
        raise invalid_parameter(f"Unknown region '{unknown[0][:50]}'.", "regions")
    return list({found[name.lower()].pk: found[name.lower()] for name in names}.values())


def _create_or_extend_release(
    row: PlatformImageVersion, actor: Any, reason: str, now: datetime
) -> Release:
    release = Release.objects.select_for_update(of=("self",)).filter(platform_version=row).first()
    if release is None:
        release = Release.objects.create(
            kind=ReleaseKind.PLATFORM,
            platform_version=row,
            image_label=str(row.image),
            version=row.version,
            sort_key=version_sort_key(row.version),
            created_at=now,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_by_name=_actor_name(actor),
            reason=reason,
        )
    candidates = [
        scale_set
        for scale_set in following_scale_sets(row.image, row.regions.all())
        if is_behind(instance_versions(scale_set), row.version)
    ]
    join(release, candidates, now)
    return release


# Operator verbs on releases


def stop_release(release: Release, *, actor: Any = None, reason: str = "") -> Release:
    """Stop a release by hand: running upgrades finish, nothing new starts (B7: recorded)."""
    with transaction.atomic():
        locked = Release.objects.select_for_update(of=("self",)).get(pk=release.pk)
        if locked.status != ReleaseStatus.ROLLING:
            raise ServiceError(
                "OperationNotAllowed",
                f"The release of {locked.version} is {locked.status}: only a rolling release "
                "can be stopped.",
                status=409,
            )
        who = _actor_name(actor)
        set_status(
            locked,
            ReleaseStatus.STOPPED,
            f"stopped by {who}" + (f": {reason}" if reason else ""),
            timezone.now(),
            EventKind.RELEASE_STOPPED,
            actor=actor,
            reason=reason,
        )
    return locked


def resume_release(release: Release, *, actor: Any = None, reason: str = "") -> Release:
    """Resume a stopped release: failed and cancelled targets are pending again (retried at
    once, their T5 delay long passed) and the phases go on (B7: recorded)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Release.objects.select_for_update(of=("self",)).get(pk=release.pk)
        if locked.status != ReleaseStatus.STOPPED:
            raise ServiceError(
                "OperationNotAllowed",
                f"The release of {locked.version} is {locked.status}: only a stopped release "
                "can be resumed.",
                status=409,
            )
        locked.targets.filter(state__in=[TargetState.FAILED, TargetState.CANCELLED]).update(
            state=TargetState.PENDING, message="retried: the release was resumed", ended_at=None
        )
        who = _actor_name(actor)
        set_status(
            locked,
            ReleaseStatus.ROLLING,
            f"resumed by {who}" + (f": {reason}" if reason else ""),
            now,
            EventKind.RELEASE_RESUMED,
            actor=actor,
            reason=reason,
        )
        release_id = locked.pk
        wakeups.reconcile(release_ids=[release_id])
    return locked


# Helpers


def _actor_name(actor: Any) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor.get_username())
    return actor if isinstance(actor, str) and actor else PLATFORM


def _phase_names(release: Release) -> list[list[str]]:
    return [
        sorted(region.name for region in phase.regions.all())
        for phase in release.phases.prefetch_related("regions").order_by("index")
    ]


def _describe(release: Release) -> str:
    phases = _phase_names(release)
    targets = release.targets.count()
    if not phases:
        return f"Release of {release.version}: no scale set follows this SKU yet."
    plan = "; ".join(
        f"phase {number}: {', '.join(names)}" for number, names in enumerate(phases, start=1)
    )
    return f"Release of {release.version} to {targets} scale sets in {len(phases)} phases ({plan})."


def describe_release(release: Release) -> str:
    return _describe(release)


__all__ = [
    "PLATFORM",
    "REJOIN_STATES",
    "Publication",
    "Reconciled",
    "describe_release",
    "gallery_release",
    "join",
    "publish_image_version",
    "reconcile_release",
    "reconcile_scale_sets",
    "resume_release",
    "scan",
    "stop_release",
]

"""What an automatic upgrade would move a scale set to (its candidate), and the outlook
types that say why it waits (see ``triggers``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from rollout.models import (
    GalleryImageReplica,
    GalleryImageVersion,
    ImageKind,
    Instance,
    Release,
    ReleaseKind,
    ReplicationState,
    ScaleSet,
    version_sort_key,
)
from rollout.services.gallery.images import platform_image_of


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
        return not_replicated(scale_set, image.latest_version(), up_to=None)
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


def not_replicated(
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

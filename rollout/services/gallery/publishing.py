"""Publishing to an Azure Compute Gallery: galleries, image definitions and image versions.

A version is published to target regions; each region gets a replica that starts
``Replicating`` at 0% (T4: a scale set only follows a version once it is replicated to its
region; progressing replicas is the replication engine's work, not this module's).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.models import (
    EventKind,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    ReplicationState,
)
from rollout.services.errors import ServiceError, invalid_parameter, not_found
from rollout.services.resource_groups import check_name, require_resource_group, resolve_region

PUBLISHING = "properties.publishingProfile"
TARGET_REGIONS = f"{PUBLISHING}.targetRegions"
VERSION_NAME = re.compile(r"^\d{1,10}\.\d{1,10}\.\d{1,10}$")
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class TargetRegionSpec:
    """One ``publishingProfile.targetRegions[]`` entry."""

    name: str
    regional_replica_count: int | None = None
    exclude_from_latest: bool = False


def _fixed(what: str, target: str) -> ServiceError:
    return ServiceError(
        "PropertyChangeNotAllowed", f"Changing property '{what}' is not allowed.", target
    )


def create_or_update_gallery(
    subscription_id: str,
    resource_group: str,
    name: str,
    location: str,
    description: str | None,
) -> tuple[Gallery, bool]:
    group = require_resource_group(subscription_id, resource_group)
    region = resolve_region(location)
    with transaction.atomic():
        gallery = Gallery.objects.filter(resource_group=group, name__iexact=name).first()
        if gallery is None:
            check_name("gallery", name)
            gallery = Gallery.objects.create(
                resource_group=group, name=name, location=region, description=description or ""
            )
            return gallery, True
        if gallery.location_id != region.pk:
            raise _fixed("location", "location")
        if description is not None:
            gallery.description = description
            gallery.save(update_fields=["description"])
        return gallery, False


def get_gallery(subscription_id: str, resource_group: str, name: str) -> Gallery:
    group = require_resource_group(subscription_id, resource_group)
    gallery = (
        Gallery.objects.select_related("resource_group__subscription", "location")
        .filter(resource_group=group, name__iexact=name)
        .first()
    )
    if gallery is None:
        raise not_found(
            f"The Resource 'Microsoft.Compute/galleries/{name}' under resource group "
            f"'{group.name}' was not found."
        )
    return gallery


def get_gallery_image(gallery: Gallery, name: str) -> GalleryImage:
    image = gallery.images.filter(name__iexact=name).first()
    if image is None:
        raise not_found(
            f"The Resource 'Microsoft.Compute/galleries/{gallery.name}/images/{name}' under "
            f"resource group '{gallery.resource_group.name}' was not found."
        )
    return image


def create_or_update_gallery_image(
    gallery: Gallery,
    name: str,
    *,
    os_type: str | None,
    publisher: str | None,
    offer: str | None,
    sku: str | None,
) -> tuple[GalleryImage, bool]:
    """An image definition: its OS type and identifier are fixed once created."""
    identifier = {"publisher": publisher, "offer": offer, "sku": sku}
    with transaction.atomic():
        image = gallery.images.filter(name__iexact=name).first()
        if image is None:
            missing = [key for key, value in identifier.items() if not value]
            if missing:
                raise invalid_parameter(
                    f"Required parameter 'identifier.{missing[0]}' is missing (null).",
                    f"properties.identifier.{missing[0]}",
                )
            if os_type is None:
                raise invalid_parameter(
                    "Required parameter 'osType' is missing (null).", "properties.osType"
                )
            check_name("galleryImage", name)
            image = GalleryImage.objects.create(
                gallery=gallery,
                name=name,
                os_type=os_type,
                publisher=publisher or "",
                offer=offer or "",
                sku=sku or "",
            )
            return image, True
        if os_type is not None and os_type != image.os_type:
            raise _fixed("osType", "properties.osType")
        for key, value in identifier.items():
            if value is not None and value != getattr(image, key):
                raise _fixed(f"identifier.{key}", f"properties.identifier.{key}")
        return image, False


def _check_version_name(name: str) -> None:
    parts = name.split(".")
    if not VERSION_NAME.match(name) or any(int(part) > INT32_MAX for part in parts):
        raise ServiceError(
            "InvalidParameter",
            f"The gallery image version name '{name}' is invalid: use Major.Minor.Patch, each "
            "part a 32-bit integer.",
            "galleryImageVersionName",
        )


def publish_gallery_image_version(
    image: GalleryImage,
    name: str,
    location: str,
    *,
    target_regions: Sequence[TargetRegionSpec] | None,
    replica_count: int | None = None,
    exclude_from_latest: bool | None = None,
    end_of_life_at: datetime | None = None,
    actor: Any = None,
    reason: str = "",
) -> tuple[GalleryImageVersion, bool]:
    """Publish a version (or change its publishing profile) and replicate it to regions.

    1. The version's own region is always a target (Azure stores the source there).
    2. A new target region gets a replica that starts ``Replicating`` at 0%; a region no
       longer listed loses its replica; an existing replica keeps its progress.
    """
    _check_version_name(name)
    region = resolve_region(location)
    targets = list(target_regions) if target_regions is not None else None
    resolved = []
    for index, target in enumerate(targets or []):
        target_region = resolve_region(target.name, f"{TARGET_REGIONS}[{index}].name")
        resolved.append((target_region, target))
    names = [row[0].name for row in resolved]
    if len(set(names)) != len(names):
        raise invalid_parameter("targetRegions lists a region twice.", TARGET_REGIONS)
    now = timezone.now()
    with transaction.atomic():
        version = image.versions.select_for_update(of=("self",)).filter(name=name).first()
        created = version is None
        if version is None:
            version = GalleryImageVersion(image=image, name=name, location=region)
            version.published_at = now
        elif version.location_id != region.pk:
            raise _fixed("location", "location")
        if exclude_from_latest is not None:
            version.exclude_from_latest = exclude_from_latest
        if end_of_life_at is not None:
            version.end_of_life_at = end_of_life_at
        version.save()
        if targets is None and not created:
            return version, created
        if region.name not in names:
            resolved.insert(0, (region, TargetRegionSpec(region.name)))
        existing = {replica.region_id: replica for replica in version.replicas.all()}
        keep = {target_region.pk for target_region, _ in resolved}
        version.replicas.exclude(region_id__in=keep).delete()
        for target_region, target in resolved:
            count = target.regional_replica_count or replica_count or 1
            replica = existing.get(target_region.pk)
            if replica is None:
                GalleryImageReplica.objects.create(
                    version=version,
                    region=target_region,
                    regional_replica_count=count,
                    exclude_from_latest=target.exclude_from_latest,
                    state=ReplicationState.REPLICATING,
                    progress=0,
                    started_at=now,
                )
            else:
                replica.regional_replica_count = count
                replica.exclude_from_latest = target.exclude_from_latest
                replica.save(update_fields=["regional_replica_count", "exclude_from_latest"])
        events.record_one(
            EventKind.IMAGE_PUBLISHED,
            scale_set=None,
            actor=actor,
            reason=reason or ("published" if created else "publishing profile changed"),
            image=image.arm_id,
            version=name,
            regions=[target_region.name for target_region, _ in resolved],
            exclude_from_latest=version.exclude_from_latest,
        )
    return version, created

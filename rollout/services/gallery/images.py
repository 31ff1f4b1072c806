"""Resolving a scale set's image reference to a concrete version (U3, M1, T4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollout.models import (
    GalleryImageVersion,
    ImageKind,
    PlatformImage,
    PlatformImageVersion,
    ScaleSet,
)
from rollout.services.errors import invalid_parameter


@dataclass(frozen=True)
class ResolvedImage:
    version: str
    reference: dict[str, Any]


def platform_image_of(scale_set: ScaleSet) -> PlatformImage | None:
    return PlatformImage.objects.filter(
        publisher__iexact=scale_set.image_publisher,
        offer__iexact=scale_set.image_offer,
        sku__iexact=scale_set.image_sku,
    ).first()


def latest_available_version(scale_set: ScaleSet) -> ResolvedImage | None:
    """The newest version the scale set's image offers in its region, whatever its model pins.

    Platform images: the newest version available in the region. Gallery images (T4): the
    newest version not excluded from latest and replicated to the region.
    """
    if scale_set.image_kind == ImageKind.PLATFORM:
        image = platform_image_of(scale_set)
        if image is None:
            return None
        version = image.latest_version(region=scale_set.location)
        if version is None:
            return None
        return ResolvedImage(version.version, _platform_reference(scale_set, version.version))
    if scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image is not None:
        gallery_version = scale_set.gallery_image.latest_version(region=scale_set.location)
        if gallery_version is None:
            return None
        return ResolvedImage(gallery_version.name, {"id": gallery_version.arm_id})
    return None


def model_image_version(scale_set: ScaleSet) -> ResolvedImage:
    """The version a newly created or reimaged instance gets from the model.

    ``latest`` resolves to the newest available version (at deploy time only, as in Azure);
    a pinned version must exist.
    """
    if scale_set.image_kind == ImageKind.CUSTOM:
        return ResolvedImage("1.0.0", {"id": scale_set.custom_image_id})
    if scale_set.image_version.lower() == "latest":
        resolved = latest_available_version(scale_set)
        if resolved is None:
            raise invalid_parameter(
                f"No version of the image {scale_set.image_label} is available in "
                f"{scale_set.location.name}.",
                "properties.virtualMachineProfile.storageProfile.imageReference",
            )
        return resolved
    if scale_set.image_kind == ImageKind.PLATFORM:
        exists = PlatformImageVersion.objects.filter(
            image__publisher__iexact=scale_set.image_publisher,
            image__offer__iexact=scale_set.image_offer,
            image__sku__iexact=scale_set.image_sku,
            version=scale_set.image_version,
        ).exists()
        if not exists:
            raise invalid_parameter(
                f"The platform image version {scale_set.image_label} does not exist.",
                "properties.virtualMachineProfile.storageProfile.imageReference.version",
            )
        return ResolvedImage(
            scale_set.image_version, _platform_reference(scale_set, scale_set.image_version)
        )
    assert scale_set.gallery_image is not None
    gallery_version = GalleryImageVersion.objects.filter(
        image=scale_set.gallery_image, name=scale_set.image_version
    ).first()
    if gallery_version is None:
        raise invalid_parameter(
            f"The gallery image version {scale_set.gallery_image}/{scale_set.image_version} "
            "does not exist.",
            "properties.virtualMachineProfile.storageProfile.imageReference.id",
        )
    return ResolvedImage(gallery_version.name, {"id": gallery_version.arm_id})


def _platform_reference(scale_set: ScaleSet, version: str) -> dict[str, Any]:
    return {
        "publisher": scale_set.image_publisher,
        "offer": scale_set.image_offer,
        "sku": scale_set.image_sku,
        "version": version,
    }

"""Resource groups, platform images and Compute Gallery objects in Azure's shapes."""

from __future__ import annotations

from typing import Any

from rollout.models import (
    Gallery,
    GalleryImage,
    GalleryImageVersion,
    PlatformImage,
    ReplicationState,
    ResourceGroup,
)
from rollout.services.wire import arm_time
from rollout.services.wire.gallery import (
    GALLERY_FIELDS,
    GALLERY_IMAGE_FIELDS,
    GALLERY_IMAGE_VERSION_FIELDS,
    TARGET_REGION_FIELDS,
)
from rollout.services.wire.resources import RESOURCE_GROUP_FIELDS

GALLERY_TYPE = "Microsoft.Compute/galleries"


def resource_group_wire(group: ResourceGroup) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.arm_id,
        "name": group.name,
        "type": "Microsoft.Resources/resourceGroups",
    }
    RESOURCE_GROUP_FIELDS.write(group, body)  # location, tags
    body["properties"] = {"provisioningState": "Succeeded"}
    return body


def image_path(subscription_id: str, location: str, *parts: str) -> str:
    """Azure writes these ids with capitalised segments (REC-IMG)."""
    names = ("Publishers", "ArtifactTypes/VMImage/Offers", "Skus", "Versions")
    path = f"/Subscriptions/{subscription_id}/Providers/Microsoft.Compute/Locations/{location}"
    for name, part in zip(names, parts, strict=False):
        path += f"/{name}/{part}"
    return path


def image_resource(subscription_id: str, location: str, *parts: str) -> dict[str, Any]:
    """A VirtualMachineImageResource: ``{"id", "name", "location"}``."""
    return {
        "id": image_path(subscription_id, location, *parts),
        "name": parts[-1],
        "location": location,
    }


def automatic_os_upgrade_properties(image: PlatformImage) -> dict[str, Any]:
    """E3 on the wire."""
    return {"automaticOSUpgradeSupported": image.automatic_os_upgrade_supported}


def sku_resource(subscription_id: str, location: str, image: PlatformImage) -> dict[str, Any]:
    body = image_resource(subscription_id, location, image.publisher, image.offer, image.sku)
    body["properties"] = {"automaticOSUpgradeProperties": automatic_os_upgrade_properties(image)}
    return body


def architecture_of(image: PlatformImage) -> str:
    """``x64`` or ``Arm64``. The catalogue keeps no architecture: publishers name their Arm
    SKUs so (``22_04-lts-arm64``), and every other SKU is x64."""
    return "Arm64" if "arm64" in image.sku.lower() else "x64"


def image_deprecation_status() -> dict[str, Any]:
    """``imageState``: every version of the catalogue is ``Active`` (Azure's other states,
    ``ScheduledForDeprecation`` and ``Deprecated``, are for versions it retires)."""
    return {"imageState": "Active"}


def image_version_listing(
    subscription_id: str, location: str, image: PlatformImage, version: str
) -> dict[str, Any]:
    """A version listed with ``$expand=properties/imageDeprecationStatus`` (what ``az vm image
    list --all`` sends): the resource, its architecture and its deprecation status."""
    body = image_resource(
        subscription_id, location, image.publisher, image.offer, image.sku, version
    )
    body["properties"] = {
        "architecture": architecture_of(image),
        "imageDeprecationStatus": image_deprecation_status(),
    }
    return body


def image_version_wire(
    subscription_id: str, location: str, image: PlatformImage, version: str
) -> dict[str, Any]:
    """A VirtualMachineImage (GET …/versions/{version}, and lists with ``$expand=properties``)."""
    body = image_resource(
        subscription_id, location, image.publisher, image.offer, image.sku, version
    )
    body["properties"] = {
        "osDiskImage": {"operatingSystem": image.os_type},
        "dataDiskImages": [],
        "automaticOSUpgradeProperties": automatic_os_upgrade_properties(image),
        "hyperVGeneration": "V2",
        "architecture": architecture_of(image),
        "imageDeprecationStatus": image_deprecation_status(),
    }
    return body


def gallery_wire(gallery: Gallery, provisioning_state: str = "Succeeded") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": gallery.arm_id,
        "name": gallery.name,
        "type": GALLERY_TYPE,
        "location": gallery.location.name,
    }
    properties = GALLERY_FIELDS.write(gallery, body)["properties"]  # description
    subscription = gallery.resource_group.subscription.subscription_id
    properties["identifier"] = {"uniqueName": f"{subscription}-{gallery.name.upper()}"}
    properties["provisioningState"] = provisioning_state
    return body


def gallery_image_wire(
    image: GalleryImage, provisioning_state: str = "Succeeded"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": image.arm_id,
        "name": image.name,
        "type": f"{GALLERY_TYPE}/images",
        "location": image.gallery.location.name,
    }
    properties = GALLERY_IMAGE_FIELDS.write(image, body)["properties"]  # osType, identifier
    properties["osState"] = "Generalized"
    properties["provisioningState"] = provisioning_state
    return body


def _aggregated_state(states: list[str]) -> str:
    if not states:
        return "Unknown"
    if any(state == ReplicationState.FAILED for state in states):
        return "Failed"
    if all(state == ReplicationState.COMPLETED for state in states):
        return "Completed"
    return "InProgress"


def gallery_image_version_wire(
    version: GalleryImageVersion, provisioning_state: str | None = None
) -> dict[str, Any]:
    """With the per-region replication status (T4: a region follows once Completed)."""
    replicas = list(version.replicas.select_related("region").order_by("region__name"))
    body: dict[str, Any] = {
        "id": version.arm_id,
        "name": version.name,
        "type": f"{GALLERY_TYPE}/images/versions",
        "location": version.location.name,
    }
    properties = GALLERY_IMAGE_VERSION_FIELDS.write(version, body)["properties"]
    profile = properties["publishingProfile"]  # excludeFromLatest, endOfLifeDate
    profile["targetRegions"] = [
        {
            **TARGET_REGION_FIELDS.write(replica, {"name": replica.region.name}),
            "storageAccountType": "Standard_LRS",
        }
        for replica in replicas
    ]
    profile["publishedDate"] = arm_time(version.published_at)
    profile["storageAccountType"] = "Standard_LRS"
    properties["provisioningState"] = provisioning_state or version.provisioning_state
    properties["replicationStatus"] = {
        "aggregatedState": _aggregated_state([replica.state for replica in replicas]),
        "summary": [
            {
                "region": replica.region.name,
                "state": replica.state,
                "details": "",
                "progress": replica.progress,
            }
            for replica in replicas
        ],
    }
    return body

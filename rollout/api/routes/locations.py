"""Microsoft.Compute per location: platform images (and publishing a version), and the status
of long-running operations.

The image catalogue is the platform's: any role in the subscription reads it, and publishing
a version (which rolls out to every subscription's scale sets) needs a role at the root."""

from __future__ import annotations

from rollout.api.bodies.resources import PUBLICATION
from rollout.api.routes.paths import LOCATION, OFFER, PUBLISHER, SKU
from rollout.api.routing import Operation, Route
from rollout.api.views import images, operations, publishing
from rollout.services.access.roles import PUBLISH_PLATFORM_IMAGE

IMAGES_TYPE = "Microsoft.Compute/locations/publishers"

ROUTES = (
    Route(
        "image_publishers",
        f"{LOCATION}/publishers",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_publishers,
            "VirtualMachineImages_ListPublishers",
            "Image publishers",
            authorization="platform",
        ),
    ),
    Route(
        "image_offers",
        f"{PUBLISHER}/artifacttypes/vmimage/offers",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_offers,
            "VirtualMachineImages_ListOffers",
            "Offers of a publisher",
            authorization="platform",
        ),
    ),
    Route(
        "image_skus",
        f"{OFFER}/skus",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_skus,
            "VirtualMachineImages_ListSkus",
            "SKUs, with automatic OS upgrade support (E3)",
            authorization="platform",
        ),
    ),
    Route(
        "image_versions",
        f"{SKU}/versions",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_versions,
            "VirtualMachineImages_List",
            "H2: versions (a bare JSON array)",
            query=("$expand", "$top", "$orderby"),
            authorization="platform",
        ),
    ),
    Route(
        "image_version",
        f"{SKU}/versions/{{version}}",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.get_version,
            "VirtualMachineImages_Get",
            "One image version",
            authorization="platform",
        ),
        put=Operation(
            publishing.put_platform_image_version,
            "VirtualMachineImages_Publish",
            "Rollwright: publish the version in this location (and properties.regions); "
            "the newest of its SKU starts a release (T1)",
            (200, 201),
            PUBLICATION,
            action=PUBLISH_PLATFORM_IMAGE,
            authorization="platform",
        ),
    ),
    Route(
        "operation_status",
        f"{LOCATION}/operations/{{operationId}}",
        "Operation",
        "Microsoft.Compute/locations/operations",
        get=Operation(
            operations.get_operation_status,
            "Operations_GetStatus",
            "The Azure-AsyncOperation (or, with monitor=true, Location) resource",
            (200, 202),
            query=("monitor",),
            authorization="listing",
        ),
    ),
)

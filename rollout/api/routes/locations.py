"""Microsoft.Compute per location: platform images (and publishing a version), and the status
of long-running operations."""

from __future__ import annotations

from rollout.api.bodies.resources import PUBLICATION
from rollout.api.routes.paths import LOCATION, OFFER, PUBLISHER, SKU
from rollout.api.routing import Operation, Route
from rollout.api.views import images, operations, publishing

IMAGES_TYPE = "Microsoft.Compute/locations/publishers"

ROUTES = (
    Route(
        "image_publishers",
        f"{LOCATION}/publishers",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_publishers, "VirtualMachineImages_ListPublishers", "Image publishers"
        ),
    ),
    Route(
        "image_offers",
        f"{PUBLISHER}/artifacttypes/vmimage/offers",
        "Compute",
        IMAGES_TYPE,
        get=Operation(
            images.list_offers, "VirtualMachineImages_ListOffers", "Offers of a publisher"
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
        ),
    ),
    Route(
        "image_version",
        f"{SKU}/versions/{{version}}",
        "Compute",
        IMAGES_TYPE,
        get=Operation(images.get_version, "VirtualMachineImages_Get", "One image version"),
        put=Operation(
            publishing.put_platform_image_version,
            "VirtualMachineImages_Publish",
            "Rollwright: publish the version in this location (and properties.regions); "
            "the newest of its SKU starts a release (T1)",
            (200, 201),
            PUBLICATION,
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
        ),
    ),
)

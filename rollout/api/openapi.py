"""The OpenAPI 3.0 description of the implemented ARM subset, built from the same body schemas
the parser uses. ``tests/rollout/api/test_openapi.py`` keeps its paths in step with the URL
routes, and the fuzz test generates requests from it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from rollout.api import bodies
from rollout.api.schema import Obj
from rollout.api.versions import (
    COMPUTE_VERSIONS,
    GALLERY_VERSIONS,
    OPERATION_VERSIONS,
    RESOURCE_VERSIONS,
)
from rollout.api.views.publishing import PUBLICATION

SUBSCRIPTION = "/subscriptions/{subscriptionId}"
GROUP = f"{SUBSCRIPTION}/resourceGroups/{{resourceGroupName}}"
COMPUTE = f"{GROUP}/providers/Microsoft.Compute"
SCALE_SET = f"{COMPUTE}/virtualMachineScaleSets/{{vmScaleSetName}}"
VM = f"{SCALE_SET}/virtualMachines/{{instanceId}}"
LOCATION = f"{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{{location}}"
PUBLISHER = f"{LOCATION}/publishers/{{publisherName}}"
OFFER = f"{PUBLISHER}/artifacttypes/vmimage/offers/{{offer}}"
SKU = f"{OFFER}/skus/{{skus}}"
GALLERY = f"{COMPUTE}/galleries/{{galleryName}}"
GALLERY_IMAGE = f"{GALLERY}/images/{{galleryImageName}}"


@dataclass(frozen=True)
class Operation:
    method: str
    operation_id: str
    summary: str
    responses: tuple[int, ...] = (200,)
    body: Obj | None = None
    query: tuple[str, ...] = ()
    long_running: bool = False


QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "$expand": {"type": "string", "maxLength": 100},
    "$filter": {"type": "string", "maxLength": 200},
    "$select": {"type": "string", "maxLength": 100},
    "$top": {"type": "integer", "minimum": 0},
    "$orderby": {"type": "string", "enum": ["name", "name asc", "name desc"]},
    "$skiptoken": {"type": "string", "pattern": "^[0-9]{1,9}$"},
    "monitor": {"type": "string", "enum": ["true", "false"]},
    "forceDeletion": {"type": "boolean"},
}

# path template → (api-version family, operations)
PATHS: dict[str, tuple[str, tuple[Operation, ...]]] = {
    GROUP: (
        "Resource",
        (
            Operation(
                "put",
                "ResourceGroups_CreateOrUpdate",
                "Create or update a resource group",
                (200, 201),
                bodies.RESOURCE_GROUP,
            ),
            Operation("get", "ResourceGroups_Get", "Get a resource group"),
            Operation(
                "head", "ResourceGroups_CheckExistence", "204 when it exists, else 404", (204, 404)
            ),
            Operation(
                "delete",
                "ResourceGroups_Delete",
                "Delete it and everything in it",
                (202,),
                long_running=True,
            ),
        ),
    ),
    f"{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachineScaleSets": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineScaleSets_ListAll",
                "Scale sets of the subscription",
                query=("$skiptoken",),
            ),
        ),
    ),
    f"{COMPUTE}/virtualMachineScaleSets": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineScaleSets_List",
                "Scale sets of the resource group",
                query=("$skiptoken",),
            ),
        ),
    ),
    SCALE_SET: (
        "Compute",
        (
            Operation(
                "put",
                "VirtualMachineScaleSets_CreateOrUpdate",
                "Create (201) or replace the stated fields (200)",
                (200, 201),
                bodies.SCALE_SET,
                long_running=True,
            ),
            Operation(
                "patch",
                "VirtualMachineScaleSets_Update",
                "Change the stated fields",
                (200,),
                bodies.SCALE_SET_UPDATE,
                long_running=True,
            ),
            Operation("get", "VirtualMachineScaleSets_Get", "Get a scale set", query=("$expand",)),
            Operation(
                "delete",
                "VirtualMachineScaleSets_Delete",
                "Delete a scale set",
                (202, 204),
                query=("forceDeletion",),
                long_running=True,
            ),
        ),
    ),
    f"{SCALE_SET}/instanceView": (
        "Compute",
        (Operation("get", "VirtualMachineScaleSets_GetInstanceView", "Status summary"),),
    ),
    f"{SCALE_SET}/virtualMachines": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineScaleSetVMs_List",
                "Instances of the scale set",
                query=("$expand", "$filter", "$select", "$skiptoken"),
            ),
        ),
    ),
    VM: (
        "Compute",
        (Operation("get", "VirtualMachineScaleSetVMs_Get", "One instance", query=("$expand",)),),
    ),
    f"{VM}/instanceView": (
        "Compute",
        (Operation("get", "VirtualMachineScaleSetVMs_GetInstanceView", "An instance's view"),),
    ),
    f"{SCALE_SET}/manualupgrade": (
        "Compute",
        (
            Operation(
                "post",
                "VirtualMachineScaleSets_UpdateInstances",
                "E5: bring instances to the latest model",
                (202,),
                bodies.INSTANCE_IDS,
                long_running=True,
            ),
        ),
    ),
    f"{SCALE_SET}/osRollingUpgrade": (
        "Compute",
        (
            Operation(
                "post",
                "VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade",
                "M1: upgrade every instance to the latest image version",
                (202,),
                long_running=True,
            ),
        ),
    ),
    f"{SCALE_SET}/rollingUpgrades/cancel": (
        "Compute",
        (
            Operation(
                "post",
                "VirtualMachineScaleSetRollingUpgrades_Cancel",
                "M2: cancel the running upgrade",
                (202,),
                long_running=True,
            ),
        ),
    ),
    f"{SCALE_SET}/rollingUpgrades/latest": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineScaleSetRollingUpgrades_GetLatest",
                "M2: the running or last upgrade",
            ),
        ),
    ),
    f"{SCALE_SET}/osUpgradeHistory": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineScaleSets_GetOSUpgradeHistory",
                "H1: the last five upgrades of the last two months",
                query=("$skiptoken",),
            ),
        ),
    ),
    f"{LOCATION}/publishers": (
        "Compute",
        (Operation("get", "VirtualMachineImages_ListPublishers", "Image publishers"),),
    ),
    f"{PUBLISHER}/artifacttypes/vmimage/offers": (
        "Compute",
        (Operation("get", "VirtualMachineImages_ListOffers", "Offers of a publisher"),),
    ),
    f"{OFFER}/skus": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineImages_ListSkus",
                "SKUs, with automatic OS upgrade support (E3)",
            ),
        ),
    ),
    f"{SKU}/versions": (
        "Compute",
        (
            Operation(
                "get",
                "VirtualMachineImages_List",
                "H2: versions (a bare JSON array)",
                query=("$expand", "$top", "$orderby"),
            ),
        ),
    ),
    f"{SKU}/versions/{{version}}": (
        "Compute",
        (
            Operation("get", "VirtualMachineImages_Get", "One image version"),
            Operation(
                "put",
                "VirtualMachineImages_Publish",
                "Rollwright: publish the version in this location (and properties.regions); "
                "the newest of its SKU starts a release (T1)",
                (200, 201),
                PUBLICATION,
            ),
        ),
    ),
    GALLERY: (
        "Gallery",
        (
            Operation(
                "put",
                "Galleries_CreateOrUpdate",
                "Create or update a gallery",
                (200, 201),
                bodies.GALLERY,
                long_running=True,
            ),
            Operation("get", "Galleries_Get", "Get a gallery"),
        ),
    ),
    GALLERY_IMAGE: (
        "Gallery",
        (
            Operation(
                "put",
                "GalleryImages_CreateOrUpdate",
                "Create an image definition",
                (200, 201),
                bodies.GALLERY_IMAGE,
                long_running=True,
            ),
            Operation("get", "GalleryImages_Get", "Get an image definition"),
        ),
    ),
    f"{GALLERY_IMAGE}/versions": (
        "Gallery",
        (
            Operation(
                "get",
                "GalleryImageVersions_ListByGalleryImage",
                "Versions of an image",
                query=("$skiptoken",),
            ),
        ),
    ),
    f"{GALLERY_IMAGE}/versions/{{galleryImageVersionName}}": (
        "Gallery",
        (
            Operation(
                "put",
                "GalleryImageVersions_CreateOrUpdate",
                "T4: publish a version and replicate it to target regions",
                (200, 201),
                bodies.GALLERY_IMAGE_VERSION,
                long_running=True,
            ),
            Operation(
                "get",
                "GalleryImageVersions_Get",
                "A version and its replication",
                query=("$expand",),
            ),
        ),
    ),
    f"{LOCATION}/operations/{{operationId}}": (
        "Operation",
        (
            Operation(
                "get",
                "Operations_GetStatus",
                "The Azure-AsyncOperation (or, with monitor=true, Location) resource",
                (200, 202),
                query=("monitor",),
            ),
        ),
    ),
}

VERSIONS = {
    "Compute": COMPUTE_VERSIONS,
    "Gallery": GALLERY_VERSIONS,
    "Resource": RESOURCE_VERSIONS,
    "Operation": OPERATION_VERSIONS,
}
CLOUD_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message"],
        }
    },
}


def _parameters(template: str, family: str, operation: Operation) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]
    parameters.append({"$ref": f"#/components/parameters/{family}ApiVersion"})
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": QUERY_PARAMETERS[name]}
        for name in operation.query
    ]
    return parameters


def _responses(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in operation.responses:
        response: dict[str, Any] = {"description": f"{status}"}
        if status in (200, 201) and operation.method not in ("head",):
            response["content"] = {"application/json": {"schema": {}}}
        if operation.long_running and status in (200, 201, 202):
            response["headers"] = {
                "Azure-AsyncOperation": {"schema": {"type": "string", "format": "uri"}}
            }
        responses[str(status)] = response
    responses["default"] = {
        "description": "ARM error envelope",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CloudError"}}},
    }
    return responses


@cache
def document() -> dict[str, Any]:
    components: dict[str, Any] = {"CloudError": CLOUD_ERROR}
    paths: dict[str, Any] = {}
    for template, (family, operations) in PATHS.items():
        item: dict[str, Any] = {}
        for operation in operations:
            spec: dict[str, Any] = {
                "operationId": operation.operation_id,
                "summary": operation.summary,
                "parameters": _parameters(template, family, operation),
                "responses": _responses(operation),
            }
            if operation.long_running:
                spec["x-ms-long-running-operation"] = True
            if operation.body is not None:
                spec["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": operation.body.openapi(components)}},
                }
            item[operation.method] = spec
        paths[template] = item
    parameters = {
        f"{family}ApiVersion": {
            "name": "api-version",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": sorted(versions, reverse=True)},
        }
        for family, versions in VERSIONS.items()
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Rollwright ARM-compatible API",
            "version": COMPUTE_VERSIONS[-1],
            "description": "The subset of Azure Resource Manager (Microsoft.Compute scale sets, "
            "rolling upgrades, images, galleries; Microsoft.Resources resource groups) that "
            "Rollwright serves to the official Azure SDK. Authenticate with "
            "'Authorization: Bearer <token>' (python manage.py create_api_token USER).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "parameters": parameters,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

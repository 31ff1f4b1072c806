"""The ARM routes. Paths match case-insensitively, as ARM's do (azure-mgmt-resource writes
``resourcegroups``, azure-mgmt-compute ``resourceGroups``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path
from django.urls.resolvers import LocaleRegexDescriptor, RegexPattern

from rollout.api.dispatch import Endpoint, not_found_view
from rollout.api.versions import (
    COMPUTE_VERSIONS,
    GALLERY_VERSIONS,
    OPERATION_VERSIONS,
    RESOURCE_VERSIONS,
)
from rollout.api.views import (
    gallery,
    images,
    instances,
    operations,
    publishing,
    resource_groups,
    scale_sets,
    upgrades,
)
from rollout.api.views.openapi import openapi_json

NAME = r"[^/]+"
SUBSCRIPTION = rf"subscriptions/(?P<subscription_id>{NAME})"
GROUP = rf"{SUBSCRIPTION}/resourceGroups/(?P<resource_group>{NAME})"
COMPUTE = rf"{GROUP}/providers/Microsoft\.Compute"
SCALE_SET = rf"{COMPUTE}/virtualMachineScaleSets/(?P<scale_set>{NAME})"
VM = rf"{SCALE_SET}/virtualMachines/(?P<instance_id>{NAME})"
LOCATION = rf"{SUBSCRIPTION}/providers/Microsoft\.Compute/locations/(?P<location>{NAME})"
PUBLISHER = rf"{LOCATION}/publishers/(?P<publisher>{NAME})"
OFFER = rf"{PUBLISHER}/artifacttypes/vmimage/offers/(?P<offer>{NAME})"
SKU = rf"{OFFER}/skus/(?P<sku>{NAME})"
GALLERY = rf"{COMPUTE}/galleries/(?P<gallery>{NAME})"
GALLERY_IMAGE = rf"{GALLERY}/images/(?P<image>{NAME})"

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
GALLERY_TYPE = "Microsoft.Compute/galleries"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "resource_group",
        GROUP,
        {
            "GET": resource_groups.get_resource_group,
            "HEAD": resource_groups.head_resource_group,
            "PUT": resource_groups.put_resource_group,
            "DELETE": resource_groups.delete_resource_group_view,
        },
        RESOURCE_VERSIONS,
        "Microsoft.Resources/subscriptions/resourceGroups",
    ),
    Endpoint(
        "scale_sets_in_subscription",
        rf"{SUBSCRIPTION}/providers/Microsoft\.Compute/virtualMachineScaleSets",
        {"GET": scale_sets.list_in_subscription},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "scale_sets_in_resource_group",
        rf"{COMPUTE}/virtualMachineScaleSets",
        {"GET": scale_sets.list_in_resource_group},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "scale_set",
        SCALE_SET,
        {
            "GET": scale_sets.get_scale_set,
            "PUT": scale_sets.put_scale_set,
            "PATCH": scale_sets.patch_scale_set,
            "DELETE": scale_sets.delete_scale_set_view,
        },
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "scale_set_instance_view",
        rf"{SCALE_SET}/instanceView",
        {"GET": scale_sets.get_instance_view},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "virtual_machines",
        rf"{SCALE_SET}/virtualMachines",
        {"GET": instances.list_vms},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "virtual_machine",
        VM,
        {"GET": instances.get_vm},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "virtual_machine_instance_view",
        rf"{VM}/instanceView",
        {"GET": instances.get_vm_instance_view},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "manual_upgrade",
        rf"{SCALE_SET}/manualupgrade",
        {"POST": instances.manual_upgrade},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "os_rolling_upgrade",
        rf"{SCALE_SET}/osRollingUpgrade",
        {"POST": upgrades.start_os_rolling_upgrade},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "cancel_rolling_upgrade",
        rf"{SCALE_SET}/rollingUpgrades/cancel",
        {"POST": upgrades.cancel_rolling_upgrade},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "latest_rolling_upgrade",
        rf"{SCALE_SET}/rollingUpgrades/latest",
        {"GET": upgrades.latest_rolling_upgrade},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "os_upgrade_history",
        rf"{SCALE_SET}/osUpgradeHistory",
        {"GET": upgrades.os_upgrade_history_view},
        COMPUTE_VERSIONS,
        VMSS_TYPE,
    ),
    Endpoint(
        "image_publishers",
        rf"{LOCATION}/publishers",
        {"GET": images.list_publishers},
        COMPUTE_VERSIONS,
        "Microsoft.Compute/locations/publishers",
    ),
    Endpoint(
        "image_offers",
        rf"{PUBLISHER}/artifacttypes/vmimage/offers",
        {"GET": images.list_offers},
        COMPUTE_VERSIONS,
        "Microsoft.Compute/locations/publishers",
    ),
    Endpoint(
        "image_skus",
        rf"{OFFER}/skus",
        {"GET": images.list_skus},
        COMPUTE_VERSIONS,
        "Microsoft.Compute/locations/publishers",
    ),
    Endpoint(
        "image_versions",
        rf"{SKU}/versions",
        {"GET": images.list_versions},
        COMPUTE_VERSIONS,
        "Microsoft.Compute/locations/publishers",
    ),
    Endpoint(
        "image_version",
        rf"{SKU}/versions/(?P<version>{NAME})",
        {"GET": images.get_version, "PUT": publishing.put_platform_image_version},
        COMPUTE_VERSIONS,
        "Microsoft.Compute/locations/publishers",
    ),
    Endpoint(
        "gallery",
        GALLERY,
        {"GET": gallery.get_gallery_view, "PUT": gallery.put_gallery},
        GALLERY_VERSIONS,
        GALLERY_TYPE,
    ),
    Endpoint(
        "gallery_image",
        GALLERY_IMAGE,
        {"GET": gallery.get_gallery_image_view, "PUT": gallery.put_gallery_image},
        GALLERY_VERSIONS,
        f"{GALLERY_TYPE}/images",
    ),
    Endpoint(
        "gallery_image_versions",
        rf"{GALLERY_IMAGE}/versions",
        {"GET": gallery.list_gallery_image_versions},
        GALLERY_VERSIONS,
        f"{GALLERY_TYPE}/images/versions",
    ),
    Endpoint(
        "gallery_image_version",
        rf"{GALLERY_IMAGE}/versions/(?P<version>{NAME})",
        {
            "GET": gallery.get_gallery_image_version,
            "PUT": gallery.put_gallery_image_version,
        },
        GALLERY_VERSIONS,
        f"{GALLERY_TYPE}/images/versions",
    ),
    Endpoint(
        "operation_status",
        rf"{LOCATION}/operations/(?P<operation_id>{NAME})",
        {"GET": operations.get_operation_status},
        OPERATION_VERSIONS,
        "Microsoft.Compute/locations/operations",
    ),
)


class CaseInsensitiveRegexDescriptor(LocaleRegexDescriptor):
    def _compile(self, regex: str) -> re.Pattern[str]:
        return re.compile(regex, re.IGNORECASE | re.DOTALL)


class CaseInsensitivePattern(RegexPattern):
    """A regex route matched case-insensitively (ARM paths are), newlines included.

    Inline ``(?i)`` flags would match the same, but Django's ``reverse`` cannot normalise them,
    and one such pattern breaks every ``reverse`` of the site (the admin's). Django 5.2
    compiles a pattern in its ``regex`` descriptor, so the flags go there.
    """

    regex = CaseInsensitiveRegexDescriptor()


def ci_path(regex: str, view: Callable[..., Any], name: str) -> URLPattern:
    return URLPattern(CaseInsensitivePattern(regex, name=name, is_endpoint=True), view, name=name)


urlpatterns: list[URLPattern] = [
    path("openapi.json", openapi_json, name="arm-openapi"),
    *(
        ci_path(rf"^{endpoint.pattern}/?$", endpoint.view(), name=f"arm-{endpoint.name}")
        for endpoint in ENDPOINTS
    ),
    ci_path(r"^subscriptions(?:/.*)?$", not_found_view(), name="arm-not-found"),
]

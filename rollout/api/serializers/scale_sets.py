"""VirtualMachineScaleSet (arm-shapes §1) with every upgradePolicy field and Azure's defaults."""

from __future__ import annotations

from typing import Any

from orchestrator.policy import format_duration
from rollout.models import Extension, ImageKind, OsType, PatchMode, ScaleSet
from rollout.services.wire import arm_time

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
EXTENSION_TYPE = "Microsoft.Compute/virtualMachineScaleSets/extensions"
# What every scale set read needs in one query (the ARM ids walk up to the subscription).
SCALE_SET_RELATED = (
    "resource_group__subscription",
    "location",
    "health_probe__load_balancer__resource_group__subscription",
    "gallery_image__gallery__resource_group__subscription",
)


def image_reference(scale_set: ScaleSet) -> dict[str, Any]:
    """The model's ``imageReference``: platform names, or a gallery / custom image id."""
    if scale_set.image_kind == ImageKind.PLATFORM:
        return {
            "publisher": scale_set.image_publisher,
            "offer": scale_set.image_offer,
            "sku": scale_set.image_sku,
            "version": scale_set.image_version,
        }
    if scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image is not None:
        image_id = scale_set.gallery_image.arm_id
        if scale_set.image_version.lower() != "latest":
            image_id += f"/versions/{scale_set.image_version}"
        return {"id": image_id}
    return {"id": scale_set.custom_image_id}


def upgrade_policy(scale_set: ScaleSet) -> dict[str, Any]:
    return {
        "mode": scale_set.upgrade_mode,
        "rollingUpgradePolicy": {
            "maxBatchInstancePercent": scale_set.max_batch_instance_percent,
            "maxUnhealthyInstancePercent": scale_set.max_unhealthy_instance_percent,
            "maxUnhealthyUpgradedInstancePercent": (
                scale_set.max_unhealthy_upgraded_instance_percent
            ),
            "pauseTimeBetweenBatches": format_duration(scale_set.pause_time_between_batches),
            "enableCrossZoneUpgrade": scale_set.enable_cross_zone_upgrade,
            "prioritizeUnhealthyInstances": scale_set.prioritize_unhealthy_instances,
            "rollbackFailedInstancesOnPolicyBreach": (
                scale_set.rollback_failed_instances_on_policy_breach
            ),
            "maxSurge": scale_set.max_surge,
        },
        "automaticOSUpgradePolicy": {
            "enableAutomaticOSUpgrade": scale_set.enable_automatic_os_upgrade,
            "disableAutomaticRollback": scale_set.disable_automatic_rollback,
            "useRollingUpgradePolicy": scale_set.use_rolling_upgrade_policy,
            "osRollingUpgradeDeferral": scale_set.os_rolling_upgrade_deferral,
        },
    }


def os_profile(scale_set: ScaleSet) -> dict[str, Any]:
    """``customData`` and passwords are never returned, as Azure never returns them."""
    profile: dict[str, Any] = {
        "computerNamePrefix": scale_set.computer_name_prefix,
        "adminUsername": scale_set.admin_username,
    }
    patch = {"patchMode": scale_set.patch_mode} if scale_set.patch_mode != PatchMode.NOT_SET else {}
    if scale_set.os_type == OsType.WINDOWS:
        windows: dict[str, Any] = {"enableAutomaticUpdates": scale_set.enable_automatic_updates}
        if patch:
            windows["patchSettings"] = patch
        profile["windowsConfiguration"] = windows
    elif patch:
        profile["linuxConfiguration"] = {"patchSettings": patch}
    return profile


def extension_wire(scale_set: ScaleSet, extension: Extension) -> dict[str, Any]:
    """Protected settings are write-only, as in Azure."""
    return {
        "id": f"{scale_set.arm_id}/extensions/{extension.name}",
        "name": extension.name,
        "type": EXTENSION_TYPE,
        "properties": {
            "publisher": extension.publisher,
            "type": extension.extension_type,
            "typeHandlerVersion": extension.type_handler_version,
            "autoUpgradeMinorVersion": extension.auto_upgrade_minor_version,
            "settings": extension.settings,
            "provisionAfterExtensions": list(extension.provision_after_extensions),
            "provisioningState": "Succeeded",
        },
    }


def scale_set_wire(scale_set: ScaleSet, *, provisioning_state: str | None = None) -> dict[str, Any]:
    """GET, list item and the body of a PUT/PATCH answer (``provisioning_state`` overrides
    the stored state there, e.g. ``Creating``, as Azure's first answer says)."""
    network: dict[str, Any] = {}
    if scale_set.health_probe is not None:
        network["healthProbe"] = {"id": scale_set.health_probe.arm_id}
    extensions = sorted(scale_set.extensions.all(), key=lambda e: (e.position, e.name))
    body: dict[str, Any] = {
        "id": scale_set.arm_id,
        "name": scale_set.name,
        "type": SCALE_SET_TYPE,
        "location": scale_set.location.name,
        "tags": scale_set.tags,
        "sku": {
            "name": scale_set.sku_name,
            "tier": scale_set.sku_tier,
            "capacity": scale_set.capacity,
        },
    }
    if scale_set.zones:
        body["zones"] = list(scale_set.zones)
    body["properties"] = {
        "singlePlacementGroup": scale_set.single_placement_group,
        "platformFaultDomainCount": scale_set.platform_fault_domain_count,
        "orchestrationMode": "Uniform",
        "upgradePolicy": upgrade_policy(scale_set),
        "virtualMachineProfile": {
            "osProfile": os_profile(scale_set),
            "storageProfile": {"imageReference": image_reference(scale_set)},
            "networkProfile": network,
            "extensionProfile": {
                "extensions": [extension_wire(scale_set, extension) for extension in extensions]
            },
        },
        "provisioningState": provisioning_state or scale_set.provisioning_state,
        "uniqueId": str(scale_set.unique_id),
        "timeCreated": arm_time(scale_set.time_created),
    }
    return body

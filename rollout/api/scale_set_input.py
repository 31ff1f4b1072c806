"""From a parsed scale set body (PUT or PATCH) to the services' ``ModelInput``.

Only what the request states becomes a field: absent members leave the model as it is, and a
creation fills Azure's defaults in (the model's field defaults).
"""

from __future__ import annotations

from typing import Any

from rollout.models import ImageKind
from rollout.services.scale_sets.creation import ModelInput, credential_expiry
from rollout.services.scale_sets.updates import ExtensionSpec

ROLLING_FIELDS = {
    "maxBatchInstancePercent": "max_batch_instance_percent",
    "maxUnhealthyInstancePercent": "max_unhealthy_instance_percent",
    "maxUnhealthyUpgradedInstancePercent": "max_unhealthy_upgraded_instance_percent",
    "pauseTimeBetweenBatches": "pause_time_between_batches",
    "enableCrossZoneUpgrade": "enable_cross_zone_upgrade",
    "prioritizeUnhealthyInstances": "prioritize_unhealthy_instances",
    "rollbackFailedInstancesOnPolicyBreach": "rollback_failed_instances_on_policy_breach",
    "maxSurge": "max_surge",
}
AUTOMATIC_FIELDS = {
    "enableAutomaticOSUpgrade": "enable_automatic_os_upgrade",
    "disableAutomaticRollback": "disable_automatic_rollback",
    "useRollingUpgradePolicy": "use_rolling_upgrade_policy",
    "osRollingUpgradeDeferral": "os_rolling_upgrade_deferral",
}
SKU_FIELDS = {"name": "sku_name", "tier": "sku_tier", "capacity": "capacity"}
PLATFORM_IMAGE_FIELDS = {
    "publisher": "image_publisher",
    "offer": "image_offer",
    "sku": "image_sku",
    "version": "image_version",
}


def _copy(source: dict[str, Any], names: dict[str, str], into: dict[str, Any]) -> None:
    for wire, field in names.items():
        if wire in source:
            into[field] = source[wire]


def model_input(body: dict[str, Any]) -> ModelInput:
    """The model a parsed ``VirtualMachineScaleSet`` or ``...Update`` body states."""
    model = ModelInput()
    fields = model.fields
    _copy(body.get("sku", {}), SKU_FIELDS, fields)
    if "zones" in body:
        fields["zones"] = list(body["zones"])
    if "tags" in body:
        fields["tags"] = body["tags"]
    properties = body.get("properties", {})
    if "singlePlacementGroup" in properties:
        fields["single_placement_group"] = properties["singlePlacementGroup"]
    if "platformFaultDomainCount" in properties:
        fields["platform_fault_domain_count"] = properties["platformFaultDomainCount"]
    policy = properties.get("upgradePolicy", {})
    if "mode" in policy:
        fields["upgrade_mode"] = policy["mode"]
    _copy(policy.get("rollingUpgradePolicy", {}), ROLLING_FIELDS, fields)
    _copy(policy.get("automaticOSUpgradePolicy", {}), AUTOMATIC_FIELDS, fields)
    profile = properties.get("virtualMachineProfile", {})
    _read_os_profile(profile.get("osProfile", {}), model)
    _read_image_reference(profile.get("storageProfile", {}).get("imageReference"), model)
    network = profile.get("networkProfile", {})
    if "healthProbe" in network:
        model.health_probe_given = True
        probe = network["healthProbe"]
        model.health_probe_id = probe["id"] if probe is not None else None
    extension_profile = profile.get("extensionProfile", {})
    if "extensions" in extension_profile:
        model.extensions = [_extension_spec(item) for item in extension_profile["extensions"]]
    return model


def _read_os_profile(os_profile: dict[str, Any], model: ModelInput) -> None:
    fields = model.fields
    if "computerNamePrefix" in os_profile:
        fields["computer_name_prefix"] = os_profile["computerNamePrefix"]
    if "adminUsername" in os_profile:
        fields["admin_username"] = os_profile["adminUsername"]
    if "customData" in os_profile:
        fields["custom_data"] = os_profile["customData"]
    windows = os_profile.get("windowsConfiguration")
    if windows is not None:
        model.windows_configuration_given = True
        if "enableAutomaticUpdates" in windows:
            fields["enable_automatic_updates"] = windows["enableAutomaticUpdates"]
        if "patchMode" in windows.get("patchSettings", {}):
            fields["patch_mode"] = windows["patchSettings"]["patchMode"]
    linux = os_profile.get("linuxConfiguration")
    if linux is not None and "patchMode" in linux.get("patchSettings", {}):
        fields["patch_mode"] = linux["patchSettings"]["patchMode"]


def _read_image_reference(reference: dict[str, Any] | None, model: ModelInput) -> None:
    if reference is None:
        return
    if "id" in reference:
        # A gallery image is pinned in its id (…/versions/x), never with `version`; the
        # service refuses the pair with Azure's words.
        model.image_id = reference["id"]
        model.image_id_with = tuple(name for name in PLATFORM_IMAGE_FIELDS if name in reference)
        return
    if any(name in reference for name in PLATFORM_IMAGE_FIELDS):
        model.fields["image_kind"] = ImageKind.PLATFORM
        _copy(reference, PLATFORM_IMAGE_FIELDS, model.fields)


def _extension_spec(item: dict[str, Any]) -> ExtensionSpec:
    properties = item["properties"]
    settings = properties.get("settings", {})
    protected = properties.get("protectedSettings", {})
    return ExtensionSpec(
        name=item["name"],
        publisher=properties["publisher"],
        extension_type=properties["type"],
        type_handler_version=properties["typeHandlerVersion"],
        auto_upgrade_minor_version=properties.get("autoUpgradeMinorVersion", True),
        settings=settings,
        protected_settings=protected,
        provision_after_extensions=list(properties.get("provisionAfterExtensions", [])),
        credential_expires_at=credential_expiry([settings, protected]),
    )

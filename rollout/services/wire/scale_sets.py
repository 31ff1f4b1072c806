"""The field tables of a scale set (``VirtualMachineScaleSet``) and of its extensions.

Wire paths start at the resource's root. The upgrade policies' rows come from the engine's
policy dataclasses (``orchestrator.policy``), whose attributes name the model fields: a new
``rollingUpgradePolicy`` member is a field there plus its model field and migration.
"""

from __future__ import annotations

from orchestrator.policy import AutomaticOSUpgradePolicy, RollingUpgradePolicy
from rollout.models import Extension, ScaleInRule, ScaleSet, UpgradeMode
from rollout.services.wire.arm import API_ENTITY_REFERENCE, ARM_ID, LOCATION, TAGS
from rollout.services.wire.fields import Change, Field, FieldTable, Via, policy_fields
from rollout.services.wire.schema import Arr, Base64, Bool, Enum, Int, JsonObject, Nullable, Str

UPGRADE_POLICY = "properties.upgradePolicy"
ROLLING_UPGRADE_POLICY = f"{UPGRADE_POLICY}.rollingUpgradePolicy"
AUTOMATIC_OS_UPGRADE_POLICY = f"{UPGRADE_POLICY}.automaticOSUpgradePolicy"
VM_PROFILE = "properties.virtualMachineProfile"
OS_PROFILE = f"{VM_PROFILE}.osProfile"
WINDOWS = f"{OS_PROFILE}.windowsConfiguration"
LINUX = f"{OS_PROFILE}.linuxConfiguration"
IMAGE_REFERENCE = f"{VM_PROFILE}.storageProfile.imageReference"
NETWORK_PROFILE = f"{VM_PROFILE}.networkProfile"
SCALE_IN_POLICY = "properties.scaleInPolicy"
USER_DATA_BYTES = 64 * 1024  # Azure: userData is at most 64 KB

MAX_CAPACITY = 1000
ZONE = Str(5, min_length=1, pattern=r"[0-9]{1,5}", description="a zone number such as 1.")
CREATE_ONLY, FIXED = Change.CREATE_ONLY, Change.FIXED
CODE, NONE = Via.CODE, Via.NONE

SCALE_SET_FIELDS = FieldTable(
    ScaleSet,
    Field(None, "resource_group", via=NONE, change=FIXED),  # in the path
    Field("name", "name", via=CODE, change=FIXED),  # in the path
    Field(
        "location",
        "location",
        LOCATION,
        via=CODE,
        change=CREATE_ONLY,
        in_update=False,
        required=True,
    ),
    Field("tags", "tags", TAGS),
    Field("sku.name", "sku_name", Str(64, min_length=1)),
    Field("sku.tier", "sku_tier", Str(20), change=CREATE_ONLY),
    Field("sku.capacity", "capacity", Int(0, MAX_CAPACITY)),
    Field("zones", "zones", Arr(ZONE, 3), omit_empty=True),
    Field("properties.singlePlacementGroup", "single_placement_group", Bool()),
    Field(
        "properties.platformFaultDomainCount",
        "platform_fault_domain_count",
        Int(1, 5),
        change=CREATE_ONLY,
        in_update=False,
    ),
    Field(f"{UPGRADE_POLICY}.mode", "upgrade_mode", Enum(tuple(UpgradeMode.values))),
    *policy_fields(ROLLING_UPGRADE_POLICY, RollingUpgradePolicy),
    *policy_fields(AUTOMATIC_OS_UPGRADE_POLICY, AutomaticOSUpgradePolicy),
    Field(
        f"{OS_PROFILE}.computerNamePrefix",
        "computer_name_prefix",
        Str(15, min_length=1),
        change=CREATE_ONLY,
        in_update=False,
    ),
    Field(f"{OS_PROFILE}.adminUsername", "admin_username", Str(64, min_length=1), in_update=False),
    Field(f"{OS_PROFILE}.customData", "custom_data", Base64(65535), write_only=True),
    Field(None, "os_type", via=NONE, change=FIXED),  # the image's
    # userData: returned only with $expand=userData (the serializer adds it then).
    Field(f"{VM_PROFILE}.userData", "user_data", Base64(USER_DATA_BYTES), write_only=True),
    # scaleInPolicy: Azure takes a list, of one rule today (orchestrator.scale_in).
    Field(
        f"{SCALE_IN_POLICY}.rules",
        "scale_in_rule",
        Arr(Enum(tuple(rule.value for rule in ScaleInRule)), 1, min_items=1),
        via=CODE,
    ),
    Field(f"{SCALE_IN_POLICY}.forceDeletion", "scale_in_force_deletion", Bool()),
    # Windows only: written for a Windows scale set, read when a request states it.
    Field(f"{WINDOWS}.enableAutomaticUpdates", "enable_automatic_updates", Bool(), via=CODE),
    Field(
        f"{WINDOWS}.patchSettings.patchMode",
        "patch_mode",
        Enum(("Manual", "AutomaticByOS", "AutomaticByPlatform")),
        via=CODE,
    ),
    Field(
        f"{LINUX}.patchSettings.patchMode",
        "patch_mode",
        Enum(("ImageDefault", "AutomaticByPlatform")),
        via=CODE,
    ),
    # imageReference: platform names, or the id of a gallery image or a custom image.
    Field(IMAGE_REFERENCE, "image_kind", via=CODE),
    Field(f"{IMAGE_REFERENCE}.publisher", "image_publisher", Str(100), via=CODE),
    Field(f"{IMAGE_REFERENCE}.offer", "image_offer", Str(100), via=CODE),
    Field(f"{IMAGE_REFERENCE}.sku", "image_sku", Str(100), via=CODE),
    Field(f"{IMAGE_REFERENCE}.version", "image_version", Str(64, min_length=1), via=CODE),
    Field(f"{IMAGE_REFERENCE}.id", "gallery_image", ARM_ID, via=CODE),
    Field(f"{IMAGE_REFERENCE}.id", "custom_image_id", ARM_ID, via=CODE),
    Field(
        f"{NETWORK_PROFILE}.healthProbe",
        "health_probe",
        Nullable(API_ENTITY_REFERENCE),
        via=CODE,
    ),
    # The cluster side of a Service Fabric node type (E2): set in the admin.
    Field(None, "service_fabric_cluster_durability", via=NONE),
    Field(None, "service_fabric_stateless", via=NONE),
    Field("properties.provisioningState", "provisioning_state", via=CODE, change=FIXED),
    Field("properties.uniqueId", "unique_id", via=CODE, change=FIXED),
    Field("properties.timeCreated", "time_created", via=CODE, change=FIXED),
    Field(None, "model_version", via=NONE, change=FIXED),
    Field(None, "auto_upgrade_first_enabled_at", via=NONE, change=FIXED),
    Field(None, "updated_at", via=NONE, change=FIXED),
)

# An extension of the model's extension profile; the profile's list replaces the whole set.
EXTENSION_FIELDS = FieldTable(
    Extension,
    Field(None, "scale_set", via=NONE, change=FIXED),
    Field("name", "name", Str(100, min_length=1), required=True),
    Field("properties.publisher", "publisher", Str(100, min_length=1), required=True),
    Field("properties.type", "extension_type", Str(100, min_length=1), required=True),
    Field(
        "properties.typeHandlerVersion",
        "type_handler_version",
        Str(20, min_length=1),
        required=True,
    ),
    Field("properties.autoUpgradeMinorVersion", "auto_upgrade_minor_version", Bool()),
    Field("properties.settings", "settings", JsonObject()),
    Field("properties.protectedSettings", "protected_settings", JsonObject(), write_only=True),
    Field(
        "properties.provisionAfterExtensions",
        "provision_after_extensions",
        Arr(Str(100), 50),
    ),
    Field(None, "credential_expires_at", via=NONE, change=FIXED),  # U9: from the settings
    Field(None, "position", via=NONE, change=FIXED),  # the order of the list
)

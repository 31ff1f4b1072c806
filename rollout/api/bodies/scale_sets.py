"""``VirtualMachineScaleSet`` (PUT) and ``VirtualMachineScaleSetUpdate`` (PATCH), built on the
scale set's field table, and the instance ids of ``manualupgrade``."""

from __future__ import annotations

from rollout.services.wire.arm import READ_ONLY_RESOURCE
from rollout.services.wire.scale_sets import (
    AUTOMATIC_OS_UPGRADE_POLICY,
    EXTENSION_FIELDS,
    IMAGE_REFERENCE,
    LINUX,
    NETWORK_PROFILE,
    OS_PROFILE,
    ROLLING_UPGRADE_POLICY,
    SCALE_IN_POLICY,
    SCALE_SET_FIELDS,
    UPGRADE_POLICY,
    VM_PROFILE,
    WINDOWS,
)
from rollout.services.wire.schema import Arr, Enum, Obj, Str

F = SCALE_SET_FIELDS
UPGRADE_POLICY_BODY = F.obj(
    "UpgradePolicy",
    UPGRADE_POLICY,
    members={
        "rollingUpgradePolicy": F.obj("RollingUpgradePolicy", ROLLING_UPGRADE_POLICY),
        "automaticOSUpgradePolicy": F.obj("AutomaticOSUpgradePolicy", AUTOMATIC_OS_UPGRADE_POLICY),
    },
)
SKU = F.obj("Sku", "sku")
IMAGE_REFERENCE_BODY = F.obj(
    "ImageReference",
    IMAGE_REFERENCE,
    tolerated=frozenset({"exactVersion"}),
    unsupported=frozenset({"sharedGalleryImageId", "communityGalleryImageId"}),
)
WINDOWS_CONFIGURATION = F.obj(
    "WindowsConfiguration",
    WINDOWS,
    members={
        "patchSettings": F.obj(
            "PatchSettings",
            f"{WINDOWS}.patchSettings",
            tolerated=frozenset(
                {"assessmentMode", "automaticByPlatformSettings", "enableHotpatching"}
            ),
        )
    },
    tolerated=frozenset(
        {
            "additionalUnattendContent",
            "enableVMAgentPlatformUpdates",
            "provisionVMAgent",
            "timeZone",
            "winRM",
        }
    ),
)
LINUX_CONFIGURATION = F.obj(
    "LinuxConfiguration",
    LINUX,
    members={
        "patchSettings": F.obj(
            "LinuxPatchSettings",
            f"{LINUX}.patchSettings",
            tolerated=frozenset({"assessmentMode", "automaticByPlatformSettings"}),
        )
    },
    tolerated=frozenset(
        {"disablePasswordAuthentication", "enableVMAgentPlatformUpdates", "provisionVMAgent", "ssh"}
    ),
)
OS_CONFIGURATIONS = {
    "windowsConfiguration": WINDOWS_CONFIGURATION,
    "linuxConfiguration": LINUX_CONFIGURATION,
}
OS_PROFILE_BODY = F.obj(
    "VirtualMachineScaleSetOSProfile",
    OS_PROFILE,
    members={"adminPassword": Str(123), **OS_CONFIGURATIONS},  # the password is not kept
    tolerated=frozenset({"allowExtensionOperations", "requireGuestProvisionSignal", "secrets"}),
)
UPDATE_OS_PROFILE = F.obj(
    "VirtualMachineScaleSetUpdateOSProfile",
    OS_PROFILE,
    update=True,
    members=OS_CONFIGURATIONS,
    tolerated=frozenset({"secrets"}),
)
STORAGE_PROFILE_TOLERATED = frozenset(
    {"dataDisks", "diskApiVersion", "diskControllerType", "osDisk"}
)
STORAGE_PROFILE = Obj(
    "VirtualMachineScaleSetStorageProfile",
    {"imageReference": IMAGE_REFERENCE_BODY},
    tolerated=STORAGE_PROFILE_TOLERATED,
)
UPDATE_STORAGE_PROFILE = Obj(
    "VirtualMachineScaleSetUpdateStorageProfile",
    {"imageReference": IMAGE_REFERENCE_BODY},
    tolerated=STORAGE_PROFILE_TOLERATED,
)
NETWORK_PROFILE_TOLERATED = frozenset(
    {"interconnectGroupProfile", "networkApiVersion", "networkInterfaceConfigurations"}
)
NETWORK_PROFILE_BODY = F.obj(
    "VirtualMachineScaleSetNetworkProfile", NETWORK_PROFILE, tolerated=NETWORK_PROFILE_TOLERATED
)
UPDATE_NETWORK_PROFILE = F.obj(
    "VirtualMachineScaleSetUpdateNetworkProfile",
    NETWORK_PROFILE,
    update=True,
    tolerated=NETWORK_PROFILE_TOLERATED,
)
EXTENSION = EXTENSION_FIELDS.obj(
    "VirtualMachineScaleSetExtension",
    members={
        "properties": EXTENSION_FIELDS.obj(
            "VirtualMachineScaleSetExtensionProperties",
            "properties",
            tolerated=frozenset(
                {
                    "enableAutomaticUpgrade",
                    "forceUpdateTag",
                    "protectedSettingsFromKeyVault",
                    "provisioningState",
                    "suppressFailures",
                }
            ),
        )
    },
    required=("properties",),
    tolerated=frozenset({"id", "type"}),
)
EXTENSION_PROFILE = Obj(
    "VirtualMachineScaleSetExtensionProfile",
    {"extensions": Arr(EXTENSION, 50)},
    tolerated=frozenset({"extensionsTimeBudget"}),
)
VM_PROFILE_TOLERATED = frozenset(
    {
        "billingProfile",
        "diagnosticsProfile",
        "hardwareProfile",
        "interconnectBlockProfile",
        "licenseType",
        "scheduledEventsProfile",
        "securityPostureReference",
        "securityProfile",
    }
)
VM_PROFILE_BODY = F.obj(
    "VirtualMachineScaleSetVMProfile",
    VM_PROFILE,
    members={
        "osProfile": OS_PROFILE_BODY,
        "storageProfile": STORAGE_PROFILE,
        "networkProfile": NETWORK_PROFILE_BODY,
        "extensionProfile": EXTENSION_PROFILE,
    },
    tolerated=VM_PROFILE_TOLERATED
    | {
        "applicationProfile",
        "capacityReservation",
        "evictionPolicy",
        "priority",
        "serviceArtifactReference",
        "timeCreated",
    },
)
UPDATE_VM_PROFILE = F.obj(
    "VirtualMachineScaleSetUpdateVMProfile",
    VM_PROFILE,
    update=True,
    members={
        "osProfile": UPDATE_OS_PROFILE,
        "storageProfile": UPDATE_STORAGE_PROFILE,
        "networkProfile": UPDATE_NETWORK_PROFILE,
        "extensionProfile": EXTENSION_PROFILE,
    },
    tolerated=VM_PROFILE_TOLERATED,
)
PROPERTIES_TOLERATED = frozenset(
    {
        "additionalCapabilities",
        "automaticRepairsPolicy",
        "doNotRunExtensionsOnOverprovisionedVMs",
        "lifecycleHooksProfile",
        "overprovision",
        "priorityMixPolicy",
        "proximityPlacementGroup",
        "resiliencyPolicy",
        "skuProfile",
        "spotRestorePolicy",
        "zonalPlatformFaultDomainAlignMode",
    }
)
SCALE_IN_POLICY_BODY = F.obj(
    "ScaleInPolicy", SCALE_IN_POLICY, tolerated=frozenset({"prioritizeUnhealthyVMs"})
)
PROPERTIES = F.obj(
    "VirtualMachineScaleSetProperties",
    "properties",
    members={
        "scaleInPolicy": SCALE_IN_POLICY_BODY,
        "upgradePolicy": UPGRADE_POLICY_BODY,
        "virtualMachineProfile": VM_PROFILE_BODY,
        "orchestrationMode": Enum(("Uniform",)),
    },
    tolerated=PROPERTIES_TOLERATED
    | {
        "constrainedMaximumCapacity",
        "externalHealthPolicy",
        "highSpeedInterconnectPlacement",
        "hostGroup",
        "provisioningState",
        "scheduledEventsPolicy",
        "timeCreated",
        "uniqueId",
        "zoneBalance",
    },
)
UPDATE_PROPERTIES = F.obj(
    "VirtualMachineScaleSetUpdateProperties",
    "properties",
    update=True,
    members={
        "scaleInPolicy": SCALE_IN_POLICY_BODY,
        "upgradePolicy": UPGRADE_POLICY_BODY,
        "virtualMachineProfile": UPDATE_VM_PROFILE,
    },
    tolerated=PROPERTIES_TOLERATED,
)
SCALE_SET = F.obj(
    "VirtualMachineScaleSet",
    members={"sku": SKU, "properties": PROPERTIES},
    tolerated=READ_ONLY_RESOURCE | {"extendedLocation", "identity", "placement", "plan"},
)
SCALE_SET_UPDATE = F.obj(
    "VirtualMachineScaleSetUpdate",
    update=True,
    members={"sku": SKU, "properties": UPDATE_PROPERTIES},
    tolerated=frozenset({"identity", "placement", "plan"}),
)
INSTANCE_ID = Str(10, min_length=1, pattern=r"[0-9]{1,10}", description="an instance id.")
# S2 approveRollingUpgrade: optional; without instanceIds, every instance awaiting approval.
OPTIONAL_INSTANCE_IDS = Obj(
    "VirtualMachineScaleSetVMInstanceIDs", {"instanceIds": Arr(INSTANCE_ID, 1000)}
)
INSTANCE_IDS = Obj(
    "VirtualMachineScaleSetVMInstanceRequiredIDs",
    {"instanceIds": Arr(INSTANCE_ID, 1000, min_items=1)},
    required=("instanceIds",),
)

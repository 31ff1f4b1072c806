"""Request bodies, described once: the parser reads them and ``openapi`` publishes them.

Member names are Azure's (azure-mgmt-compute 39 ``rest_field`` names). Members Azure has but
Rollwright does not model are ``tolerated``: accepted, ignored, and never echoed back.
"""

from __future__ import annotations

from datetime import timedelta

from rollout.api.schema import (
    Arr,
    Base64,
    Bool,
    DateTime,
    Duration,
    Enum,
    Int,
    JsonObject,
    Nullable,
    Obj,
    Str,
    StrMap,
)
from rollout.models import OsType, UpgradeMode

READ_ONLY_RESOURCE = frozenset({"id", "name", "type", "etag", "systemData"})
ARM_ID = Str(600)
LOCATION = Str(50, min_length=1)
ZONE = Str(5, min_length=1, pattern=r"[0-9]{1,5}", description="a zone number such as 1.")
TAGS = StrMap()

ROLLING_UPGRADE_POLICY = Obj(
    "RollingUpgradePolicy",
    {
        "maxBatchInstancePercent": Int(5, 100),
        "maxUnhealthyInstancePercent": Int(5, 100),
        "maxUnhealthyUpgradedInstancePercent": Int(0, 100),
        "pauseTimeBetweenBatches": Duration(timedelta(hours=24)),
        "enableCrossZoneUpgrade": Bool(),
        "prioritizeUnhealthyInstances": Bool(),
        "rollbackFailedInstancesOnPolicyBreach": Bool(),
        "maxSurge": Bool(),
    },
)
AUTOMATIC_OS_UPGRADE_POLICY = Obj(
    "AutomaticOSUpgradePolicy",
    {
        "enableAutomaticOSUpgrade": Bool(),
        "disableAutomaticRollback": Bool(),
        "useRollingUpgradePolicy": Bool(),
        "osRollingUpgradeDeferral": Bool(),
    },
)
UPGRADE_POLICY = Obj(
    "UpgradePolicy",
    {
        "mode": Enum(tuple(UpgradeMode.values)),
        "rollingUpgradePolicy": ROLLING_UPGRADE_POLICY,
        "automaticOSUpgradePolicy": AUTOMATIC_OS_UPGRADE_POLICY,
    },
)
SKU = Obj("Sku", {"name": Str(64, min_length=1), "tier": Str(20), "capacity": Int(0, 1000)})
IMAGE_REFERENCE = Obj(
    "ImageReference",
    {
        "publisher": Str(100),
        "offer": Str(100),
        "sku": Str(100),
        "version": Str(64, min_length=1),
        "id": ARM_ID,
    },
    tolerated=frozenset({"exactVersion"}),
    unsupported=frozenset({"sharedGalleryImageId", "communityGalleryImageId"}),
)
WINDOWS_PATCH_SETTINGS = Obj(
    "PatchSettings",
    {"patchMode": Enum(("Manual", "AutomaticByOS", "AutomaticByPlatform"))},
    tolerated=frozenset({"assessmentMode", "automaticByPlatformSettings", "enableHotpatching"}),
)
LINUX_PATCH_SETTINGS = Obj(
    "LinuxPatchSettings",
    {"patchMode": Enum(("ImageDefault", "AutomaticByPlatform"))},
    tolerated=frozenset({"assessmentMode", "automaticByPlatformSettings"}),
)
WINDOWS_CONFIGURATION = Obj(
    "WindowsConfiguration",
    {"enableAutomaticUpdates": Bool(), "patchSettings": WINDOWS_PATCH_SETTINGS},
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
LINUX_CONFIGURATION = Obj(
    "LinuxConfiguration",
    {"patchSettings": LINUX_PATCH_SETTINGS},
    tolerated=frozenset(
        {"disablePasswordAuthentication", "enableVMAgentPlatformUpdates", "provisionVMAgent", "ssh"}
    ),
)
CUSTOM_DATA = Base64(65535)
OS_PROFILE = Obj(
    "VirtualMachineScaleSetOSProfile",
    {
        "computerNamePrefix": Str(15, min_length=1),
        "adminUsername": Str(64, min_length=1),
        "adminPassword": Str(123),
        "customData": CUSTOM_DATA,
        "windowsConfiguration": WINDOWS_CONFIGURATION,
        "linuxConfiguration": LINUX_CONFIGURATION,
    },
    tolerated=frozenset({"allowExtensionOperations", "requireGuestProvisionSignal", "secrets"}),
)
UPDATE_OS_PROFILE = Obj(
    "VirtualMachineScaleSetUpdateOSProfile",
    {
        "customData": CUSTOM_DATA,
        "windowsConfiguration": WINDOWS_CONFIGURATION,
        "linuxConfiguration": LINUX_CONFIGURATION,
    },
    tolerated=frozenset({"secrets"}),
)
STORAGE_PROFILE_TOLERATED = frozenset(
    {"dataDisks", "diskApiVersion", "diskControllerType", "osDisk"}
)
STORAGE_PROFILE = Obj(
    "VirtualMachineScaleSetStorageProfile",
    {"imageReference": IMAGE_REFERENCE},
    tolerated=STORAGE_PROFILE_TOLERATED,
)
UPDATE_STORAGE_PROFILE = Obj(
    "VirtualMachineScaleSetUpdateStorageProfile",
    {"imageReference": IMAGE_REFERENCE},
    tolerated=STORAGE_PROFILE_TOLERATED,
)
API_ENTITY_REFERENCE = Obj("ApiEntityReference", {"id": ARM_ID}, required=("id",))
NETWORK_PROFILE_TOLERATED = frozenset(
    {"interconnectGroupProfile", "networkApiVersion", "networkInterfaceConfigurations"}
)
NETWORK_PROFILE = Obj(
    "VirtualMachineScaleSetNetworkProfile",
    {"healthProbe": Nullable(API_ENTITY_REFERENCE)},
    tolerated=NETWORK_PROFILE_TOLERATED,
)
UPDATE_NETWORK_PROFILE = Obj(
    "VirtualMachineScaleSetUpdateNetworkProfile",
    {"healthProbe": Nullable(API_ENTITY_REFERENCE)},
    tolerated=NETWORK_PROFILE_TOLERATED,
)
EXTENSION_PROPERTIES = Obj(
    "VirtualMachineScaleSetExtensionProperties",
    {
        "publisher": Str(100, min_length=1),
        "type": Str(100, min_length=1),
        "typeHandlerVersion": Str(20, min_length=1),
        "autoUpgradeMinorVersion": Bool(),
        "settings": JsonObject(),
        "protectedSettings": JsonObject(),
        "provisionAfterExtensions": Arr(Str(100), 50),
    },
    required=("publisher", "type", "typeHandlerVersion"),
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
EXTENSION = Obj(
    "VirtualMachineScaleSetExtension",
    {"name": Str(100, min_length=1), "properties": EXTENSION_PROPERTIES},
    required=("name", "properties"),
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
        "userData",
    }
)
VM_PROFILE = Obj(
    "VirtualMachineScaleSetVMProfile",
    {
        "osProfile": OS_PROFILE,
        "storageProfile": STORAGE_PROFILE,
        "networkProfile": NETWORK_PROFILE,
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
UPDATE_VM_PROFILE = Obj(
    "VirtualMachineScaleSetUpdateVMProfile",
    {
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
        "scaleInPolicy",
        "skuProfile",
        "spotRestorePolicy",
        "zonalPlatformFaultDomainAlignMode",
    }
)
SCALE_SET_PROPERTIES = Obj(
    "VirtualMachineScaleSetProperties",
    {
        "upgradePolicy": UPGRADE_POLICY,
        "virtualMachineProfile": VM_PROFILE,
        "singlePlacementGroup": Bool(),
        "platformFaultDomainCount": Int(1, 5),
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
UPDATE_PROPERTIES = Obj(
    "VirtualMachineScaleSetUpdateProperties",
    {
        "upgradePolicy": UPGRADE_POLICY,
        "virtualMachineProfile": UPDATE_VM_PROFILE,
        "singlePlacementGroup": Bool(),
    },
    tolerated=PROPERTIES_TOLERATED,
)
SCALE_SET = Obj(
    "VirtualMachineScaleSet",
    {
        "location": LOCATION,
        "tags": TAGS,
        "sku": SKU,
        "zones": Arr(ZONE, 3),
        "properties": SCALE_SET_PROPERTIES,
    },
    required=("location",),
    tolerated=READ_ONLY_RESOURCE | {"extendedLocation", "identity", "placement", "plan"},
)
SCALE_SET_UPDATE = Obj(
    "VirtualMachineScaleSetUpdate",
    {"tags": TAGS, "sku": SKU, "zones": Arr(ZONE, 3), "properties": UPDATE_PROPERTIES},
    tolerated=frozenset({"identity", "placement", "plan"}),
)
INSTANCE_ID = Str(10, min_length=1, pattern=r"[0-9]{1,10}", description="an instance id.")
INSTANCE_IDS = Obj(
    "VirtualMachineScaleSetVMInstanceRequiredIDs",
    {"instanceIds": Arr(INSTANCE_ID, 1000, min_items=1)},
    required=("instanceIds",),
)

RESOURCE_GROUP = Obj(
    "ResourceGroup",
    {"location": LOCATION, "tags": TAGS},
    required=("location",),
    tolerated=READ_ONLY_RESOURCE | {"managedBy", "properties"},
)

GALLERY = Obj(
    "Gallery",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryProperties",
            {"description": Str(200)},
            tolerated=frozenset(
                {
                    "identifier",
                    "provisioningState",
                    "sharingProfile",
                    "sharingStatus",
                    "softDeletePolicy",
                }
            ),
        ),
    },
    required=("location",),
    tolerated=READ_ONLY_RESOURCE | {"identity"},
)
GALLERY_IMAGE = Obj(
    "GalleryImage",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryImageProperties",
            {
                "osType": Enum(tuple(OsType.values)),
                "identifier": Obj(
                    "GalleryImageIdentifier",
                    {
                        "publisher": Str(100, min_length=1),
                        "offer": Str(100, min_length=1),
                        "sku": Str(100, min_length=1),
                    },
                ),
            },
            tolerated=frozenset(
                {
                    "allowUpdateImage",
                    "architecture",
                    "description",
                    "disallowed",
                    "endOfLifeDate",
                    "eula",
                    "features",
                    "hyperVGeneration",
                    "osState",
                    "privacyStatementUri",
                    "provisioningState",
                    "purchasePlan",
                    "recommended",
                    "releaseNoteUri",
                }
            ),
        ),
    },
    required=("location",),
    tolerated=READ_ONLY_RESOURCE,
)
TARGET_REGION = Obj(
    "TargetRegion",
    {
        "name": Str(50, min_length=1),
        "regionalReplicaCount": Int(1, 100),
        "excludeFromLatest": Bool(),
        "storageAccountType": Enum(
            ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
        ),
    },
    required=("name",),
    tolerated=frozenset({"additionalReplicaSets", "encryption"}),
)
PUBLISHING_PROFILE = Obj(
    "GalleryImageVersionPublishingProfile",
    {
        "targetRegions": Arr(TARGET_REGION, 50),
        "replicaCount": Int(1, 100),
        "excludeFromLatest": Bool(),
        "endOfLifeDate": DateTime(),
        "storageAccountType": Enum(
            ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
        ),
    },
    tolerated=frozenset(
        {
            "publishedDate",
            "replicationMode",
            "storageAccountStrategy",
            "targetExtendedLocations",
        }
    ),
)
GALLERY_IMAGE_VERSION = Obj(
    "GalleryImageVersion",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryImageVersionProperties",
            {"publishingProfile": PUBLISHING_PROFILE},
            tolerated=frozenset(
                {
                    "imageMetadataProfiles",
                    "provisioningState",
                    "replicationStatus",
                    "restore",
                    "safetyProfile",
                    "securityProfile",
                    "storageProfile",
                    "validationsProfile",
                }
            ),
        ),
    },
    required=("location",),
    tolerated=READ_ONLY_RESOURCE,
)

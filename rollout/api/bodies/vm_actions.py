"""Request bodies of the instance actions and of a VM's own model (``VirtualMachineScaleSetVM``).

Shapes are azure-mgmt-compute's (``VirtualMachineScaleSetReimageParameters``,
``VirtualMachineScaleSetVMInstanceIDs``, ``VirtualMachineScaleSetVMProtectionPolicy``...).
"""

from __future__ import annotations

from rollout.api.bodies.scale_sets import INSTANCE_ID
from rollout.services.wire.arm import READ_ONLY_RESOURCE
from rollout.services.wire.scale_sets import USER_DATA_BYTES
from rollout.services.wire.schema import Arr, Base64, Bool, Obj, Str

INSTANCE_ID_LIST = Arr(INSTANCE_ID, 1000)
# Optional on the scale set's actions: no instanceIds means every instance.
OPTIONAL_INSTANCE_IDS = Obj(
    "VirtualMachineScaleSetVMInstanceIDs", {"instanceIds": INSTANCE_ID_LIST}
)
REIMAGE_OS_PROFILE = Obj(
    "OSProfileProvisioningData", {"adminPassword": Str(123), "customData": Base64(65535)}
)
REIMAGE_MEMBERS = {
    "tempDisk": Bool(),
    "exactVersion": Str(64, min_length=1),
    "osProfile": REIMAGE_OS_PROFILE,
    "forceUpdateOSDiskForEphemeral": Bool(),
}
SCALE_SET_REIMAGE = Obj(
    "VirtualMachineScaleSetReimageParameters",
    {"instanceIds": INSTANCE_ID_LIST, **REIMAGE_MEMBERS},
)
VM_REIMAGE = Obj("VirtualMachineScaleSetVMReimageParameters", REIMAGE_MEMBERS)
PROTECTION_POLICY = Obj(
    "VirtualMachineScaleSetVMProtectionPolicy",
    {"protectFromScaleIn": Bool(), "protectFromScaleSetActions": Bool()},
)
# What a VM's PUT may change: its protection policy and userData. The rest of a VM follows its
# scale set's model; a GET body sent back unchanged (as SDKs do) is tolerated.
VM_PROPERTIES = Obj(
    "VirtualMachineScaleSetVMProperties",
    {"protectionPolicy": PROTECTION_POLICY, "userData": Base64(USER_DATA_BYTES)},
    tolerated=frozenset(
        {
            "additionalCapabilities",
            "availabilitySet",
            "diagnosticsProfile",
            "hardwareProfile",
            "instanceView",
            "latestModelApplied",
            "licenseType",
            "modelDefinitionApplied",
            "networkProfile",
            "networkProfileConfiguration",
            "osProfile",
            "provisioningState",
            "resilientVMDeletionStatus",
            "securityProfile",
            "storageProfile",
            "timeCreated",
            "vmId",
        }
    ),
)
VIRTUAL_MACHINE = Obj(
    "VirtualMachineScaleSetVM",
    {"properties": VM_PROPERTIES},
    tolerated=READ_ONLY_RESOURCE
    | {"identity", "instanceId", "location", "plan", "resources", "sku", "tags", "zones"},
)

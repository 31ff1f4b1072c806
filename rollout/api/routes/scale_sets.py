"""Microsoft.Compute scale sets: the scale set, its instances, rolling upgrades and history."""

from __future__ import annotations

from rollout.api.bodies import scale_sets as bodies
from rollout.api.routes import vm_actions
from rollout.api.routes.paths import COMPUTE, SCALE_SET, SUBSCRIPTION, VM
from rollout.api.routing import Operation, Route
from rollout.api.views import approvals, instances, metadata, scale_sets, upgrades
from rollout.services.access.roles import (
    APPROVE_UPGRADE,
    APPROVE_VM_UPGRADE,
    CANCEL_UPGRADE,
    MANUAL_UPGRADE,
    START_OS_UPGRADE,
)

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"

ROUTES = (
    Route(
        "scale_sets_in_subscription",
        f"{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachineScaleSets",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            scale_sets.list_in_subscription,
            "VirtualMachineScaleSets_ListAll",
            "Scale sets of the subscription (those the caller may read)",
            query=("$skiptoken",),
            authorization="listing",
        ),
    ),
    Route(
        "scale_sets_in_resource_group",
        f"{COMPUTE}/virtualMachineScaleSets",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            scale_sets.list_in_resource_group,
            "VirtualMachineScaleSets_List",
            "Scale sets of the resource group",
            query=("$skiptoken",),
        ),
    ),
    Route(
        "scale_set",
        SCALE_SET,
        "Compute",
        VMSS_TYPE,
        put=Operation(
            scale_sets.put_scale_set,
            "VirtualMachineScaleSets_CreateOrUpdate",
            "Create (201) or replace the stated fields (200)",
            (200, 201),
            bodies.SCALE_SET,
            long_running=True,
        ),
        patch=Operation(
            scale_sets.patch_scale_set,
            "VirtualMachineScaleSets_Update",
            "Change the stated fields",
            (200,),
            bodies.SCALE_SET_UPDATE,
            long_running=True,
        ),
        get=Operation(
            scale_sets.get_scale_set,
            "VirtualMachineScaleSets_Get",
            "Get a scale set",
            query=("$expand",),
        ),
        delete=Operation(
            scale_sets.delete_scale_set_view,
            "VirtualMachineScaleSets_Delete",
            "Delete a scale set",
            (202, 204),
            query=("forceDeletion",),
            long_running=True,
        ),
    ),
    Route(
        "scale_set_instance_view",
        f"{SCALE_SET}/instanceView",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            scale_sets.get_instance_view,
            "VirtualMachineScaleSets_GetInstanceView",
            "Status summary",
        ),
    ),
    Route(
        "virtual_machines",
        f"{SCALE_SET}/virtualMachines",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            instances.list_vms,
            "VirtualMachineScaleSetVMs_List",
            "Instances of the scale set",
            query=("$expand", "$filter", "$select", "$skiptoken"),
        ),
    ),
    Route(
        "virtual_machine",
        VM,
        "Compute",
        VMSS_TYPE,
        get=Operation(
            instances.get_vm,
            "VirtualMachineScaleSetVMs_Get",
            "One instance ($expand=instanceView, userData)",
            query=("$expand",),
        ),
        put=vm_actions.VM_PUT,
        patch=vm_actions.VM_PATCH,
        delete=vm_actions.VM_DELETE,
    ),
    Route(
        "virtual_machine_instance_view",
        f"{VM}/instanceView",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            instances.get_vm_instance_view,
            "VirtualMachineScaleSetVMs_GetInstanceView",
            "An instance's view",
        ),
    ),
    Route(
        "manual_upgrade",
        f"{SCALE_SET}/manualupgrade",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            instances.manual_upgrade,
            "VirtualMachineScaleSets_UpdateInstances",
            "E5: bring instances to the latest model",
            (202,),
            bodies.INSTANCE_IDS,
            long_running=True,
            action=MANUAL_UPGRADE,
        ),
    ),
    Route(
        "os_rolling_upgrade",
        f"{SCALE_SET}/osRollingUpgrade",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            upgrades.start_os_rolling_upgrade,
            "VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade",
            "M1: upgrade every instance to the latest image version",
            (202,),
            long_running=True,
            action=START_OS_UPGRADE,
        ),
    ),
    Route(
        "cancel_rolling_upgrade",
        f"{SCALE_SET}/rollingUpgrades/cancel",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            upgrades.cancel_rolling_upgrade,
            "VirtualMachineScaleSetRollingUpgrades_Cancel",
            "M2: cancel the running upgrade",
            (202,),
            long_running=True,
            action=CANCEL_UPGRADE,
        ),
    ),
    Route(
        "approve_rolling_upgrade",
        f"{SCALE_SET}/approveRollingUpgrade",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            approvals.approve_rolling_upgrade_view,
            "VirtualMachineScaleSets_ApproveRollingUpgrade",
            "S2: approve the deferred OS upgrade of the listed instances (all without a body)",
            (202,),
            bodies.OPTIONAL_INSTANCE_IDS,
            long_running=True,
            action=APPROVE_UPGRADE,
        ),
    ),
    Route(
        "approve_vm_rolling_upgrade",
        f"{VM}/approveRollingUpgrade",
        "Compute",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
        post=Operation(
            approvals.approve_vm_rolling_upgrade_view,
            "VirtualMachineScaleSetVMs_ApproveRollingUpgrade",
            "S2: approve the deferred OS upgrade of this instance",
            (202,),
            long_running=True,
            action=APPROVE_VM_UPGRADE,
        ),
    ),
    Route(
        "instance_metadata",
        f"{VM}/metadata/instance/compute",
        "Compute",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
        get=Operation(
            metadata.instance_compute_metadata,
            "Rollwright_SimulatedInstanceMetadata",
            "S2: what the VM reads from IMDS (header Metadata: true); Platform.PendingOSUpgrade "
            "while its OS upgrade awaits approval",
        ),
    ),
    Route(
        "latest_rolling_upgrade",
        f"{SCALE_SET}/rollingUpgrades/latest",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            upgrades.latest_rolling_upgrade,
            "VirtualMachineScaleSetRollingUpgrades_GetLatest",
            "M2: the running or last upgrade",
        ),
    ),
    Route(
        "os_upgrade_history",
        f"{SCALE_SET}/osUpgradeHistory",
        "Compute",
        VMSS_TYPE,
        get=Operation(
            upgrades.os_upgrade_history_view,
            "VirtualMachineScaleSets_GetOSUpgradeHistory",
            "H1: the last five upgrades of the last two months",
            query=("$skiptoken",),
        ),
    ),
)

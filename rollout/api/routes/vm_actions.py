"""Microsoft.Compute scale sets: actions on chosen instances (reimage, reimage-all, power,
delete) and on one VM (``rollout.services.scale_sets.vm_actions``)."""

from __future__ import annotations

from rollout.api.bodies import scale_sets as scale_set_bodies
from rollout.api.bodies import vm_actions as bodies
from rollout.api.routes.paths import SCALE_SET, VM
from rollout.api.routing import Operation, Route
from rollout.api.views import vm_actions as views
from rollout.services.access.roles import instance_action
from rollout.services.scale_sets.vm_actions import InstanceAction

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = f"{VMSS_TYPE}/virtualMachines"

# action → (operation id's verb, summary, the scale set's body, query parameters)
SCALE_SET_ACTIONS = {
    InstanceAction.REIMAGE: (
        "Reimage",
        "Reimage the chosen instances (all without instanceIds): a new OS disk from the "
        "model's image, data disks kept; protected VMs are left out",
        bodies.SCALE_SET_REIMAGE,
        (),
    ),
    InstanceAction.REIMAGE_ALL: (
        "ReimageAll",
        "Reimage every disk of the chosen instances, data disks included",
        bodies.OPTIONAL_INSTANCE_IDS,
        (),
    ),
    InstanceAction.START: ("Start", "Start the chosen instances", bodies.OPTIONAL_INSTANCE_IDS, ()),
    InstanceAction.POWER_OFF: (
        "PowerOff",
        "Stop the chosen instances (still allocated; unhealthy for U7/U8)",
        bodies.OPTIONAL_INSTANCE_IDS,
        ("skipShutdown",),
    ),
    InstanceAction.RESTART: (
        "Restart",
        "Restart the chosen instances",
        bodies.OPTIONAL_INSTANCE_IDS,
        (),
    ),
    InstanceAction.DEALLOCATE: (
        "Deallocate",
        "Stop and deallocate the chosen instances (unhealthy for U7/U8)",
        bodies.OPTIONAL_INSTANCE_IDS,
        ("hibernate",),
    ),
}
VM_BODIES = {InstanceAction.REIMAGE: bodies.VM_REIMAGE}


def _scale_set_route(action: InstanceAction) -> Route:
    verb, summary, body, query = SCALE_SET_ACTIONS[action]
    return Route(
        f"scale_set_{action.name.lower()}",
        f"{SCALE_SET}/{action.value}",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            views.on_scale_set(action),
            f"VirtualMachineScaleSets_{verb}",
            summary,
            (202,),
            body,
            body_required=False,
            query=query,
            long_running=True,
            action=instance_action(action.value),
        ),
    )


def _vm_route(action: InstanceAction) -> Route:
    verb, _, _, query = SCALE_SET_ACTIONS[action]
    return Route(
        f"virtual_machine_{action.name.lower()}",
        f"{VM}/{action.value}",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            views.on_vm(action),
            f"VirtualMachineScaleSetVMs_{verb}",
            f"{verb} this VM (instance protection does not block the user's own action)",
            (202,),
            VM_BODIES.get(action),
            body_required=False,
            query=query,
            long_running=True,
            action=instance_action(action.value, per_vm=True),
        ),
    )


ROUTES = (
    *(_scale_set_route(action) for action in SCALE_SET_ACTIONS),
    Route(
        "scale_set_delete_instances",
        f"{SCALE_SET}/delete",
        "Compute",
        VMSS_TYPE,
        post=Operation(
            views.on_scale_set(InstanceAction.DELETE),
            "VirtualMachineScaleSets_DeleteInstances",
            "Delete the chosen instances: they go (404 afterwards) and the capacity drops",
            (202,),
            scale_set_bodies.INSTANCE_IDS,
            query=("forceDeletion",),
            long_running=True,
            action=instance_action("delete"),
        ),
    ),
    *(_vm_route(action) for action in SCALE_SET_ACTIONS),
)

# The VM's own route (``virtual_machine`` in routes.scale_sets) takes these methods.
VM_PUT = Operation(
    views.update_vm,
    "VirtualMachineScaleSetVMs_Update",
    "Change the VM's protectionPolicy or userData (If-Match: a stale etag gets 412)",
    (200,),
    bodies.VIRTUAL_MACHINE,
    long_running=True,
    action=f"{VM_TYPE}/write",
)
VM_PATCH = Operation(
    views.update_vm,
    "VirtualMachineScaleSetVMs_Patch",
    "As PUT: the members stated change, the others stay",
    (200,),
    bodies.VIRTUAL_MACHINE,
    long_running=True,
    action=f"{VM_TYPE}/write",
)
VM_DELETE = Operation(
    views.delete_vm,
    "VirtualMachineScaleSetVMs_Delete",
    "Delete this VM: it goes and the capacity drops",
    (202,),
    query=("forceDeletion",),
    long_running=True,
    action=f"{VM_TYPE}/delete",
)

"""Instance actions (reimage, reimage-all, power, delete) on a scale set's chosen instances or
on one VM, and a VM's own model (PUT/PATCH: protection policy, userData; DELETE).

Each action is done when it answers: the status resource says Succeeded at once, and the 202
carries ``Azure-AsyncOperation``, ``Location`` and ``Retry-After`` as Azure's do
(``rollout.api.lro.accepted``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall, Handler
from rollout.api.envelope import json_response
from rollout.api.etags import check_preconditions
from rollout.api.serializers.instances import vm_etag, vm_wire
from rollout.api.views.common import scale_set_of
from rollout.api.views.instances import INSTANCE_ID_MAX, instance_of
from rollout.models import AsyncOperationKind, ScaleSet
from rollout.services.errors import ServiceError
from rollout.services.scale_sets.vm_actions import (
    InstanceAction,
    act_on_instances,
    update_instance,
)


def _instance_ids(body: dict[str, Any]) -> list[int] | None:
    """``instanceIds`` as numbers; ``None`` when the body names none (every instance)."""
    raw = body.get("instanceIds")
    if not raw:
        return None
    ids = sorted({int(value) for value in raw})
    if ids[-1] > INSTANCE_ID_MAX:
        raise ServiceError("InvalidParameter", "instanceIds has an id out of range.", "instanceIds")
    return ids


def _done(call: ApiCall, scale_set: ScaleSet, resource_id: str) -> HttpResponse:
    operation = lro.record(
        call,
        AsyncOperationKind.INSTANCE_ACTION,
        scale_set.location.name,
        resource_id,
        scale_set=scale_set,
    )
    return lro.accepted(call, operation)


def on_scale_set(action: InstanceAction) -> Handler:
    """``POST .../virtualMachineScaleSets/{name}/{action}`` for the body's ``instanceIds``
    (all instances without them; ``delete`` requires them)."""

    def handler(call: ApiCall) -> HttpResponse:
        body = call.body() if action is InstanceAction.DELETE else call.optional_body()
        scale_set = scale_set_of(call)
        act_on_instances(
            scale_set,
            action,
            _instance_ids(body),
            exact_version=body.get("exactVersion"),
            actor=call.user,
            reason=f"POST {action.value}",
        )
        return _done(call, scale_set, scale_set.arm_id)

    handler.__name__ = f"scale_set_{action.name.lower()}"
    return handler


def on_vm(action: InstanceAction) -> Handler:
    """``POST .../virtualMachines/{instanceId}/{action}``: the user's own action on one VM,
    which instance protection does not block."""

    def handler(call: ApiCall) -> HttpResponse:
        body = call.optional_body() if call.body_schema is not None else {}
        scale_set = scale_set_of(call)
        instance = instance_of(call, scale_set)
        act_on_instances(
            scale_set,
            action,
            [instance.instance_id],
            on_scale_set=False,
            exact_version=body.get("exactVersion"),
            actor=call.user,
            reason=f"POST virtualMachines/{instance.instance_id}/{action.value}",
        )
        return _done(call, scale_set, f"{scale_set.arm_id}/virtualMachines/{instance.instance_id}")

    handler.__name__ = f"vm_{action.name.lower()}"
    return handler


def delete_vm(call: ApiCall) -> HttpResponse:
    """``DELETE .../virtualMachines/{instanceId}``: the VM goes and the capacity drops."""
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    act_on_instances(
        scale_set,
        InstanceAction.DELETE,
        [instance.instance_id],
        on_scale_set=False,
        actor=call.user,
        reason=f"DELETE virtualMachines/{instance.instance_id}",
    )
    return _done(call, scale_set, f"{scale_set.arm_id}/virtualMachines/{instance.instance_id}")


def update_vm(call: ApiCall) -> HttpResponse:
    """PUT or PATCH of one VM: its ``protectionPolicy`` and ``userData``; the answer is the VM
    (200) with an ``Azure-AsyncOperation`` that has already succeeded. ``If-Match`` with a
    stale etag: 412."""
    body = call.body()
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    check_preconditions(
        call,
        vm_etag(scale_set, instance),
        f"the virtual machine '{scale_set.name}_{instance.instance_id}'",
    )
    properties = body.get("properties", {})
    policy = properties.get("protectionPolicy", {})
    instance = update_instance(
        scale_set,
        instance.instance_id,
        protect_from_scale_in=policy.get("protectFromScaleIn"),
        protect_from_scale_set_actions=policy.get("protectFromScaleSetActions"),
        user_data=properties.get("userData"),
        actor=call.user,
        reason=f"{call.request.method} virtualMachines/{instance.instance_id}",
    )
    instance = instance_of(call, scale_set)
    operation = lro.record(
        call,
        AsyncOperationKind.UPDATE,
        scale_set.location.name,
        f"{scale_set.arm_id}/virtualMachines/{instance.instance_id}",
        scale_set=scale_set,
    )
    wire = vm_wire(scale_set, instance, user_data=True)
    return json_response(wire, headers={**lro.headers(call, operation), "ETag": wire["etag"]})

"""The scale set's VMs: list (``$expand``, ``$filter``), get, instance view, manual upgrade (E5)."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils import timezone

from orchestrator.model import Observation
from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.paging import page
from rollout.api.serializers.instances import instance_view_wire, vm_wire
from rollout.api.views.common import scale_set_of
from rollout.engine.provider import observe_scale_set
from rollout.models import AsyncOperationKind, Instance, ScaleSet
from rollout.services.errors import ServiceError, not_found
from rollout.services.scale_sets.instances import manual_upgrade_instances

LATEST_MODEL_FILTER = re.compile(
    r"^\s*properties/latestModelApplied\s+eq\s+(true|false)\s*$", re.IGNORECASE
)
POWER_STATE_FILTER = re.compile(
    r"^\s*startswith\(\s*instanceView/statuses/code\s*,\s*'PowerState'\s*\)\s+eq\s+true\s*$",
    re.IGNORECASE,
)
EXPANDS = {"instanceview", "userdata", "resiliencyview"}
INSTANCE_ID_MAX = 2**31 - 1


def _expand(call: ApiCall) -> set[str]:
    raw = call.query("$expand")
    if raw is None:
        return set()
    values = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = values - EXPANDS
    if unknown:
        raise ServiceError(
            "InvalidParameter",
            f"The $expand value '{raw[:60]}' is not valid: use instanceView or userData.",
            "$expand",
        )
    return values


def _instances(scale_set: ScaleSet) -> list[Instance]:
    instances = list(scale_set.instances.select_related("os_disk").order_by("instance_id"))
    for instance in instances:
        instance.scale_set = scale_set  # latestModelApplied reads it: no query per instance
    return instances


def _observed(scale_set: ScaleSet) -> dict[int, Observation]:
    """What the compute provider sees of every VM now: one read for the whole scale set."""
    return observe_scale_set(scale_set, timezone.now())


def list_vms(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    instance_view = "instanceview" in _expand(call)
    select = (call.query("$select") or "").lower()
    instance_view = instance_view or select.startswith("instanceview")
    power_state_only = False
    instances = _instances(scale_set)
    raw_filter = call.query("$filter")
    if raw_filter:
        latest = LATEST_MODEL_FILTER.match(raw_filter)
        if latest:
            wanted = latest.group(1).lower() == "true"
            instances = [i for i in instances if i.latest_model_applied is wanted]
        elif POWER_STATE_FILTER.match(raw_filter):
            instance_view = power_state_only = True
        else:
            raise ServiceError(
                "InvalidParameter",
                f"The $filter '{raw_filter[:80]}' is not supported: use "
                "properties/latestModelApplied eq true|false, or "
                "startswith(instanceView/statuses/code, 'PowerState') eq true.",
                "$filter",
            )
    observed = _observed(scale_set) if instance_view else {}
    return json_response(
        page(
            call,
            instances,
            "virtual_machines",
            lambda instance: vm_wire(
                scale_set,
                instance,
                instance_view=instance_view,
                power_state_only=power_state_only,
                observed=observed.get(instance.instance_id),
            ),
        )
    )


def instance_of(call: ApiCall, scale_set: ScaleSet) -> Instance:
    raw = call.args["instance_id"]
    instance = None
    if raw.isdigit() and len(raw) <= 10 and int(raw) <= INSTANCE_ID_MAX:
        instance = (
            scale_set.instances.select_related("os_disk").filter(instance_id=int(raw)).first()
        )
    if instance is not None:
        instance.scale_set = scale_set
    if instance is None:
        raise not_found(
            f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{scale_set.name}/"
            f"virtualMachines/{raw[:40]}' under resource group "
            f"'{scale_set.resource_group.name}' was not found."
        )
    return instance


def get_vm(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    expand = _expand(call)
    instance_view = "instanceview" in expand
    observed = _observed(scale_set).get(instance.instance_id) if instance_view else None
    body = vm_wire(
        scale_set,
        instance,
        instance_view=instance_view,
        observed=observed,
        user_data="userdata" in expand,
    )
    return json_response(body, headers={"ETag": body["etag"]})


def get_vm_instance_view(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    observed = _observed(scale_set).get(instance.instance_id)
    return json_response(instance_view_wire(scale_set, instance, observed=observed))


def manual_upgrade(call: ApiCall) -> HttpResponse:
    """E5: bring the listed instances to the latest model; 202 + ``Azure-AsyncOperation``."""
    body = call.body()
    scale_set = scale_set_of(call)
    ids = sorted({int(raw) for raw in body["instanceIds"]})
    if ids[-1] > INSTANCE_ID_MAX:
        raise ServiceError("InvalidParameter", "instanceIds has an id out of range.", "instanceIds")
    manual_upgrade_instances(scale_set, ids, actor=call.user, reason="manualupgrade")
    operation = lro.record(
        call,
        AsyncOperationKind.MANUAL_UPGRADE,
        scale_set.location.name,
        scale_set.arm_id,
        scale_set=scale_set,
    )
    return lro.accepted(call, operation)

"""S2: ``approveRollingUpgrade`` of a scale set (optionally some instanceIds) and of one VM.

Both answer 202 with ``Azure-AsyncOperation``, as Azure's long-running action; the approval
itself is recorded at once (the status resource is Succeeded), and the engine reimages the
approved instances on its next step.
"""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import empty_response
from rollout.api.views.common import scale_set_of
from rollout.api.views.instances import instance_of
from rollout.models import AsyncOperationKind, ScaleSet
from rollout.services.upgrades.approvals import approve_rolling_upgrade


def approve_rolling_upgrade_view(call: ApiCall) -> HttpResponse:
    """Without a body (the SDK sends none when ``vm_instance_ids`` is omitted), or without
    ``instanceIds``: every instance awaiting approval."""
    scale_set = scale_set_of(call)
    ids = None
    if _has_body(call):
        listed = call.body().get("instanceIds")
        ids = None if listed is None else [str(raw) for raw in listed]
    approve_rolling_upgrade(scale_set, ids, actor=call.user, reason="POST approveRollingUpgrade")
    return _accepted(call, scale_set)


def approve_vm_rolling_upgrade_view(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    approve_rolling_upgrade(
        scale_set,
        [str(instance.instance_id)],
        actor=call.user,
        reason="POST virtualMachines/approveRollingUpgrade",
    )
    return _accepted(call, scale_set)


def _has_body(call: ApiCall) -> bool:
    meta = call.request.META
    return bool(meta.get("HTTP_TRANSFER_ENCODING")) or (meta.get("CONTENT_LENGTH") or "0") != "0"


def _accepted(call: ApiCall, scale_set: ScaleSet) -> HttpResponse:
    operation = lro.record(
        call,
        AsyncOperationKind.APPROVE_ROLLING_UPGRADE,
        scale_set.location.name,
        scale_set.arm_id,
        scale_set=scale_set,
    )
    return empty_response(202, headers=lro.headers(call, operation))

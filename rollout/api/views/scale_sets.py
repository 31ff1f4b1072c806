"""Scale sets: PUT (create or replace), PATCH, GET, DELETE, the two lists, the instance view."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import empty_response, json_response
from rollout.api.etags import check_preconditions
from rollout.api.paging import page
from rollout.api.scale_set_input import model_input
from rollout.api.serializers.instances import scale_set_instance_view
from rollout.api.serializers.scale_sets import SCALE_SET_RELATED, scale_set_wire
from rollout.api.views.common import reload, scale_set_of
from rollout.models import AsyncOperationKind, ScaleSet
from rollout.services.access.roles import READ_SCALE_SET
from rollout.services.errors import ServiceError
from rollout.services.resource_groups import require_resource_group
from rollout.services.scale_sets.creation import (
    create_scale_set,
    delete_scale_set,
    find_scale_set,
    update_scale_set,
)


def get_scale_set(call: ApiCall) -> HttpResponse:
    """``$expand=userData`` adds the model's userData (Azure returns it only then)."""
    expand = {part.strip().lower() for part in (call.query("$expand") or "").split(",")}
    unknown = expand - {"", "userdata"}
    if unknown:
        raise ServiceError(
            "InvalidParameter",
            f"The $expand value '{sorted(unknown)[0][:60]}' is not valid: use userData.",
            "$expand",
        )
    scale_set = scale_set_of(call)
    body = scale_set_wire(scale_set, user_data="userdata" in expand)
    return json_response(body, headers={"ETag": body["etag"]})


def _check_preconditions(call: ApiCall, scale_set: ScaleSet | None) -> None:
    """If-Match / If-None-Match against the scale set's etag (412 when they fail)."""
    current = scale_set_wire(scale_set)["etag"] if scale_set is not None else None
    check_preconditions(call, current, f"the scale set '{call.args['scale_set'][:64]}'")


def put_scale_set(call: ApiCall) -> HttpResponse:
    """201 ``Creating`` for a new scale set, 200 ``Updating`` for an existing one; both with
    an ``Azure-AsyncOperation`` the SDK polls before it GETs the result."""
    body = call.body()
    model = model_input(body)
    args = call.args
    existing = find_scale_set(call.subscription_id, args["resource_group"], args["scale_set"])
    _check_preconditions(call, existing)
    if existing is None:
        scale_set = create_scale_set(
            call.subscription_id,
            args["resource_group"],
            args["scale_set"],
            body["location"],
            model,
            actor=call.user,
            api_version=call.api_version,
        )
        status, state = 201, "Creating"
    else:
        scale_set = update_scale_set(
            existing,
            model,
            location=body["location"],
            actor=call.user,
            api_version=call.api_version,
        )
        status, state = 200, "Updating"
    return _accepted_model(call, scale_set, status, state, AsyncOperationKind.CREATE_OR_UPDATE)


def patch_scale_set(call: ApiCall) -> HttpResponse:
    """The SDK accepts only 200 for a PATCH: the body says ``Updating``, the status says done."""
    body = call.body()
    current = scale_set_of(call)
    _check_preconditions(call, current)
    scale_set = update_scale_set(
        current, model_input(body), actor=call.user, api_version=call.api_version
    )
    return _accepted_model(call, scale_set, 200, "Updating", AsyncOperationKind.UPDATE)


def _accepted_model(
    call: ApiCall, scale_set: ScaleSet, status: int, state: str, kind: AsyncOperationKind
) -> HttpResponse:
    scale_set = reload(scale_set)
    operation = lro.record(
        call, kind, scale_set.location.name, scale_set.arm_id, scale_set=scale_set
    )
    body = scale_set_wire(scale_set, provisioning_state=state)
    return json_response(
        body, status=status, headers={**lro.headers(call, operation), "ETag": body["etag"]}
    )


def delete_scale_set_view(call: ApiCall) -> HttpResponse:
    """202 with ``Azure-AsyncOperation`` and ``Location``; 204 when there is nothing to delete."""
    args = call.args
    require_resource_group(call.subscription_id, args["resource_group"])
    scale_set = find_scale_set(call.subscription_id, args["resource_group"], args["scale_set"])
    if scale_set is None:
        return empty_response(204)
    location, resource_id = scale_set.location.name, scale_set.arm_id
    delete_scale_set(scale_set, actor=call.user)
    operation = lro.record(call, AsyncOperationKind.DELETE, location, resource_id)
    return lro.accepted(call, operation)


def list_in_resource_group(call: ApiCall) -> HttpResponse:
    group = require_resource_group(call.subscription_id, call.args["resource_group"])
    rows = (
        ScaleSet.objects.filter(resource_group=group)
        .select_related(*SCALE_SET_RELATED)
        .prefetch_related("extensions")
        .order_by("name", "pk")
    )
    return json_response(page(call, rows, "scale_sets", scale_set_wire))


def list_in_subscription(call: ApiCall) -> HttpResponse:
    """The subscription's scale sets that the caller may read (R1)."""
    rows = (
        ScaleSet.objects.filter(
            call.grants.within("resource_group", READ_SCALE_SET),
            resource_group__subscription__subscription_id__iexact=call.subscription_id,
        )
        .select_related(*SCALE_SET_RELATED)
        .prefetch_related("extensions")
        .order_by("resource_group__name", "name", "pk")
    )
    return json_response(page(call, rows, "scale_sets", scale_set_wire))


def get_instance_view(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    instances = list(scale_set.instances.all())
    return json_response(scale_set_instance_view(scale_set, instances))

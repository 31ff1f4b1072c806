"""Resource groups as azure-mgmt-resource sends them: PUT, GET, HEAD (exists?), DELETE, and the
subscription's list (``az group list``)."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import empty_response, json_response
from rollout.api.paging import page
from rollout.api.serializers.resources import resource_group_wire
from rollout.models import AsyncOperationKind, ResourceGroup
from rollout.services.access.roles import READ_RESOURCE_GROUP
from rollout.services.resource_groups import (
    create_or_update_resource_group,
    delete_resource_group,
    require_resource_group,
)
from rollout.services.wire.resources import RESOURCE_GROUP_FIELDS


def _find(call: ApiCall) -> ResourceGroup | None:
    return (
        ResourceGroup.objects.select_related("subscription")
        .filter(
            subscription__subscription_id__iexact=call.subscription_id,
            name__iexact=call.args["resource_group"],
        )
        .first()
    )


def list_resource_groups(call: ApiCall) -> HttpResponse:
    """The groups of the subscription that the caller may read (R1), by name."""
    rows = (
        ResourceGroup.objects.filter(
            call.grants.within("", READ_RESOURCE_GROUP),
            subscription__subscription_id__iexact=call.subscription_id,
        )
        .select_related("subscription")
        .order_by("name", "pk")
    )
    return json_response(page(call, rows, "resource_groups", resource_group_wire))


def get_resource_group(call: ApiCall) -> HttpResponse:
    group = require_resource_group(call.subscription_id, call.args["resource_group"])
    return json_response(resource_group_wire(group))


def head_resource_group(call: ApiCall) -> HttpResponse:
    return empty_response(204 if _find(call) is not None else 404)


def put_resource_group(call: ApiCall) -> HttpResponse:
    stated = RESOURCE_GROUP_FIELDS.read(call.body())
    group, created = create_or_update_resource_group(
        call.subscription_id, call.args["resource_group"], stated["location"], stated.get("tags")
    )
    return json_response(resource_group_wire(group), status=201 if created else 200)


def delete_resource_group_view(call: ApiCall) -> HttpResponse:
    group = require_resource_group(call.subscription_id, call.args["resource_group"])
    location, resource_id = group.location, group.arm_id
    delete_resource_group(group)
    operation = lro.record(call, AsyncOperationKind.DELETE, location, resource_id)
    return lro.accepted(call, operation)

"""The operation status resource an ``Azure-AsyncOperation`` (or ``Location``) URL names."""

from __future__ import annotations

import uuid

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import arm_error, empty_response, json_response
from rollout.api.views.common import flag
from rollout.models import AsyncOperation, AsyncOperationStatus
from rollout.services.access.scopes import Scope
from rollout.services.errors import not_found


def _operation(call: ApiCall) -> AsyncOperation:
    try:
        operation_id = uuid.UUID(call.args["operation_id"])
    except ValueError:
        operation_id = None
    operation = None
    if operation_id is not None:
        operation = (
            AsyncOperation.objects.select_related("upgrade")
            .filter(
                pk=operation_id,
                subscription_id__iexact=call.subscription_id,
                location__iexact=call.args["location"],
            )
            .first()
        )
    if operation is None:
        raise not_found(f"The operation '{call.args['operation_id'][:60]}' was not found.")
    # R1: an operation's status is read with its resource's read permission.
    scope = Scope.parse("/".join(operation.resource_id.split("/")[:5]))
    call.grants.require(
        f"{_resource_type(operation.resource_id)}/read", scope, operation.resource_id
    )
    return operation


def _resource_type(resource_id: str) -> str:
    """``Microsoft.Compute/virtualMachineScaleSets`` for a scale set's id."""
    parts = resource_id.split("/")
    if "providers" not in parts:
        return "Microsoft.Resources/subscriptions/resourceGroups"
    at = parts.index("providers")
    return "/".join([parts[at + 1], *parts[at + 2 :: 2]])


def get_operation_status(call: ApiCall) -> HttpResponse:
    """``{"name", "status", "startTime", "endTime"?, "error"?}``; with ``monitor=true`` (the
    ``Location`` URL): 202 while running, 200 with no body once it succeeded."""
    operation = _operation(call)
    state = operation.current_state()
    running = state.status == AsyncOperationStatus.IN_PROGRESS
    wait = {"Retry-After": lro.retry_after(operation)} if running else {}
    if not flag(call, "monitor"):
        return json_response(lro.status_body(operation, state), headers=wait)
    if running:
        return empty_response(
            202, headers={"Location": lro.status_url(call, operation, monitor=True), **wait}
        )
    if state.status == AsyncOperationStatus.SUCCEEDED:
        return empty_response(200)
    return arm_error(state.error_code or "OperationFailed", state.error_message, status=400)

"""Long-running operations as Azure answers them, so ``begin_*().result()`` works.

Every write answers with an ``Azure-AsyncOperation`` header naming an operation status
resource, ``/subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}``,
with the request's api-version in it (the SDK requests it verbatim). Every 202 (a DELETE, a
POST action) also gets a ``Location`` (``?monitor=true``), as the real service sends, and a
``Retry-After`` (``retry_after``).
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import empty_response
from rollout.models import (
    AsyncOperation,
    AsyncOperationKind,
    AsyncOperationStatus,
    ScaleSet,
    UpgradeOperation,
)
from rollout.models.api import OperationState
from rollout.services.wire import arm_time, compact


def record(
    call: ApiCall,
    kind: AsyncOperationKind,
    location: str,
    resource_id: str,
    *,
    scale_set: ScaleSet | None = None,
    upgrade: UpgradeOperation | None = None,
) -> AsyncOperation:
    """The status resource of this request: finished already, or following ``upgrade``."""
    now = timezone.now()
    follows = upgrade is not None
    return AsyncOperation.objects.create(
        subscription_id=call.subscription_id.lower(),
        location=location,
        kind=kind,
        resource_id=resource_id,
        status=AsyncOperationStatus.IN_PROGRESS if follows else AsyncOperationStatus.SUCCEEDED,
        upgrade=upgrade,
        scale_set=scale_set,
        api_version=call.api_version,
        started_at=now,
        ended_at=None if follows else now,
        created_by=call.user,
    )


def operation_path(operation: AsyncOperation) -> str:
    return (
        f"/subscriptions/{operation.subscription_id}/providers/Microsoft.Compute/locations/"
        f"{operation.location}/operations/{operation.id}"
    )


def status_url(call: ApiCall, operation: AsyncOperation, *, monitor: bool = False) -> str:
    query = {"monitor": "true"} if monitor else {}
    query["api-version"] = operation.api_version
    return call.request.build_absolute_uri(f"{operation_path(operation)}?{urlencode(query)}")


# ARM's RPC asks for at least 10 s between polls of a running operation: at Azure's pace a
# rollout takes minutes. Time-scaled, the wait shrinks with every other duration.
RETRY_AFTER_SECONDS = 10


def retry_after(operation: AsyncOperation) -> str:
    """Seconds a client should wait before it polls: 1 for an operation already finished
    (Retry-After 0 would make azure-core fall back to its 30 s ``polling_interval``), else
    ARM's 10 s divided by ``ROLLWRIGHT_TIME_SCALE``, at least 1."""
    if operation.status != AsyncOperationStatus.IN_PROGRESS:
        return "1"
    scale = float(getattr(settings, "ROLLWRIGHT_TIME_SCALE", 1) or 1)
    return str(max(1, math.ceil(RETRY_AFTER_SECONDS / scale)))


def headers(
    call: ApiCall, operation: AsyncOperation, *, with_location: bool = False
) -> dict[str, str]:
    """``Azure-AsyncOperation``; with ``with_location`` (every 202) also ``Location`` and
    ``Retry-After``. A PUT or PATCH (200/201) gets the first only, as Azure answers."""
    result = {"Azure-AsyncOperation": status_url(call, operation)}
    if with_location:
        result["Location"] = status_url(call, operation, monitor=True)
        result["Retry-After"] = retry_after(operation)
    return result


def accepted(call: ApiCall, operation: AsyncOperation) -> HttpResponse:
    """202 with no body, ``Azure-AsyncOperation``, ``Location`` and ``Retry-After``."""
    return empty_response(202, headers=headers(call, operation, with_location=True))


def status_body(operation: AsyncOperation, state: OperationState) -> dict[str, object]:
    """``{"name", "status", "startTime", "endTime"?, "error"?}`` as Compute's status resource."""
    error = None
    if state.status in (AsyncOperationStatus.FAILED, AsyncOperationStatus.CANCELED):
        error = {"code": state.error_code or "OperationFailed", "message": state.error_message}
    return compact(
        {
            "name": str(operation.id),
            "status": state.status,
            "startTime": arm_time(operation.started_at),
            "endTime": arm_time(state.end_time),
            "error": error,
        }
    )

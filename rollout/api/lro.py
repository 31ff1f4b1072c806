"""Long-running operations as Azure answers them, so ``begin_*().result()`` works.

Every write answers with an ``Azure-AsyncOperation`` header naming an operation status
resource, ``/subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}``,
with the request's api-version in it (the SDK requests it verbatim). A DELETE also gets a
``Location`` (``?monitor=true``), as the real service sends.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone

from rollout.api.dispatch import ApiCall
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


def headers(
    call: ApiCall, operation: AsyncOperation, *, with_location: bool = False
) -> dict[str, str]:
    """``Azure-AsyncOperation`` (and ``Location`` for a DELETE). No ``Retry-After``: the real
    service sends none, and the client's ``polling_interval`` then applies."""
    result = {"Azure-AsyncOperation": status_url(call, operation)}
    if with_location:
        result["Location"] = status_url(call, operation, monitor=True)
    return result


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

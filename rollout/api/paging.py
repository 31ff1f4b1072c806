"""ARM paging: ``{"value": [...], "nextLink": "..."}``.

The SDK requests a ``nextLink`` exactly as written, so it carries the api-version and the other
query options of the first request, plus ``$skiptoken`` (an offset).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.db.models import QuerySet

from rollout.api.dispatch import ApiCall
from rollout.services.errors import ServiceError

T = TypeVar("T")

PAGE_SIZES = {
    "scale_sets": 50,
    "virtual_machines": 100,
    "history": 5,
    "gallery": 50,
    "resource_groups": 100,
}
SKIP_TOKEN = "$skiptoken"


def skip_of(call: ApiCall) -> int:
    raw = call.query(SKIP_TOKEN)
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 9:
        raise ServiceError(
            "InvalidParameter", f"The {SKIP_TOKEN} '{raw[:40]}' is not valid.", SKIP_TOKEN
        )
    return int(raw)


def page(
    call: ApiCall,
    rows: Sequence[T] | QuerySet[Any, T],
    kind: str,
    serialize: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """One page of ``rows`` (a list or a queryset), with a ``nextLink`` when more follow."""
    size = PAGE_SIZES[kind]
    skip = skip_of(call)
    chunk = list(rows[skip : skip + size + 1])
    result: dict[str, Any] = {"value": [serialize(row) for row in chunk[:size]]}
    if len(chunk) > size:
        query = [
            (key, value)
            for key in call.request.GET
            if key.lower() != SKIP_TOKEN
            for value in call.request.GET.getlist(key)
        ]
        query.append((SKIP_TOKEN, str(skip + size)))
        result["nextLink"] = call.request.build_absolute_uri(
            f"{call.request.path}?{urlencode(query)}"
        )
    return result

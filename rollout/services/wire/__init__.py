"""Azure's wire format, shared by the services, the read models and the API.

Here: Azure's timestamps (``arm_time``) and ``compact``. ``schema``: the wire types (parse a
request, write a response, describe both in OpenAPI). ``fields``: what a field table is; and
one field table per resource type: ``scale_sets`` (and extensions), ``gallery``,
``resources`` (resource groups). It sits below the API because the services' updatable and
create-only fields derive from the tables.
"""

from __future__ import annotations

from datetime import UTC, datetime


def arm_time(moment: datetime | None) -> str | None:
    """Azure's timestamp: ``2020-11-17T07:17:37.7664762+00:00`` (7 fractional digits)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"


def compact(data: dict[str, object]) -> dict[str, object]:
    """Drop None values, as ARM omits absent properties."""
    return {key: value for key, value in data.items() if value is not None}

"""Entity tags of scale sets and their VMs, and the conditional requests they serve.

An etag is a digest of the resource as a GET returns it (plus what only ``$expand`` shows,
such as ``userData``): any change to what a client could read changes it, and nothing else
does, so no write path has to remember to bump a counter. Azure writes etags as quoted
strings (``"\\"3\\""`` in JSON); ours are quoted digests.

Conditional writes, as ARM answers them (the SDK sends these with ``etag=`` and
``match_condition=``, and maps 412 to ``ResourceModifiedError`` / ``ResourceExistsError``):

- ``If-Match: <etag>``: 412 ``PreconditionFailed`` unless the resource exists with that etag;
  ``If-Match: *``: 412 unless the resource exists;
- ``If-None-Match: *``: 412 if the resource exists (create only); ``If-None-Match: <etag>``:
  412 if the resource exists with that etag.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rollout.api.dispatch import ApiCall
from rollout.services.errors import ServiceError


def etag_of(body: dict[str, Any], *hidden: str) -> str:
    """The quoted digest of a resource's wire body and of its ``hidden`` members."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256("\x00".join((text, *hidden)).encode()).hexdigest()[:20]
    return f'"{digest}"'


def _tags(header: str) -> set[str]:
    """``"a", W/"b"`` → ``{"a", "b"}`` (weak and strong tags compare alike here)."""
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.add(tag.strip('"'))
    return tags


def check_preconditions(call: ApiCall, current: str | None, resource: str) -> None:
    """Refuse the write (412, ARM's envelope) when ``If-Match`` / ``If-None-Match`` do not hold
    for the resource's ``current`` etag (``None``: it does not exist)."""
    headers = call.request.headers
    if_match, if_none_match = headers.get("If-Match"), headers.get("If-None-Match")
    value = current.strip('"') if current is not None else None
    if if_match is not None:
        tags = _tags(if_match)
        if value is None or ("*" not in tags and value not in tags):
            raise ServiceError(
                "PreconditionFailed",
                f"The condition If-Match: {if_match[:80]} does not hold for {resource}: "
                + (
                    "it does not exist."
                    if value is None
                    else f"its current etag is {current}. Read it again, then retry."
                ),
                status=412,
            )
    if if_none_match is not None and value is not None:
        tags = _tags(if_none_match)
        if "*" in tags or value in tags:
            raise ServiceError(
                "PreconditionFailed",
                f"The condition If-None-Match: {if_none_match[:80]} does not hold: "
                f"{resource} already exists (etag {current}).",
                status=412,
            )

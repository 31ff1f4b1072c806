"""What a handler receives (``ApiCall``: the request, its user, api-version, path arguments,
query parameters and JSON body, each read as ARM reads it), and the answer to a path no route
serves. ``rollout.api.routing`` answers the routed ones."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from rollout.api.auth import authenticate, challenge
from rollout.api.envelope import arm_error, error_response
from rollout.services.access.grants import Grants
from rollout.services.errors import ServiceError
from rollout.services.wire.schema import Obj, check_json

MAX_BODY_BYTES = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

Handler = Callable[["ApiCall"], HttpResponse]


@dataclass
class ApiCall:
    """One authenticated request, as a handler sees it."""

    request: HttpRequest
    user: Any
    api_version: str
    args: dict[str, str]
    body_schema: Obj | None = None
    query_names: tuple[str, ...] = ()
    # What the caller may do where (R1): lists keep only the rows it may see.
    grants: Grants = field(default_factory=lambda: Grants(None, ()))
    _json: Any = field(default=None, repr=False)
    _read: bool = field(default=False, repr=False)

    @property
    def subscription_id(self) -> str:
        return self.args["subscription_id"]

    def query(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively as ARM does (``$expand``, ``$top``).

        Only the operation's declared parameters may be read: the route table describes what
        the handlers read, and a handler reading more is a bug."""
        if name not in self.query_names:
            raise LookupError(f"The query parameter {name} is not declared for this operation.")
        for key in self.request.GET:
            if key.lower() == name.lower():
                value = self.request.GET.get(key)
                if value is not None and _CONTROL.search(value):
                    raise ServiceError(
                        "InvalidParameter", f"The query parameter '{name}' is invalid.", name
                    )
                return value
        return None

    def body(self) -> dict[str, Any]:
        """The JSON body parsed against the operation's body schema; 400 for anything else."""
        if self.body_schema is None:
            raise LookupError("This operation declares no request body.")
        return self.body_schema.parse(self.json(), "")

    def optional_body(self) -> dict[str, Any]:
        """``body()``, or ``{}`` when the request has none (an optional body left out)."""
        if self.body_schema is None:
            raise LookupError("This operation declares no request body.")
        meta = self.request.META
        chunked = bool(meta.get("HTTP_TRANSFER_ENCODING"))
        if not self._read and not chunked and int(meta.get("CONTENT_LENGTH") or 0) == 0:
            return {}
        return self.body()

    def json(self) -> Any:
        if not self._read:
            self._json = _read_json(self.request)
            self._read = True
        return self._json


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _read_json(request: HttpRequest) -> Any:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_big()
    content_type = request.META.get("CONTENT_TYPE", "")
    # Read at most one byte more than allowed: a chunked body has no Content-Length, and
    # request.body would raise RequestDataTooBig (a 500) past Django's own limit.
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_big()
    if not raw.strip():
        raise ServiceError(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body is "
            "empty; a JSON object is required.",
        )
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ServiceError(
            "UnsupportedMediaType",
            f"The content media type '{media_type[:100]}' is not supported. Only "
            "'application/json' is supported.",
            status=415,
        )
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ServiceError(
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{str(error)[:200]}'.",
        ) from None
    check_json(value)
    return value


def _too_big() -> ServiceError:
    return ServiceError(
        "InvalidRequestContent",
        f"The request content is larger than the {MAX_BODY_BYTES // 1024} KiB allowed.",
    )


def check_path(args: Mapping[str, str]) -> None:
    for name, value in args.items():
        if _CONTROL.search(value) or len(value) > 260:
            raise ServiceError(
                "InvalidResourceName", f"The path segment '{name}' is not a valid name.", name
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ServiceError(
                "InvalidResourceName", f"The path segment '{name}' is not a valid name.", name
            ) from None


def response_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    response["x-ms-request-id"] = str(uuid.uuid4())
    client_id = request.headers.get("x-ms-client-request-id", "")
    if _CLIENT_REQUEST_ID.match(client_id):
        response["x-ms-client-request-id"] = client_id
    return response


def not_found_view() -> Callable[..., HttpResponse]:
    """Any other path under /subscriptions: authenticate, then ARM's 404."""

    @csrf_exempt
    def arm_not_found(request: HttpRequest, **args: str) -> HttpResponse:
        try:
            authenticate(request)
        except ServiceError as error:
            return response_headers(request, challenge(request, error_response(error)))
        return response_headers(
            request,
            arm_error(
                "NotFound",
                f"The path '{request.path[:300]}' names no resource type this API serves.",
                status=404,
            ),
        )

    return arm_not_found

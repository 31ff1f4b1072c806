"""Every ARM request goes through ``Endpoint.view``: the one place that authenticates, checks the
api-version and the subscription id, authorises writes, parses the body, and turns a refusal
into the ARM error envelope.

Order, as ARM's front door has it: 401 (token), 405 (method), 400 (api-version, subscription
id), 403 (writes without the operator permission), then the handler. A write runs in one
transaction, so a refusal raised half-way leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from rollout.api.auth import authenticate, require_operator
from rollout.api.envelope import arm_error, error_response
from rollout.api.schema import Obj, check_json
from rollout.api.versions import check_api_version
from rollout.services.errors import ServiceError
from rollout.services.resource_groups import GUID

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
READ_METHODS = frozenset({"GET", "HEAD"})
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
    _json: Any = field(default=None, repr=False)
    _read: bool = field(default=False, repr=False)

    @property
    def subscription_id(self) -> str:
        return self.args["subscription_id"]

    def query(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively as ARM does (``$expand``, ``$top``)."""
        for key in self.request.GET:
            if key.lower() == name.lower():
                value = self.request.GET.get(key)
                if value is not None and _CONTROL.search(value):
                    raise ServiceError(
                        "InvalidParameter", f"The query parameter '{name}' is invalid.", name
                    )
                return value
        return None

    def body(self, schema: Obj) -> dict[str, Any]:
        """The JSON body parsed against ``schema``; 400 for anything else."""
        return schema.parse(self.json(), "")

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


def _check_path(args: Mapping[str, str]) -> None:
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


def _response_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    response["x-ms-request-id"] = str(uuid.uuid4())
    client_id = request.headers.get("x-ms-client-request-id", "")
    if _CLIENT_REQUEST_ID.match(client_id):
        response["x-ms-client-request-id"] = client_id
    return response


@dataclass(frozen=True)
class Endpoint:
    """A path (a regex with named groups) and its handlers per HTTP method."""

    name: str
    pattern: str
    handlers: Mapping[str, Handler]
    versions: tuple[str, ...]
    resource_type: str

    def view(self) -> Callable[..., HttpResponse]:
        endpoint = self

        @csrf_exempt
        def arm_view(request: HttpRequest, **args: str) -> HttpResponse:
            return _response_headers(request, endpoint.respond(request, args))

        arm_view.endpoint = endpoint  # type: ignore[attr-defined]  # the OpenAPI test reads it
        return arm_view

    def respond(self, request: HttpRequest, args: dict[str, str]) -> HttpResponse:
        try:
            user = authenticate(request)
            method = request.method or "GET"
            handler = self.handlers.get(method)
            if handler is None:
                allowed = ", ".join(sorted(self.handlers))
                return arm_error(
                    "MethodNotAllowed",
                    f"The requested resource does not support http method '{method[:20]}'.",
                    status=405,
                    headers={"Allow": allowed},
                )
            _check_path(args)
            version = check_api_version(request.GET.getlist("api-version"), self.versions)
            subscription = args.get("subscription_id")
            if subscription is not None and not GUID.match(subscription):
                raise ServiceError(
                    "InvalidSubscriptionId",
                    f"The provided subscription identifier '{subscription[:80]}' is malformed "
                    "or invalid.",
                    "subscriptionId",
                )
            call = ApiCall(request, user, version, args)
            if method in READ_METHODS:
                return handler(call)
            require_operator(user, self.action(method), request.path)
            with transaction.atomic():
                return handler(call)
        except ServiceError as error:
            return error_response(error)
        except Exception:  # a bug: log it, and answer in ARM's shape rather than an HTML page
            logger.exception("ARM API %s %s failed", request.method, request.path)
            return arm_error(
                "InternalServerError",
                "The server encountered an internal error; it has been logged.",
                status=500,
            )

    def action(self, method: str) -> str:
        verb = {"DELETE": "delete", "POST": "action"}.get(method, "write")
        return f"{self.resource_type}/{verb}"


def not_found_view() -> Callable[..., HttpResponse]:
    """Any other path under /subscriptions: authenticate, then ARM's 404."""

    @csrf_exempt
    def arm_not_found(request: HttpRequest, **args: str) -> HttpResponse:
        try:
            authenticate(request)
        except ServiceError as error:
            return _response_headers(request, error_response(error))
        return _response_headers(
            request,
            arm_error(
                "NotFound",
                f"The path '{request.path[:300]}' names no resource type this API serves.",
                status=404,
            ),
        )

    return arm_not_found

"""What a route of the table is, how it becomes a URL pattern, and how it answers.

A ``Route`` is one ARM path, written as OpenAPI writes it
(``/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}``), with one
``Operation`` per HTTP method: the handler, and what the OpenAPI description says of it (its
id, body schema, query parameters, statuses). ``rollout.api.urls`` turns each route into a URL
pattern and ``rollout.api.openapi`` describes it; nothing else lists paths.

ARM paths match case-insensitively (azure-mgmt-resource writes ``resourcegroups``,
azure-mgmt-compute ``resourceGroups``). Each letter of the path's fixed text becomes a
character class, ``[rR]``, with the spelling of the template first: Django's public
``re_path`` matches it, and ``reverse`` writes the template's spelling. (An inline ``(?i)``
flag would match the same, but ``reverse`` prepends to the pattern, and Python refuses a global
flag that is not at the start: one such route broke every ``reverse`` of the site.)

Answering, in the order ARM's front door has it: 401 (token), 405 (method), 400 (api-version,
subscription id), 403 ``AuthorizationFailed`` (R1: no role allowing the operation's action at
its scope), then the handler. A write runs in one transaction, so a refusal raised half-way
leaves nothing behind.

Each operation says how it is authorised (``Operation.authorization``):

- ``resource``: the action at the path's scope (its resource group, else its subscription);
- ``listing``: the action somewhere in the subscription; the handler keeps only the rows the
  caller may see (``call.grants``), as ARM's lists at subscription scope do;
- ``platform``: the platform's catalogue: reads as ``listing``, writes at the root scope;
- ``caller``: any caller; the handler answers with what the caller may see (``/tenants``).

The action is Azure's operation name: ``{resourceType}/read|write|delete``, or the
operation's own (``Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt

from rollout.api.auth import authenticate, challenge
from rollout.api.dispatch import ApiCall, Handler, check_path, response_headers
from rollout.api.envelope import arm_error, error_response
from rollout.api.versions import API_VERSIONS, check_api_version
from rollout.services.access.grants import Grants, grants_of
from rollout.services.access.scopes import Scope
from rollout.services.access.subscriptions import open_subscription
from rollout.services.errors import ServiceError
from rollout.services.resource_groups import GUID
from rollout.services.wire.schema import Obj

logger = logging.getLogger(__name__)

METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")
READ_METHODS = frozenset({"GET", "HEAD"})

# A path parameter's name in the OpenAPI description → the handler's argument (``call.args``).
PATH_PARAMETERS = {
    "subscriptionId": "subscription_id",
    "resourceGroupName": "resource_group",
    "vmScaleSetName": "scale_set",
    "instanceId": "instance_id",
    "location": "location",
    "publisherName": "publisher",
    "offer": "offer",
    "skus": "sku",
    "version": "version",
    "galleryName": "gallery",
    "galleryImageName": "image",
    "galleryImageVersionName": "version",
    "operationId": "operation_id",
    "gateName": "gate",
}
# The query parameters an operation may declare, with their schemas; a handler reads only the
# ones its operation declares (``ApiCall.query``).
QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "$expand": {"type": "string", "maxLength": 100},
    "$filter": {"type": "string", "maxLength": 200},
    "$select": {"type": "string", "maxLength": 100},
    "$top": {"type": "integer", "minimum": 0},
    "$orderby": {"type": "string", "enum": ["name", "name asc", "name desc"]},
    "$skiptoken": {"type": "string", "pattern": "^[0-9]{1,9}$"},
    "monitor": {"type": "string", "enum": ["true", "false"]},
    "forceDeletion": {"type": "boolean"},
    "skipShutdown": {"type": "boolean"},
    "hibernate": {"type": "boolean"},
}
_PARAMETER = re.compile(r"\{(\w+)\}")
AUTHORIZATIONS = ("resource", "listing", "platform", "caller")


@dataclass(frozen=True)
class Operation:
    """One HTTP method of a route: its handler, and how the OpenAPI description shows it."""

    handler: Handler
    operation_id: str
    summary: str
    responses: tuple[int, ...] = (200,)
    body: Obj | None = None
    body_required: bool = True  # False: the body may be left out (``ApiCall.optional_body``)
    query: tuple[str, ...] = ()
    long_running: bool = False
    # R1: Azure's name of what this operation does (default: the route's type + read, write
    # or delete), and how it is authorised (the module's docstring).
    action: str = ""
    authorization: str = "resource"

    def __post_init__(self) -> None:
        unknown = set(self.query) - set(QUERY_PARAMETERS)
        if unknown:
            raise ValueError(f"{self.operation_id}: undeclared query parameters {unknown}")
        if self.authorization not in AUTHORIZATIONS:
            raise ValueError(f"{self.operation_id}: unknown authorization {self.authorization}")


@dataclass(frozen=True)
class Route:
    """An ARM path (an OpenAPI template), its api-version family and its operations."""

    name: str
    template: str
    family: str
    resource_type: str
    get: Operation | None = None
    head: Operation | None = None
    put: Operation | None = None
    patch: Operation | None = None
    post: Operation | None = None
    delete: Operation | None = None

    def __post_init__(self) -> None:
        if self.family not in API_VERSIONS:
            raise ValueError(f"{self.name}: unknown api-version family {self.family!r}")
        unknown = set(self.parameters) - set(PATH_PARAMETERS)
        if unknown:
            raise ValueError(f"{self.name}: undeclared path parameters {unknown}")

    @property
    def operations(self) -> dict[str, Operation]:
        """HTTP method (upper case) → operation."""
        found = {method: getattr(self, method.lower()) for method in METHODS}
        return {method: operation for method, operation in found.items() if operation}

    @property
    def versions(self) -> tuple[str, ...]:
        return API_VERSIONS[self.family]

    @property
    def parameters(self) -> list[str]:
        """The template's path parameters, in order (OpenAPI names)."""
        return _PARAMETER.findall(self.template)

    @property
    def regex(self) -> str:
        """The template as a case-insensitive regex with one named group per parameter."""
        parts = _PARAMETER.split(self.template.lstrip("/"))
        pattern = "".join(  # split() puts the parameters' names at the odd indexes
            rf"(?P<{PATH_PARAMETERS[part]}>[^/]+)" if index % 2 else case_insensitive(part)
            for index, part in enumerate(parts)
        )
        return rf"^{pattern}/?$"

    def url(self) -> URLPattern:
        return re_path(self.regex, self.view(), name=f"arm-{self.name}")

    def view(self) -> Callable[..., HttpResponse]:
        route = self

        @csrf_exempt
        def arm_view(request: HttpRequest, **args: str) -> HttpResponse:
            return response_headers(request, route.respond(request, args))

        arm_view.route = route  # type: ignore[attr-defined]  # the OpenAPI test reads it
        return arm_view

    def respond(self, request: HttpRequest, args: dict[str, str]) -> HttpResponse:
        try:
            return self._answer(request, args)
        except ServiceError as error:
            return challenge(request, error_response(error))
        except Exception:  # a bug: log it, and answer in ARM's shape rather than an HTML page
            logger.exception("ARM API %s %s failed", request.method, request.path)
            return arm_error(
                "InternalServerError",
                "The server encountered an internal error; it has been logged.",
                status=500,
            )

    def _answer(self, request: HttpRequest, args: dict[str, str]) -> HttpResponse:
        user = authenticate(request)
        method = request.method or "GET"
        operation = self.operations.get(method)
        if operation is None:
            return arm_error(
                "MethodNotAllowed",
                f"The requested resource does not support http method '{method[:20]}'.",
                status=405,
                headers={"Allow": ", ".join(sorted(self.operations))},
            )
        check_path(args)
        version = check_api_version(request.GET.getlist("api-version"), self.versions)
        subscription = args.get("subscription_id")
        if subscription is not None and not GUID.match(subscription):
            raise ServiceError(
                "InvalidSubscriptionId",
                f"The provided subscription identifier '{subscription[:80]}' is malformed "
                "or invalid.",
                "subscriptionId",
            )
        grants = grants_of(user)
        call = ApiCall(request, user, version, args, operation.body, operation.query, grants)
        action = self.action(method)
        if method in READ_METHODS:
            self.authorise(operation, action, grants, call, read=True)
            return operation.handler(call)
        with transaction.atomic():
            if subscription is not None:
                open_subscription(subscription, grants)  # its first use, if allowed
            self.authorise(operation, action, grants, call, read=False)
            return operation.handler(call)

    def action(self, method: str) -> str:
        operation = self.operations[method]
        if operation.action:
            return operation.action
        verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")
        return f"{self.resource_type}/{verb}"

    def authorise(
        self, operation: Operation, action: str, grants: Grants, call: ApiCall, *, read: bool
    ) -> None:
        """403 ``AuthorizationFailed`` unless a role allows ``action`` here (R1)."""
        how = operation.authorization
        subscription = call.args.get("subscription_id")
        if how == "caller" or subscription is None:
            return
        if how == "listing" or (how == "platform" and read):
            grants.require_within(action, subscription)
        elif how == "platform":
            grants.require(action, Scope(), shown=call.request.path)
        else:
            group = call.args.get("resource_group")
            grants.require(action, Scope(subscription.lower(), group), shown=call.request.path)


def case_insensitive(text: str) -> str:
    """``Ab.`` → ``[Aa][bB]\\.``: a regex matching ``text`` in any case; ``reverse`` writes
    ``text`` as given, the first member of each class."""
    return "".join(
        f"[{char}{char.swapcase()}]" if char.isalpha() else re.escape(char) for char in text
    )

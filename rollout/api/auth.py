"""Bearer tokens at the door: authenticate a request, authorise writes.

A token looks like ``rwt_<prefix>_<secret>``: the prefix finds the row, the hash of the whole
token proves it (``rollout.services.access.tokens`` issues and revokes them). Any authenticated
user may read; writes need ``rollout.operate_scaleset``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from rollout.models import ApiToken
from rollout.models.api import TOKEN_PREFIX
from rollout.services.errors import ServiceError

OPERATOR_PERMISSION = "rollout.operate_scaleset"
TOKEN_FORMAT = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
# last_used_at is a hint for the admin, not an audit: write it at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def unauthenticated(message: str) -> ServiceError:
    return ServiceError("AuthenticationFailed", message, status=401)


def authenticate(request: HttpRequest) -> Any:
    """The active user whose valid, unrevoked token the request carries, else a 401."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthenticated("Authentication failed. The 'Authorization' header is missing.")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise unauthenticated(
            "Authentication failed. The 'Authorization' header is not a Bearer token."
        )
    token = credentials.strip()
    match = TOKEN_FORMAT.match(token)
    row = None
    if match is not None:
        row = (
            ApiToken.objects.select_related("user")
            .filter(prefix=match.group(1), revoked_at__isnull=True)
            .first()
        )
    if row is None or not row.matches(token) or not row.user.is_active:
        raise unauthenticated("Authentication failed. The access token is invalid or revoked.")
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return row.user


def require_operator(user: Any, action: str, scope: str) -> None:
    """403 ``AuthorizationFailed`` unless the user may operate scale sets."""
    if user.has_perm(OPERATOR_PERMISSION):
        return
    raise ServiceError(
        "AuthorizationFailed",
        f"The client '{user.get_username()}' does not have authorization to perform action "
        f"'{action}' over scope '{scope}' or the scope is invalid: it needs the permission "
        f"'{OPERATOR_PERMISSION}' (the operators group).",
        status=403,
    )

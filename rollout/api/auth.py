"""Bearer tokens at the door: who is calling (401 otherwise).

Two kinds of token are accepted:

- Rollwright's own, ``rwt_<prefix>_<secret>`` (``create_api_token``): the prefix finds the row,
  the hash of the whole token proves it (``rollout.services.access.tokens``).
- The OAuth2 token endpoint's (``rollout.api.signin``): a JWT whose checksum finds the row
  django-oauth-toolkit stored; the caller is the service principal's user.

Either is refused once revoked or expired (Azure's ``ExpiredAuthenticationToken``). What the
caller may then do is the role assignments' business (``rollout.services.access.grants``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from rollout.models import ApiToken
from rollout.models.api import TOKEN_PREFIX
from rollout.services.errors import ServiceError

TOKEN_FORMAT = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
JWT_FORMAT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
# last_used_at is a hint for the admin, not an audit: write it at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def unauthenticated(message: str, code: str = "AuthenticationFailed") -> ServiceError:
    return ServiceError(code, message, status=401)


def expired(expires_at: datetime) -> ServiceError:
    """ARM's words for an expired token."""
    return unauthenticated(
        f"The access token expiry UTC time '{_azure_time(expires_at)}' is earlier than current "
        f"UTC time '{_azure_time(timezone.now())}'.",
        "ExpiredAuthenticationToken",
    )


def _azure_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.month}/{utc.day}/{utc.year} {utc.strftime('%I:%M:%S %p').lstrip('0')}"


def authenticate(request: HttpRequest) -> Any:
    """The active user whose valid token the request carries, else a 401."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthenticated("Authentication failed. The 'Authorization' header is missing.")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise unauthenticated(
            "Authentication failed. The 'Authorization' header is not a Bearer token."
        )
    token = credentials.strip()
    if TOKEN_FORMAT.match(token):
        return _api_token_user(token)
    if JWT_FORMAT.match(token):
        return _oauth_token_user(token)
    raise invalid_token()


def invalid_token() -> ServiceError:
    return unauthenticated("Authentication failed. The access token is invalid or revoked.")


def _api_token_user(token: str) -> Any:
    match = TOKEN_FORMAT.match(token)
    assert match is not None
    row = (
        ApiToken.objects.select_related("user")
        .filter(prefix=match.group(1), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.matches(token) or not row.user.is_active:
        raise invalid_token()
    if row.is_expired:
        raise expired(row.expires_at)
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return row.user


def _oauth_token_user(token: str) -> Any:
    checksum = hashlib.sha256(token.encode()).hexdigest()
    row = (
        AccessToken.objects.select_related("application__service_principal__user")
        .filter(token_checksum=checksum)
        .first()
    )
    service_principal = getattr(row.application, "service_principal", None) if row else None
    if row is None or service_principal is None or not service_principal.user.is_active:
        raise invalid_token()
    if row.is_expired():
        raise expired(row.expires)
    return service_principal.user


def challenge(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 401 says where to get a token, as ARM's ``WWW-Authenticate`` does."""
    if response.status_code == 401:
        authority = f"{request.build_absolute_uri('/').rstrip('/')}/{settings.ROLLWRIGHT_TENANT_ID}"
        response["WWW-Authenticate"] = (
            f'Bearer authorization_uri="{authority}", error="invalid_token", '
            'error_description="The access token is missing, invalid, revoked or expired."'
        )
    return response

"""The OAuth2 server's Rollwright parts (A2), plugged into django-oauth-toolkit's settings.

django-oauth-toolkit does the protocol: client authentication against the hashed secret,
``grant_type=client_credentials``, the token response (``access_token``, ``expires_in``,
``token_type``), storing only a checksum of each token, revocation. Rollwright adds:

1. ``ServicePrincipalBackend`` tells the token's builder where it is: the issuer and the
   server's own origin, from the request (scheme, host, ``SECURE_PROXY_SSL_HEADER``), under
   keys a client cannot send (every client header is ``HTTP_``-prefixed).
2. ``ClientCredentialsValidator`` serves service principals only (an enabled one), and takes
   the scope the way Azure AD does: exactly one ``{resource}/.default``, for Resource
   Manager (``ROLLWRIGHT_TOKEN_AUDIENCES``) or for this server itself.
3. ``generate_access_token`` makes every token a signed JWT carrying Azure's claims (``aud``,
   ``iss``, ``appid``, ``oid``, ``tid``, ``exp``...), since tools decode them (MSAL-based
   tools read ``tid`` and ``oid``). The server's proof of a token is the stored checksum,
   looked up on every request (``rollout.api.auth``), so a revoked token fails at once.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator

from rollout.services.access.principals import object_id

ISSUER_KEY = "ROLLWRIGHT_ISSUER"
ORIGIN_KEY = "ROLLWRIGHT_ORIGIN"
DEFAULT_SCOPE_SUFFIX = "/.default"


def origin_of(request: Any) -> str:
    """``https://host:port``, as the client reached this server."""
    return str(request.build_absolute_uri("/")).rstrip("/")


def issuer_for(origin: str, tenant: str) -> str:
    """Azure AD v2.0's issuer shape, ``{authority}/v2.0``; ADFS's is the authority itself."""
    if tenant.lower() == "adfs":
        return f"{origin}/adfs"
    return f"{origin}/{settings.ROLLWRIGHT_TENANT_ID}/v2.0"


class ServicePrincipalBackend(OAuthLibCore):  # type: ignore[misc]  # untyped library
    """Step 1 of the module's docstring."""

    def extract_headers(self, request: Any) -> dict[str, Any]:
        headers: dict[str, Any] = super().extract_headers(request)
        origin = origin_of(request)
        headers[ORIGIN_KEY] = origin
        tenant = request.resolver_match.kwargs.get("tenant") if request.resolver_match else ""
        headers[ISSUER_KEY] = issuer_for(origin, tenant or "")
        return headers


def audience_of(scope: str) -> str:
    """``https://management.core.windows.net//.default`` → ``https://management.core.windows.net/``."""
    return scope[: -len(DEFAULT_SCOPE_SUFFIX)]


def allowed_audiences(origin: str) -> set[str]:
    audiences = {audience.rstrip("/") for audience in settings.ROLLWRIGHT_TOKEN_AUDIENCES}
    return audiences | {origin.rstrip("/")}


class ClientCredentialsValidator(OAuth2Validator):  # type: ignore[misc]  # untyped library
    """Step 2 of the module's docstring."""

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        service_principal = getattr(request.client, "service_principal", None)
        return bool(service_principal is not None and service_principal.user.is_active)

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if len(scopes) != 1 or not scopes[0].endswith(DEFAULT_SCOPE_SUFFIX):
            return False
        origin = str(request.headers.get(ORIGIN_KEY, ""))
        return audience_of(scopes[0]).rstrip("/") in allowed_audiences(origin)


def signing_key() -> jwk.JWK:
    """An HMAC key derived from SECRET_KEY: only this server signs (and needs to check)."""
    secret = salted_hmac("rollout.access-token", "signing", algorithm="sha256").digest()
    return jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(secret).rstrip(b"=").decode())


def generate_access_token(request: Any) -> str:
    """Step 3 of the module's docstring: Azure's v2.0 access token claims."""
    service_principal = request.client.service_principal
    now = int(time.time())
    issuer = str(request.headers.get(ISSUER_KEY, ""))
    claims = {
        "aud": audience_of(request.scopes[0]),
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + int(settings.ROLLWRIGHT_OAUTH_TOKEN_SECONDS),
        "appid": service_principal.app_id,
        "azp": service_principal.app_id,
        "appidacr": "1",
        "idp": issuer,
        "oid": object_id(service_principal.user),
        "sub": object_id(service_principal.user),
        "tid": settings.ROLLWRIGHT_TENANT_ID,
        "uti": uuid.uuid4().hex,
        "ver": "2.0",
    }
    token = jwt.JWT(header={"alg": "HS256", "typ": "JWT"}, claims=json.dumps(claims))
    token.make_signed_token(signing_key())
    return str(token.serialize())

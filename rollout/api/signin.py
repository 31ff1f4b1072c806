"""Signing in (A2): the OAuth2 authority ``{loginEndpoint}/{tenant}`` that MSAL, the az CLI
and azure-identity talk to, with this server's address as the login endpoint.

What MSAL (1.39, ``msal/authority.py`` and ``msal/oauth2cli/oauth2.py``) does with an
authority ``https://host/{tenant}``, and what answers it here:

1. Unless told ``instance_discovery=False`` (``az config set core.instance_discovery=false``),
   it asks login.microsoftonline.com whether the host is a known cloud: no answer comes from
   here. An ADFS-style authority (``https://host/adfs``: its first path segment is ``adfs``)
   skips that question; ``/adfs`` is served as an alias of the tenant for that reason.
2. It GETs ``{authority}/v2.0/.well-known/openid-configuration`` (ADFS:
   ``{authority}/.well-known/openid-configuration``) and needs ``authorization_endpoint``
   and ``token_endpoint``; it reads ``issuer`` and takes its tenant from the token
   endpoint's first path segment.
3. It POSTs to the token endpoint ``grant_type=client_credentials``, ``client_id``,
   ``client_secret``, ``scope={resource}/.default``, ``client_info=1`` and, from the az CLI,
   ``claims`` (client capability CP1), and reads ``access_token``, ``expires_in`` and
   ``token_type`` back. django-oauth-toolkit answers it (``rollout.services.access.oauth``).

Every URL in the documents is built from the request, so it has the scheme and host the
client used (honouring ``SECURE_PROXY_SSL_HEADER`` behind a TLS-terminating proxy).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from oauth2_provider.views import TokenView

from rollout.services.access.oauth import issuer_for, origin_of

ADFS = "adfs"
_token_view = TokenView.as_view()


def known_tenant(tenant: str) -> bool:
    """Our tenant's id or domain name, or ``adfs``."""
    names = {settings.ROLLWRIGHT_TENANT_ID, settings.ROLLWRIGHT_TENANT_DOMAIN.lower(), ADFS}
    return tenant.lower() in names


def unknown_tenant(tenant: str) -> JsonResponse:
    """Azure AD's answer for a tenant it does not have (AADSTS90002)."""
    return JsonResponse(
        {
            "error": "invalid_tenant",
            "error_description": f"AADSTS90002: Tenant '{tenant[:100]}' not found. Check to "
            f"make sure you have the correct tenant ID: this server is tenant "
            f"'{settings.ROLLWRIGHT_TENANT_ID}' ({settings.ROLLWRIGHT_TENANT_DOMAIN}).",
        },
        status=400,
    )


def endpoints(request: HttpRequest, tenant: str) -> dict[str, str]:
    """The authority's endpoints, Azure AD v2.0's shape (ADFS's for ``adfs``)."""
    origin = origin_of(request)
    if tenant.lower() == ADFS:
        base, version = f"{origin}/{ADFS}", ""
    else:
        base, version = f"{origin}/{settings.ROLLWRIGHT_TENANT_ID}", "/v2.0"
    return {
        "issuer": issuer_for(origin, tenant),
        "authorization_endpoint": f"{base}/oauth2{version}/authorize",
        "token_endpoint": f"{base}/oauth2{version}/token",
        "jwks_uri": f"{base}/discovery{version}/keys",
    }


@require_GET
def openid_configuration(request: HttpRequest, tenant: str) -> HttpResponse:
    if not known_tenant(tenant):
        return unknown_tenant(tenant)
    document: dict[str, Any] = {
        **endpoints(request, tenant),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["token"],
        "response_modes_supported": ["form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "scopes_supported": [
            f"{audience.rstrip('/')}/.default" for audience in settings.ROLLWRIGHT_TOKEN_AUDIENCES
        ],
        "claims_supported": ["aud", "iss", "iat", "nbf", "exp", "appid", "oid", "sub", "tid"],
        "tenant_region_scope": None,
        "cloud_instance_name": request.get_host(),
    }
    return JsonResponse(document)


@csrf_exempt
def token(request: HttpRequest, tenant: str) -> HttpResponse:
    """The OAuth2 token endpoint: client credentials of a service principal."""
    if not known_tenant(tenant):
        return unknown_tenant(tenant)
    if request.POST.get("grant_type") != "client_credentials":
        # Only service principals sign in here: no password grant (whose answers would tell
        # a guessed password from a wrong one), no codes, no refresh tokens.
        return JsonResponse(
            {
                "error": "unsupported_grant_type",
                "error_description": "Only grant_type=client_credentials is supported.",
            },
            status=400,
        )
    response: HttpResponse = _token_view(request)
    return response


def authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    """Declared because MSAL requires it; people log in at ``/login/``, not here."""
    return JsonResponse(
        {
            "error": "unsupported_response_type",
            "error_description": "This authority signs in service principals with client "
            "credentials only; people log in to the dashboard at /login/.",
        },
        status=400,
    )


@require_GET
def keys(request: HttpRequest, tenant: str) -> HttpResponse:
    """No public keys: tokens are signed with a key only this server holds, and checked by
    their stored checksum (``rollout.services.access.oauth``)."""
    return JsonResponse({"keys": []})

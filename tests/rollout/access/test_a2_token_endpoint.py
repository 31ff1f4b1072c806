"""A2, in process: the authority's documents and token endpoint, answering the requests
exactly as MSAL 1.39 sends them (msal/authority.py, msal/oauth2cli/oauth2.py: a form POST
with ``client_id``, ``grant_type``, ``client_info=1``, ``client_secret``, ``scope`` and, from
the az CLI, ``claims``), and the API accepting, then refusing, the tokens."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken

from rollout.services.access.service_principals import (
    create_service_principal,
    reset_secret,
    set_enabled,
)
from tests.rollout.access.conftest import SUBSCRIPTION
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db

ARM_SCOPE = "https://management.core.windows.net//.default"
CP1 = json.dumps({"access_token": {"xms_cc": {"values": ["CP1"]}}})
VMSS = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.Compute/"
    "virtualMachineScaleSets"
)


@pytest.fixture
def robot(world: Any) -> tuple[Any, str]:
    service_principal, secret = create_service_principal("deploy-bot")
    grant(
        service_principal.user,
        "Contributor",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test",
    )
    return service_principal, secret


def token_request(client: Client, app_id: str, secret: str, **overrides: str) -> Any:
    form = {
        "client_id": app_id,
        "grant_type": "client_credentials",
        "client_info": "1",
        "client_secret": secret,
        "scope": ARM_SCOPE,
        "claims": CP1,
        **overrides,
    }
    tenant = settings.ROLLWRIGHT_TENANT_ID
    return client.post(
        f"/{tenant}/oauth2/v2.0/token",
        form,
        headers={"Accept": "application/json", "x-client-sku": "MSAL.Python"},
    )


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def arm_get(client: Client, token: str, path: str) -> Any:
    return client.get(
        f"{path}?api-version=2024-11-01", headers={"Authorization": f"Bearer {token}"}
    )


def test_a2_the_openid_configuration_has_what_msal_reads_built_from_the_request() -> None:
    tenant = settings.ROLLWRIGHT_TENANT_ID
    document = Client().get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert document["token_endpoint"] == f"http://testserver/{tenant}/oauth2/v2.0/token"
    assert document["authorization_endpoint"] == f"http://testserver/{tenant}/oauth2/v2.0/authorize"
    assert document["issuer"] == f"http://testserver/{tenant}/v2.0"
    adfs = Client().get("/adfs/.well-known/openid-configuration").json()
    assert adfs["token_endpoint"] == "http://testserver/adfs/oauth2/token"
    assert adfs["issuer"] == "http://testserver/adfs"
    by_domain = Client().get(
        f"/{settings.ROLLWRIGHT_TENANT_DOMAIN}/v2.0/.well-known/openid-configuration"
    )
    assert by_domain.json()["token_endpoint"].endswith(f"/{tenant}/oauth2/v2.0/token")


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_a2_behind_a_tls_proxy_every_url_is_https() -> None:
    tenant = settings.ROLLWRIGHT_TENANT_ID
    document = (
        Client()
        .get(
            f"/{tenant}/v2.0/.well-known/openid-configuration",
            headers={"X-Forwarded-Proto": "https", "Host": "testserver"},  # as a proxy sends
        )
        .json()
    )
    assert document["token_endpoint"].startswith("https://testserver/")
    assert document["issuer"].startswith("https://testserver/")


def test_a2_an_unknown_tenant_is_refused_as_azure_ad_does() -> None:
    answer = Client().get("/not-our-tenant/v2.0/.well-known/openid-configuration")
    assert answer.status_code == 400 and "AADSTS90002" in answer.json()["error_description"]


def test_a2_client_credentials_give_an_expiring_jwt_with_azures_claims(robot: Any) -> None:
    service_principal, secret = robot
    answer = token_request(Client(), service_principal.app_id, secret)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = claims_of(body["access_token"])
    assert claims["tid"] == settings.ROLLWRIGHT_TENANT_ID
    assert claims["appid"] == service_principal.app_id
    assert claims["aud"] == "https://management.core.windows.net/"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["oid"] and claims["oid"] != service_principal.app_id
    row = AccessToken.objects.get(application=service_principal.application)
    assert row.token == ""  # only its checksum is kept (RFC 9700 storage)
    assert secret not in service_principal.application.client_secret  # hashed


def test_a2_the_secret_may_come_in_a_basic_authorization_header(robot: Any) -> None:
    service_principal, secret = robot
    basic = base64.b64encode(f"{service_principal.app_id}:{secret}".encode()).decode()
    answer = Client().post(
        f"/{settings.ROLLWRIGHT_TENANT_ID}/oauth2/token",
        {"grant_type": "client_credentials", "scope": ARM_SCOPE},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200, answer.content


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "00000000-0000-0000-0000-00000000dead"}, "invalid_client"),
        ({"scope": "https://graph.microsoft.com/.default"}, "invalid_scope"),
        ({"scope": "https://management.core.windows.net/"}, "invalid_scope"),
        ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "x"}, "unsupported_grant_type"),
    ],
)
def test_a2_bad_token_requests_are_refused(
    robot: Any, overrides: dict[str, str], error: str
) -> None:
    service_principal, secret = robot
    answer = token_request(Client(), service_principal.app_id, secret, **overrides)
    assert answer.status_code in (400, 401) and answer.json()["error"] == error
    assert not AccessToken.objects.exists()


def test_a2_the_api_accepts_the_token_within_the_service_principals_roles(robot: Any) -> None:
    service_principal, secret = robot
    client = Client()
    token = token_request(client, service_principal.app_id, secret).json()["access_token"]
    assert arm_get(client, token, f"{VMSS}/web10").status_code == 200
    subscriptions = client.get(
        "/subscriptions?api-version=2022-12-01", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [row["subscriptionId"] for row in subscriptions["value"]] == [SUBSCRIPTION]
    other = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-elsewhere"
    refused = client.put(
        f"{other}?api-version=2024-11-01",
        '{"location": "westeurope"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403
    assert (
        f"The client '{service_principal.app_id}' with object id"
        in refused.json()["error"]["message"]
    )


def test_a2_revoked_expired_and_disabled_tokens_are_refused(robot: Any) -> None:
    service_principal, secret = robot
    client = Client()
    token = token_request(client, service_principal.app_id, secret).json()["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    expired = arm_get(client, token, f"{VMSS}/web10")
    assert (
        expired.status_code == 401
        and expired.json()["error"]["code"] == "ExpiredAuthenticationToken"
    )
    assert "Bearer authorization_uri=" in expired["WWW-Authenticate"]
    token = token_request(client, service_principal.app_id, secret).json()["access_token"]
    new_secret = reset_secret(service_principal)  # revokes every token
    assert arm_get(client, token, f"{VMSS}/web10").status_code == 401
    assert token_request(client, service_principal.app_id, secret).status_code == 401
    token = token_request(client, service_principal.app_id, new_secret).json()["access_token"]
    set_enabled(service_principal, False)
    assert arm_get(client, token, f"{VMSS}/web10").status_code == 401
    assert token_request(client, service_principal.app_id, new_secret).status_code == 401


def test_a2_a_forged_token_with_the_same_claims_is_refused(robot: Any) -> None:
    service_principal, secret = robot
    token = token_request(Client(), service_principal.app_id, secret).json()["access_token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}AA"
    assert arm_get(Client(), forged, f"{VMSS}/web10").status_code == 401

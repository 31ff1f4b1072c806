"""A2 through the real clients, over TLS (MSAL refuses an http authority, azure-core a bearer
token over http): daphne on the harness with a trustme certificate, a service principal made
by ``create_service_principal``, then

- MSAL itself, as the az CLI configures it (``instance_discovery=False``, client capability
  CP1) at ``https://localhost:port/{tenant}``, and ADFS-style at ``https://localhost:port/adfs``
  (where MSAL skips instance discovery by itself);
- azure-identity's ``ClientSecretCredential`` pointed at the same authority, driving
  ``azure-mgmt-compute`` against the API: reads within the role, ``AuthorizationFailed``
  outside it;
- a wrong tenant and a wrong secret refused; a reset secret revoking the tokens.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import msal
import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from django.conf import settings
from django.core.management import call_command

from rollout.models import ServicePrincipal
from rollout.services.access.service_principals import reset_secret
from tests.support import Stack, Tls
from tests.support.fleets import add_scale_set, publish_platform_image, region, resource_group

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

SUBSCRIPTION = "6f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10"
OTHER_GROUP = "team-b"
ARM_SCOPE = "https://management.core.windows.net//.default"


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tls:
    made = Tls.make(tmp_path)
    # requests (under MSAL and azure-core) trusts the throw-away CA, as a user's machine would
    # trust a real one.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(made.ca))
    return made


@pytest.fixture
def server(tls: Tls, tmp_path: Path) -> Iterator[Stack]:
    westeurope = region("westeurope", display_name="West Europe")
    publish_platform_image([westeurope])
    add_scale_set(resource_group("team-a", subscription_id=SUBSCRIPTION), westeurope, "web", 2)
    add_scale_set(resource_group(OTHER_GROUP, subscription_id=SUBSCRIPTION), westeurope, "db", 2)
    stack = Stack.on_test_database(
        tmp_path / "logs",
        redis_url=settings.CELERY_BROKER_URL,  # no worker: sign-in and reads queue nothing
        time_scale=1.0,
    )
    with stack:
        stack.start(web=True, workers=0, tls=tls)
        yield stack


@pytest.fixture
def robot() -> dict[str, str]:
    out = StringIO()
    call_command(
        "create_service_principal",
        "deploy-bot",
        "--role",
        "Contributor",
        "--scope",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/team-a",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    answer: dict[str, str] = json.loads(out.getvalue())
    assert set(answer) == {"appId", "password", "tenant"}
    return answer


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def msal_app(
    authority: str, robot: dict[str, str], **options: Any
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        robot["appId"], client_credential=robot["password"], authority=authority, **options
    )


def test_a2_msal_signs_in_as_the_az_cli_does(server: Stack, robot: dict[str, str]) -> None:
    app = msal_app(
        f"{server.url}/{robot['tenant']}",
        robot,
        instance_discovery=False,  # az config set core.instance_discovery=false
        client_capabilities=["CP1"],  # what az sends (claims)
    )
    result = app.acquire_token_for_client([ARM_SCOPE])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer" and 3000 < result["expires_in"] <= 3600
    claims = claims_of(result["access_token"])
    assert claims["tid"] == robot["tenant"] and claims["appid"] == robot["appId"]
    assert claims["iss"] == f"{server.url}/{robot['tenant']}/v2.0"
    assert claims["oid"]
    # The API takes it: reads of what the role covers.
    answer = requests.get(
        f"{server.url}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {result['access_token']}"},
        timeout=10,
    )
    assert [row["subscriptionId"] for row in answer.json()["value"]] == [SUBSCRIPTION]
    tenants = requests.get(
        f"{server.url}/tenants?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {result['access_token']}"},
        timeout=10,
    ).json()
    assert tenants["value"][0]["tenantId"] == robot["tenant"]


def test_a2_msal_signs_in_at_the_adfs_style_authority_without_instance_discovery(
    server: Stack, robot: dict[str, str]
) -> None:
    result = msal_app(f"{server.url}/adfs", robot).acquire_token_for_client([ARM_SCOPE])
    assert "access_token" in result, result
    assert claims_of(result["access_token"])["tid"] == robot["tenant"]


def test_a2_a_wrong_tenant_or_secret_is_refused(server: Stack, robot: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="tenant"):
        msal_app(f"{server.url}/contoso.example", robot, instance_discovery=False)
    wrong = {**robot, "password": "not-the-secret"}
    result = msal_app(f"{server.url}/{robot['tenant']}", wrong, instance_discovery=False)
    assert result.acquire_token_for_client([ARM_SCOPE])["error"] == "invalid_client"


def test_a2_azure_identity_and_the_sdk_act_within_the_role(
    server: Stack, robot: dict[str, str]
) -> None:
    credential = ClientSecretCredential(
        robot["tenant"],
        robot["appId"],
        robot["password"],
        authority=server.url,  # https://localhost:port
        disable_instance_discovery=True,
    )
    compute = ComputeManagementClient(credential, SUBSCRIPTION, base_url=server.url, retry_total=0)
    assert [s.name for s in compute.virtual_machine_scale_sets.list("team-a")] == ["web"]
    # A list at subscription scope shows only what the role covers.
    assert [s.name for s in compute.virtual_machine_scale_sets.list_all()] == ["web"]
    with pytest.raises(HttpResponseError) as refused:
        compute.virtual_machine_scale_sets.get(OTHER_GROUP, "db")
    assert refused.value.status_code == 403
    assert refused.value.error is not None and refused.value.error.code == "AuthorizationFailed"
    assert robot["appId"] in str(refused.value.error.message)


def test_a2_a_reset_secret_revokes_the_tokens(server: Stack, robot: dict[str, str]) -> None:
    app = msal_app(f"{server.url}/{robot['tenant']}", robot, instance_discovery=False)
    token = app.acquire_token_for_client([ARM_SCOPE])["access_token"]
    url = (
        f"{server.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/team-a/providers/"
        "Microsoft.Compute/virtualMachineScaleSets?api-version=2024-11-01"
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    reset_secret(ServicePrincipal.objects.get(display_name="deploy-bot"))
    refused = requests.get(url, headers=headers, timeout=10)
    assert (
        refused.status_code == 401
        and "Bearer authorization_uri=" in refused.headers["WWW-Authenticate"]
    )

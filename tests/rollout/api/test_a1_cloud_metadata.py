"""A1: cloud discovery (``/metadata/endpoints``) with what azure-cli 2.91's
``azure.cli.core.cloud._arm_to_cli_mapper`` reads, and links that say https behind a TLS
terminator (``ROLLWRIGHT_HTTPS=proxy`` trusts ``X-Forwarded-Proto``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from rollout.api import paging
from tests.rollout.api.conftest import SUBSCRIPTION, VMSS, body_of, error_of

pytestmark = pytest.mark.django_db

METADATA = "/metadata/endpoints?api-version=2022-09-01"
PROXIED = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}
# What a terminator forwards: the scheme the client used, and the Host it asked for.
FORWARDED = {"X-Forwarded-Proto": "https", "Host": "testserver"}


def test_a1_metadata_names_this_server_as_resource_manager_and_authority() -> None:
    response = Client().get(METADATA)  # anonymous, as Azure's
    assert response.status_code == 200
    document = body_of(response)
    assert document["name"] == "Rollwright"
    assert document["resourceManager"] == "http://testserver/"
    authentication = document["authentication"]
    assert authentication["loginEndpoint"] == "http://testserver/"
    assert authentication["audiences"] == settings.ROLLWRIGHT_TOKEN_AUDIENCES
    assert authentication["tenant"] == settings.ROLLWRIGHT_TENANT_ID
    assert authentication["identityProvider"] == "AAD"
    # az indexes suffixes without a fallback: the member is there even with nothing in it.
    assert document["suffixes"] == {}


def test_a1_metadata_answers_at_the_double_slash_az_sends() -> None:
    """``--endpoint-resource-manager https://host:8443/`` + ``/metadata/endpoints?...``."""
    # The test client would read "//metadata" as a host: the path goes in as daphne hands it.
    response = Client().get(
        "/", PATH_INFO="//metadata/endpoints", QUERY_STRING="api-version=2022-09-01"
    )
    assert response.status_code == 200
    assert body_of(response)["resourceManager"] == "http://testserver/"


def test_a1_metadata_maps_as_azure_cli_maps_it() -> None:
    """The members az reads unconditionally (``arm_dict[...]``), as azure-cli 2.91 reads them."""
    document = body_of(Client().get(METADATA))
    assert document["authentication"]["loginEndpoint"]
    assert document["authentication"]["audiences"][0]
    assert isinstance(document["suffixes"], dict)
    for optional in ("resourceManager", "portal"):
        assert document[optional].endswith("/")


def test_a1_metadata_refuses_a_missing_or_unknown_api_version_in_arm_words() -> None:
    missing = Client().get("/metadata/endpoints")
    assert missing.status_code == 400
    assert error_of(missing)["code"] == "MissingApiVersionParameter"
    unknown = Client().get("/metadata/endpoints?api-version=1999-01-01")
    assert unknown.status_code == 400
    assert error_of(unknown)["code"] == "InvalidApiVersionParameter"
    assert "2022-09-01" in error_of(unknown)["message"]


def test_a1_metadata_is_read_only() -> None:
    assert Client().post(METADATA).status_code == 405


@override_settings(**PROXIED)
def test_a1_behind_a_tls_terminator_the_metadata_says_https() -> None:
    response = Client().get(METADATA, headers=FORWARDED)
    document = body_of(response)
    assert document["resourceManager"] == "https://testserver/"
    assert document["authentication"]["loginEndpoint"] == "https://testserver/"


def test_a1_without_the_setting_x_forwarded_proto_is_not_trusted() -> None:
    response = Client().get(METADATA, headers=FORWARDED)
    assert body_of(response)["resourceManager"] == "http://testserver/"


@override_settings(**PROXIED)
def test_a1_behind_a_tls_terminator_async_operation_links_say_https(arm, web10, tiny3) -> None:
    arm.client.defaults.update(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")
    response = arm("POST", f"{VMSS}/web10/osRollingUpgrade")
    assert response.status_code == 202, response.content
    assert response["Azure-AsyncOperation"].startswith(
        f"https://testserver/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/"
    )
    deleted = arm("DELETE", f"{VMSS}/tiny3")
    assert deleted.status_code == 202, deleted.content
    assert deleted["Location"].startswith("https://testserver/")
    assert deleted["Azure-AsyncOperation"].startswith("https://testserver/")


@override_settings(**PROXIED)
def test_a1_behind_a_tls_terminator_next_links_say_https(arm, web10, monkeypatch) -> None:
    monkeypatch.setitem(paging.PAGE_SIZES, "virtual_machines", 3)
    arm.client.defaults.update(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")
    listed = body_of(arm("GET", f"{VMSS}/web10/virtualMachines"))
    assert listed["nextLink"].startswith(f"https://testserver{VMSS}/web10/virtualMachines?")

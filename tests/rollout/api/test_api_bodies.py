"""Request bodies: malformed JSON, wrong types, unknown members, out-of-range values and
oversized bodies are refused with 400 (never a 500) and change nothing."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from rollout.models import Extension
from tests.rollout.api.conftest import APP_HEALTH_EXTENSION, VMSS, body_of, error_of, row_counts

pytestmark = pytest.mark.django_db


class TestMalformedBodies:
    """Nothing a client sends yields a 500, and a refusal changes nothing."""

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            (b"{not json", "InvalidRequestContent"),
            (b"[1, 2]", "InvalidRequestContent"),
            (b"", "InvalidRequestContent"),
            (b'{"tags": NaN}', "InvalidRequestContent"),
            (b"\xff\xfe", "InvalidRequestContent"),
            (b'{"tags": {"a": "\\u0000"}}', "InvalidRequestContent"),
            (b'{"tags": {"a": "\\ud800"}}', "InvalidRequestContent"),
            (b"[" * 5000 + b"]" * 5000, "InvalidRequestContent"),
        ],
    )
    def test_malformed_json_is_refused(self, arm, web10, raw, code):
        before = row_counts()
        response = arm("PATCH", f"{VMSS}/web10", raw=raw)
        assert response.status_code == 400
        assert error_of(response)["code"] == code
        assert row_counts() == before

    @pytest.mark.parametrize(
        ("body", "code", "target"),
        [
            ({"sku": {"capacity": "ten"}}, "InvalidRequestContent", "sku.capacity"),
            ({"sku": {"capacity": True}}, "InvalidRequestContent", "sku.capacity"),
            ({"sku": {"capacity": 1001}}, "InvalidParameter", "sku.capacity"),
            ({"sku": {"capacity": -1}}, "InvalidParameter", "sku.capacity"),
            ({"zones": "1"}, "InvalidRequestContent", "zones"),
            ({"tags": {"a": 1}}, "InvalidRequestContent", "tags.a"),
            ({"colour": "blue"}, "InvalidRequestContent", "colour"),
            (
                {"properties": {"upgradePolicy": {"mode": "Sometimes"}}},
                "InvalidParameter",
                "properties.upgradePolicy.mode",
            ),
            (
                {
                    "properties": {
                        "upgradePolicy": {"rollingUpgradePolicy": {"maxBatchInstancePercent": 4}}
                    }
                },
                "InvalidParameter",
                "properties.upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent",
            ),
            (
                {
                    "properties": {
                        "upgradePolicy": {
                            "rollingUpgradePolicy": {"pauseTimeBetweenBatches": "five minutes"}
                        }
                    }
                },
                "InvalidParameter",
                "properties.upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches",
            ),
            (
                {
                    "properties": {
                        "upgradePolicy": {
                            "rollingUpgradePolicy": {"pauseTimeBetweenBatches": "P99999999999D"}
                        }
                    }
                },
                "InvalidParameter",
                "properties.upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches",
            ),
            (
                {
                    "properties": {
                        "upgradePolicy": {
                            "automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": "true"}
                        }
                    }
                },
                "InvalidRequestContent",
                "properties.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade",
            ),
            (
                {"properties": {"virtualMachineProfile": {"osProfile": {"customData": "%%%"}}}},
                "InvalidParameter",
                "properties.virtualMachineProfile.osProfile.customData",
            ),
            (
                {
                    "properties": {
                        "virtualMachineProfile": {
                            "storageProfile": {"imageReference": {"sharedGalleryImageId": "/x"}}
                        }
                    }
                },
                "InvalidParameter",
                "properties.virtualMachineProfile.storageProfile.imageReference."
                "sharedGalleryImageId",
            ),
            (
                {
                    "properties": {
                        "virtualMachineProfile": {
                            "storageProfile": {"imageReference": {"sku": "x" * 101}}
                        }
                    }
                },
                "InvalidParameter",
                "properties.virtualMachineProfile.storageProfile.imageReference.sku",
            ),
            (
                {
                    "properties": {
                        "virtualMachineProfile": {
                            "extensionProfile": {
                                "extensions": [{"name": "x", "properties": {"publisher": "p"}}]
                            }
                        }
                    }
                },
                "InvalidParameter",
                "properties.virtualMachineProfile.extensionProfile.extensions[0].properties.type",
            ),
        ],
    )
    def test_wrong_types_unknown_members_and_out_of_range_values_are_refused(
        self, arm, web10, body, code, target
    ):
        before = row_counts()
        response = arm("PATCH", f"{VMSS}/web10", body)
        assert response.status_code == 400, response.content
        error = error_of(response)
        assert (error["code"], error["target"]) == (code, target)
        assert row_counts() == before

    def test_members_azure_has_but_rollwright_ignores_are_accepted(self, arm, web10):
        body = {
            "properties": {
                "overprovision": False,
                "virtualMachineProfile": {
                    "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic"}]},
                    "storageProfile": {"osDisk": {"createOption": "FromImage"}},
                },
            }
        }
        assert arm("PATCH", f"{VMSS}/web10", body).status_code == 200

    def test_member_names_match_case_insensitively_and_null_means_absent(self, arm, web10):
        body = {"SKU": {"Capacity": 11}, "tags": None}
        assert arm("PATCH", f"{VMSS}/web10", body).status_code == 200
        assert web10.instances.count() == 11

    def test_an_oversized_body_is_refused(self, arm, web10):
        big = {"tags": {"a": "b"}, "pad": "x" * (1024 * 1024)}
        response = arm("PATCH", f"{VMSS}/web10", big)
        assert response.status_code == 400
        assert "larger than" in error_of(response)["message"]

    def test_a_body_that_is_not_json_is_unsupported_media_type(self, arm, web10):
        response = arm("PATCH", f"{VMSS}/web10", raw=b"a=b", content_type="text/plain")
        assert response.status_code == 415
        assert error_of(response)["code"] == "UnsupportedMediaType"

    def test_a_nul_in_the_path_is_refused_not_a_500(self, arm, web10):
        response = arm("GET", f"{VMSS}/a%00b")
        assert response.status_code == 400

    def test_sas_expiry_in_extension_settings_is_kept_for_u9(self, arm, web10):
        extension = json.loads(json.dumps(APP_HEALTH_EXTENSION))
        extension["name"] = "Script"
        extension["properties"].update(
            publisher="Microsoft.Azure.Extensions",
            type="CustomScript",
            settings={
                "fileUris": ["https://x.blob.core.windows.net/s.sh?se=2026-01-31T12:00Z&sig=s"]
            },
        )
        body = {
            "properties": {
                "virtualMachineProfile": {"extensionProfile": {"extensions": [extension]}}
            }
        }
        assert arm("PATCH", f"{VMSS}/web10", body).status_code == 200
        stored = Extension.objects.get(name="Script")
        assert stored.credential_expires_at.isoformat() == "2026-01-31T12:00:00+00:00"

    def test_custom_data_is_stored_but_never_returned(self, arm, web10):
        data = base64.b64encode(b"#!/bin/sh\necho hi").decode()
        body = {"properties": {"virtualMachineProfile": {"osProfile": {"customData": data}}}}
        response = arm("PATCH", f"{VMSS}/web10", body)
        assert "customData" not in json.dumps(body_of(response))
        web10.refresh_from_db()
        assert web10.custom_data == data


def test_a_chunked_body_without_a_length_over_the_cap_is_400_not_500(arm, web10):
    """What daphne hands Django for ``Transfer-Encoding: chunked``: no Content-Length."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": f"{VMSS}/web10",
        "query_string": b"api-version=2026-04-01",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {arm.token}".encode()),
            (b"content-type", b"application/json"),
        ],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
    }
    chunks = [{"type": "http.request", "body": b"a" * 512 * 1024, "more_body": True}] * 6
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return chunks.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the answer
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # As Django's test client does: keep the test's database connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(ASGIHandler())(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert sent[0]["status"] == 400
    body = b"".join(message.get("body", b"") for message in sent[1:])
    assert json.loads(body)["error"]["code"] == "InvalidRequestContent"

"""Fixtures for the ARM API's unit tests: tokens for an operator and a viewer, and ``arm``, a
Django test client that speaks ARM (bearer token, api-version, JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from rollout.models import (
    AsyncOperation,
    Event,
    Extension,
    Instance,
    ResourceGroup,
    ScaleSet,
)
from rollout.services.access.tokens import issue_token
from tests.rollout.conftest import UBUNTU
from tests.support.fleets import grant

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
COMPUTE_VERSION = "2026-04-01"
GALLERY_VERSION = "2026-03-03"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets"
PROBE_ID = f"{RG}/providers/Microsoft.Network/loadBalancers/lb/probes/http"
APP_HEALTH_EXTENSION = {
    "name": "HealthExtension",
    "properties": {
        "publisher": "Microsoft.ManagedServices",
        "type": "ApplicationHealthLinux",
        "typeHandlerVersion": "2.0",
        "settings": {"protocol": "http", "port": 80, "requestPath": "/health"},
    },
}


@dataclass
class Arm:
    """Requests as the SDK sends them; ``version=None`` leaves api-version out."""

    client: Client
    token: str | None

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        version: str | None = COMPUTE_VERSION,
        query: str = "",
        token: str | None = "",
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> HttpResponse:
        separator = "&" if "?" in path else "?"
        url = path
        if version is not None:
            url += f"{separator}api-version={version}"
            separator = "&"
        if query:
            url += f"{separator}{query}"
        headers: dict[str, str] = {}
        bearer = self.token if token == "" else token
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        data: Any = raw if raw is not None else (json.dumps(body) if body is not None else "")
        response: HttpResponse = self.client.generic(
            method.upper(), url, data=data, content_type=content_type, headers=headers
        )
        return response


def body_of(response: HttpResponse) -> Any:
    return json.loads(response.content)


def error_of(response: HttpResponse) -> dict[str, Any]:
    error: dict[str, Any] = body_of(response)["error"]
    return error


@pytest.fixture
def operator(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("operator")
    grant(user, "Contributor")  # anywhere: what operators could do before roles (R1)
    return user


@pytest.fixture
def viewer(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("viewer")
    grant(user, "Reader")
    return user


@pytest.fixture
def arm(operator: Any) -> Arm:
    _, token = issue_token(operator, "tests")
    return Arm(Client(), token)


@pytest.fixture
def viewer_arm(viewer: Any) -> Arm:
    _, token = issue_token(viewer, "tests")
    return Arm(Client(), token)


def scale_set_body(**overrides: Any) -> dict[str, Any]:
    """A PUT body for a small Ubuntu scale set behind the ``lb/http`` probe."""
    body: dict[str, Any] = {
        "location": "westeurope",
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 3},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
                "storageProfile": {"imageReference": {**UBUNTU, "version": "latest"}},
                "networkProfile": {"healthProbe": {"id": PROBE_ID}},
            },
        },
    }
    body.update(overrides)
    return body


Request = Callable[..., HttpResponse]


def row_counts() -> tuple[int, ...]:
    """How many rows a scale set write could add or remove."""
    return (
        ScaleSet.objects.count(),
        Instance.objects.count(),
        Extension.objects.count(),
        ResourceGroup.objects.count(),
        Event.objects.count(),
        AsyncOperation.objects.count(),
    )

"""The OpenAPI description is served and stays in step with the URL routes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve

from rollout.api.openapi import document
from rollout.api.routes import ROUTES
from rollout.api.versions import API_VERSIONS
from tests.rollout.api.conftest import SUBSCRIPTION

SAMPLE_ARGUMENTS = {
    "subscriptionId": SUBSCRIPTION,
    "resourceGroupName": "rg",
    "vmScaleSetName": "vmss",
    "instanceId": "0",
    "location": "westeurope",
    "publisherName": "Canonical",
    "offer": "offer",
    "skus": "sku",
    "version": "1.0.0",
    "galleryName": "gallery",
    "galleryImageName": "image",
    "galleryImageVersionName": "1.0.0",
    "operationId": "3f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10",
    "gateName": "error-rate",
}


def route_of(template: str) -> Any:
    return resolve(template.format(**SAMPLE_ARGUMENTS)).func.route


def test_every_described_path_is_routed_with_exactly_its_methods() -> None:
    for template, item in document()["paths"].items():
        route = route_of(template)
        assert {method.upper() for method in item} == set(route.operations), template


def test_every_route_is_described_once() -> None:
    described = [route_of(template).name for template in document()["paths"]]
    assert sorted(described) == sorted(route.name for route in ROUTES)


def test_path_parameters_match_the_routes_groups() -> None:
    for template in document()["paths"]:
        names = re.findall(r"\{(\w+)\}", template)
        assert len(names) == re.compile(route_of(template).regex).groups, template


def test_each_operation_lists_the_api_versions_its_route_accepts() -> None:
    spec = document()
    parameters = spec["components"]["parameters"]
    for template, item in spec["paths"].items():
        route = route_of(template)
        for operation in item.values():
            api_versions = [p for p in operation["parameters"] if "$ref" in p]
            assert len(api_versions) == 1, template
            family = api_versions[0]["$ref"].rsplit("/", 1)[-1].removesuffix("ApiVersion")
            enum = parameters[f"{family}ApiVersion"]["schema"]["enum"]
            assert sorted(enum) == sorted(route.versions) == sorted(API_VERSIONS[family])


def test_operation_ids_are_unique_and_every_reference_resolves() -> None:
    spec = document()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if reference is not None:
                _, section, kind, name = reference.split("/")
                assert name in spec[section][kind], reference
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


@pytest.mark.django_db
def test_it_is_served_without_a_token() -> None:
    response = Client().get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.0")
    assert (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}/osRollingUpgrade"
        in response.json()["paths"]
    )

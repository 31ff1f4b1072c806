"""Fuzz: requests generated from the OpenAPI description (valid shapes, wrong types, unknown
members, odd path segments and query values, raw garbage) never yield a 500, and a refused
request changes nothing in the database.

Hypothesis stands in for schemathesis: ``strategy_for`` turns the description's JSON schemas
into strategies, and ``mutated`` swaps any value for one of the wrong type now and then.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.api.openapi import document
from rollout.models import (
    AsyncOperation,
    DataDisk,
    Event,
    Extension,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    Instance,
    OsDisk,
    ResourceGroup,
    ScaleSet,
    Subscription,
    UpgradeOperation,
)
from tests.rollout.api.conftest import PROBE_ID, RG, SUBSCRIPTION, Arm
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db

SPEC = document()
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OPERATIONS = [
    (template, method, operation)
    for template, item in SPEC["paths"].items()
    for method, operation in item.items()
]
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
PATH_VALUES: dict[str, list[str]] = {
    "subscriptionId": [SUBSCRIPTION, SUBSCRIPTION, "11111111-2222-3333-4444-555555555555"],
    "resourceGroupName": ["rg-test", "rg-new"],
    "vmScaleSetName": ["web10", "tiny3", "new1"],
    "instanceId": ["0", "1", "99", "-1"],
    "location": ["westeurope", "northeurope", "mars"],
    "publisherName": [UBUNTU["publisher"]],
    "offer": [UBUNTU["offer"]],
    "skus": [UBUNTU["sku"]],
    "version": [OLD_VERSION, NEW_VERSION, "1.0.0"],
    "galleryName": ["gal"],
    "galleryImageName": ["app"],
    "galleryImageVersionName": ["1.0.0", "2.0.0", "1.2"],
    "operationId": [str(uuid.uuid4()), "nope"],
    "gateName": ["error-rate", "smoke"],
}


# Realistic values for members whose random text would never name anything that exists.
HINTS: dict[str, list[Any]] = {
    "location": ["westeurope", "westeurope", "northeurope"],
    "publisher": [UBUNTU["publisher"]],
    "offer": [UBUNTU["offer"]],
    "sku": [UBUNTU["sku"]],
    "version": ["latest", OLD_VERSION, NEW_VERSION],
    "id": [PROBE_ID, f"{RG}/providers/Microsoft.Compute/galleries/gal/images/app"],
    "zones": [["1"], ["1", "2", "3"]],
    "mode": ["Manual", "Rolling", "Automatic"],
    "osType": ["Linux"],
    "name": ["westeurope", "HealthExtension"],
}


def resolve_ref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], one_in: int = 8) -> Any:
    """``usual``, and ``odd`` about once in ``one_in`` draws. (Hypothesis favours the first
    element of ``sampled_from`` and small integers, so the usual case comes first.)"""
    return st.sampled_from([True] * (one_in - 1) + [False]).flatmap(
        lambda pick_usual: usual if pick_usual else odd
    )


def mutated(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``valid``; now and then any JSON value (usually of the wrong type)."""
    return mostly(valid, ANY_JSON, 12)


def strategy_for(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = resolve_ref(schema)
    if "allOf" in schema:
        inner = strategy_for(schema["allOf"][0], depth)
        return st.none() | inner if schema.get("nullable") else inner
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.text(max_size=12)
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)
        return st.integers(low, high) | st.integers(low - 3, high + 3) | st.integers()
    if kind == "string":
        if schema.get("format") == "duration":
            return st.sampled_from(["PT0S", "PT5M", "PT1H30M", "P2D", "PTS", "bad", "P99999999D"])
        if schema.get("format") == "date-time":
            return st.sampled_from(["2030-01-01T00:00:00Z", "2030-01-01", "yesterday"])
        if schema.get("format") == "byte":
            return st.sampled_from(["ZWNobyBoaQ==", "not base64!", ""])
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True) | st.text(max_size=6)
        return st.text(max_size=min(schema.get("maxLength", 40), 40)) | st.text(
            min_size=schema.get("maxLength", 40), max_size=schema.get("maxLength", 40) + 2
        ).filter(lambda _: schema.get("maxLength", 0) < 300)
    if kind == "array":
        items = strategy_for(schema["items"], depth + 1)
        return st.lists(mutated(items), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object" and "properties" in schema and depth < 8:
        optional = {
            name: mutated(member_strategy(name, sub, depth + 1))
            for name, sub in schema["properties"].items()
        }
        required = {name: optional.pop(name) for name in schema.get("required", [])}
        members = st.fixed_dictionaries(required, optional=optional)
        unknown = st.dictionaries(st.text(min_size=1, max_size=6), ANY_JSON, max_size=1)
        with_unknown = st.tuples(members, unknown).map(lambda pair: {**pair[1], **pair[0]})
        return mostly(members, with_unknown, 10)
    if kind == "object":
        return st.dictionaries(st.text(max_size=8), st.text(max_size=8) | ANY_JSON, max_size=3)
    return ANY_JSON


def member_strategy(name: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    known = bool(schema.get("type") or {"$ref", "allOf", "enum"} & set(schema))
    generated = strategy_for(schema, depth) if known else ANY_JSON
    if name in HINTS:
        return mostly(st.sampled_from(HINTS[name]), generated, 3)
    return generated


def path_value(name: str) -> st.SearchStrategy[str]:
    """A known name nine times in ten (to reach the handlers), else any text."""
    odd = st.text(min_size=1, max_size=20).map(lambda text: quote(text, safe=""))
    return mostly(st.sampled_from(PATH_VALUES[name]), odd, 10)


def query_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    return strategy_for(schema).map(lambda value: json.dumps(value).strip('"')) | st.text(
        max_size=10
    )


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, Any]:
    template, method, operation = draw(st.sampled_from(OPERATIONS))
    path = template
    query: list[tuple[str, str]] = []
    for parameter in operation["parameters"]:
        if "$ref" in parameter:
            family = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
            versions = family["schema"]["enum"]
            odd = st.sampled_from([*versions[1:], "", "2018-06-01", "banana"]) | st.text(
                max_size=12
            )
            version = draw(mostly(st.just(versions[0]), odd, 6))
            if version != "":
                query.append(("api-version", version))
        elif parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", draw(path_value(parameter["name"])))
        elif draw(mostly(st.just(False), st.just(True), 3)):
            query.append((parameter["name"], draw(query_value(parameter["schema"]))))
    body: Any = None
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        garbage = st.binary(max_size=40) | ANY_JSON
        body = draw(mostly(strategy_for(schema), garbage, 10))
    return method, f"{path}?{urlencode(query)}", body


def fingerprint() -> list[Any]:
    """Every row a request could change (big tables by their key columns only)."""
    small = [
        Subscription,
        ResourceGroup,
        ScaleSet,
        Extension,
        UpgradeOperation,
        Event,
        Gallery,
        GalleryImage,
        GalleryImageVersion,
        GalleryImageReplica,
        AsyncOperation,
    ]
    rows: list[Any] = [list(model.objects.order_by("pk").values()) for model in small]
    rows.append(list(Instance.objects.order_by("pk").values_list("pk", "model_version", "os_disk")))
    rows.append(list(OsDisk.objects.order_by("pk").values_list("pk", "state", "image_version")))
    rows.append(DataDisk.objects.count())
    return rows


@pytest.fixture
def fuzz_world(web10, tiny3, resource_group, region):
    gallery = Gallery.objects.create(resource_group=resource_group, name="gal", location=region)
    GalleryImage.objects.create(gallery=gallery, name="app", publisher="C", offer="A", sku="s")
    return web10


def send(arm: Arm, method: str, url: str, body: Any) -> Any:
    if isinstance(body, bytes):
        return arm(method, url, raw=body, version=None)
    return arm(method, url, body, version=None)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the same world: its writes are undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
@given(request=requests())
def test_no_request_generated_from_the_openapi_description_yields_a_500(arm, fuzz_world, request):
    method, url, body = request
    with rolled_back():
        before = fingerprint()
        response = send(arm, method, url, body)
        assert response.status_code < 500, (method, url, body, response.content[:500])
        if response.status_code >= 400:
            assert fingerprint() == before, (method, url, body, response.content[:300])
            if response.content:
                error = json.loads(response.content)["error"]
                assert error["code"] and error["message"]


SCALE_SET_PATH = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
    "Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}"
)


def body_schema(method: str) -> dict[str, Any]:
    operation = SPEC["paths"][SCALE_SET_PATH][method]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    write=st.sampled_from(["patch", "put"]).flatmap(
        lambda method: st.tuples(st.just(method), strategy_for(body_schema(method)))
    ),
    name=st.sampled_from(["web10", "new1"]),
)
def test_e2_e4_scale_set_writes_that_are_refused_change_nothing(arm, fuzz_world, write, name):
    """Deep, mostly well-typed PUT and PATCH bodies: a refusal leaves no trace."""
    method, body = write
    path = SCALE_SET_PATH.format(
        subscriptionId=SUBSCRIPTION, resourceGroupName="rg-test", vmScaleSetName=name
    )
    with rolled_back():
        before = fingerprint()
        response = arm(method.upper(), path, body)
        assert response.status_code < 500, (body, response.content[:500])
        if response.status_code >= 400:
            assert fingerprint() == before, (body, response.content[:300])

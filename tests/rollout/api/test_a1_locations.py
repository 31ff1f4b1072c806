"""A1: ``GET /subscriptions/{id}/locations`` (Subscriptions_ListLocations, api-version
2022-12-01), which ``az vm image list`` asks when given no ``--location``, and ``az account
list-locations`` shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rollout.models import Region
from rollout.services.access.tokens import issue_token
from tests.rollout.api.conftest import SUBSCRIPTION, Arm, body_of, error_of
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db

LOCATIONS = f"/subscriptions/{SUBSCRIPTION}/locations"
OTHER = "/subscriptions/00000000-0000-0000-0000-0000000000ff/locations"


def test_a1_locations_list_every_region_with_its_pair_and_zones(arm, resource_group, region):
    response = arm("GET", LOCATIONS, version="2022-12-01")
    assert response.status_code == 200, response.content
    listed = {row["name"]: row for row in body_of(response)["value"]}
    assert set(listed) == set(Region.objects.values_list("name", flat=True))
    row = listed["westeurope"]
    assert row["id"] == f"{LOCATIONS}/westeurope"
    assert row["type"] == "Region"
    assert row["displayName"] == "West Europe"
    assert row["metadata"]["pairedRegion"] == [
        {"name": "northeurope", "id": f"{LOCATIONS}/northeurope"}
    ]
    assert row["availabilityZoneMappings"][0] == {
        "logicalZone": "1",
        "physicalZone": "westeurope-az1",
    }


def test_a1_locations_answer_only_in_a_subscription_the_caller_holds_a_role_in(
    django_user_model: Any, resource_group, region
):
    reader = django_user_model.objects.create_user("reader")
    grant(reader, "Reader", f"/subscriptions/{SUBSCRIPTION}")
    _, token = issue_token(reader, "tests")
    as_reader = Arm(Client(), token)
    assert as_reader("GET", LOCATIONS, version="2022-12-01").status_code == 200
    refused = as_reader("GET", OTHER, version="2022-12-01")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "AuthorizationFailed"


def test_a1_locations_take_the_subscriptions_api_versions(arm, resource_group, region):
    refused = arm("GET", LOCATIONS, version="2026-04-01")
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "InvalidApiVersionParameter"

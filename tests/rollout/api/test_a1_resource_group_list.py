"""A1: ``GET /subscriptions/{id}/resourcegroups`` (ResourceGroups_List), what ``az group list``
asks: the subscription's groups the caller may read (R1), by name, paged."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rollout.api import paging
from rollout.models import ResourceGroup
from rollout.services.access.tokens import issue_token
from tests.rollout.api.conftest import SUBSCRIPTION, Arm, body_of
from tests.support.fleets import grant, resource_group

pytestmark = pytest.mark.django_db

GROUPS = f"/subscriptions/{SUBSCRIPTION}/resourcegroups"
VERSION = "2024-11-01"


@pytest.fixture
def groups(region) -> list[ResourceGroup]:
    return [resource_group(name, subscription_id=SUBSCRIPTION) for name in ("rg-b", "rg-a", "rg-c")]


def test_a1_group_list_answers_every_group_by_name(arm, groups):
    response = arm("GET", GROUPS, version=VERSION)
    assert response.status_code == 200, response.content
    listed = body_of(response)["value"]
    assert [row["name"] for row in listed] == ["rg-a", "rg-b", "rg-c"]
    assert listed[0]["id"] == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-a"
    assert listed[0]["type"] == "Microsoft.Resources/resourceGroups"
    assert listed[0]["properties"] == {"provisioningState": "Succeeded"}


def test_a1_group_list_pages_with_a_next_link(arm, groups, monkeypatch):
    monkeypatch.setitem(paging.PAGE_SIZES, "resource_groups", 2)
    first = body_of(arm("GET", GROUPS, version=VERSION))
    assert [row["name"] for row in first["value"]] == ["rg-a", "rg-b"]
    rest = body_of(arm("GET", first["nextLink"].removeprefix("http://testserver"), version=None))
    assert [row["name"] for row in rest["value"]] == ["rg-c"]


def test_a1_group_list_shows_only_the_groups_the_caller_may_read(django_user_model: Any, groups):
    member = django_user_model.objects.create_user("member")
    grant(member, "Reader", f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-b")
    _, token = issue_token(member, "tests")
    listed = body_of(Arm(Client(), token)("GET", GROUPS, version=VERSION))["value"]
    assert [row["name"] for row in listed] == ["rg-b"]

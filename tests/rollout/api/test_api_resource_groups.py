"""Resource groups as azure-mgmt-resource sends them (lower-case ``resourcegroups``)."""

from __future__ import annotations

import pytest

from rollout.models import ResourceGroup, ScaleSet, Subscription
from tests.rollout.api.conftest import SUBSCRIPTION, body_of, error_of

pytestmark = pytest.mark.django_db

GROUPS = f"/subscriptions/{SUBSCRIPTION}/resourcegroups"
VERSION = "2024-11-01"


def test_put_creates_then_updates_a_resource_group(arm, region):
    created = arm("PUT", f"{GROUPS}/apps", {"location": "westeurope"}, version=VERSION)
    assert created.status_code == 201
    assert body_of(created) == {
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/apps",
        "name": "apps",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "tags": {},
        "properties": {"provisioningState": "Succeeded"},
    }
    updated = arm(
        "PUT", f"{GROUPS}/apps", {"location": "westeurope", "tags": {"a": "b"}}, version=VERSION
    )
    assert updated.status_code == 200
    assert ResourceGroup.objects.get(name="apps").tags == {"a": "b"}
    assert Subscription.objects.filter(subscription_id=SUBSCRIPTION).exists()


def test_its_location_cannot_change(arm, region):
    arm("PUT", f"{GROUPS}/apps", {"location": "westeurope"}, version=VERSION)
    response = arm("PUT", f"{GROUPS}/apps", {"location": "northeurope"}, version=VERSION)
    assert response.status_code == 409
    assert error_of(response)["code"] == "InvalidResourceGroupLocation"


def test_head_says_whether_it_exists(arm, resource_group):
    assert arm("HEAD", f"{GROUPS}/rg-test", version=VERSION).status_code == 204
    assert arm("HEAD", f"{GROUPS}/other", version=VERSION).status_code == 404


def test_get_of_a_missing_group_is_resource_group_not_found(arm, db):
    response = arm("GET", f"{GROUPS}/nope", version=VERSION)
    assert (response.status_code, error_of(response)["code"]) == (404, "ResourceGroupNotFound")


def test_delete_removes_it_with_its_scale_sets(arm, web10):
    response = arm("DELETE", f"{GROUPS}/rg-test", version=VERSION)
    assert response.status_code == 202
    assert "Azure-AsyncOperation" in response
    assert not ResourceGroup.objects.exists()
    assert not ScaleSet.objects.exists()


@pytest.mark.parametrize("name", ["bad/name", "ends.", "x" * 91, "spa ce"])
def test_an_invalid_name_is_refused(arm, region, name):
    response = arm("PUT", f"{GROUPS}/{name}", {"location": "westeurope"}, version=VERSION)
    assert response.status_code in (400, 404)
    assert not ResourceGroup.objects.exists()


def test_resource_group_operations_take_resource_api_versions(arm, region):
    response = arm("PUT", f"{GROUPS}/apps", {"location": "westeurope"})
    assert error_of(response)["code"] == "InvalidApiVersionParameter"

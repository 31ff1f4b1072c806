"""Scale sets over ARM: PUT on an existing one and PATCH; E1 and E2 on the way, E4 and the
fields fixed at creation refused, E5 and the upgrade policy modes carrying a model change."""

from __future__ import annotations

import json

import pytest

from rollout.models import PlatformImage, PlatformImageVersion
from tests.rollout.api.conftest import (
    APP_HEALTH_EXTENSION,
    RG,
    VMSS,
    body_of,
    error_of,
    row_counts,
    scale_set_body,
)
from tests.rollout.conftest import OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db

ENABLE = {
    "properties": {
        "upgradePolicy": {"automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}
    }
}


@pytest.fixture
def world(region, ubuntu, probe, resource_group):
    return resource_group


class TestReplaceAndUpdate:
    def test_put_on_an_existing_scale_set_answers_200_updating(self, arm, web10):
        body = scale_set_body(zones=["1", "2", "3"])
        del body["properties"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"]
        body["tags"] = {"team": "web"}
        response = arm("PUT", f"{VMSS}/web10", body)
        assert response.status_code == 200
        assert body_of(response)["properties"]["provisioningState"] == "Updating"
        assert "Azure-AsyncOperation" in response
        web10.refresh_from_db()
        assert web10.tags == {"team": "web"}
        assert web10.capacity == 3

    def test_e1_patch_enables_auto_upgrade_with_200_and_an_async_operation(self, arm, web10):
        response = arm("PATCH", f"{VMSS}/web10", ENABLE)
        assert response.status_code == 200
        assert "Azure-AsyncOperation" in response
        policy = body_of(response)["properties"]["upgradePolicy"]["automaticOSUpgradePolicy"]
        assert policy["enableAutomaticOSUpgrade"] is True
        web10.refresh_from_db()
        assert web10.enable_automatic_os_upgrade is True

    def test_e2_a_refused_enable_is_400_bad_request_naming_the_property(self, arm, tiny3):
        before = row_counts()
        response = arm("PATCH", f"{VMSS}/tiny3", ENABLE)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "BadRequest"
        assert "health probe or health extension was not specified" in error["message"]
        assert error["target"] == ("properties.virtualMachineProfile.networkProfile.healthProbe.id")
        assert row_counts() == before
        tiny3.refresh_from_db()
        assert tiny3.enable_automatic_os_upgrade is False

    def test_e2_several_problems_come_back_as_details(self, arm, tiny3):
        body = json.loads(json.dumps(ENABLE))
        body["properties"]["virtualMachineProfile"] = {
            "storageProfile": {"imageReference": {"version": OLD_VERSION}}
        }
        error = error_of(arm("PATCH", f"{VMSS}/tiny3", body))
        assert len(error["details"]) == 2
        assert {detail["code"] for detail in error["details"]} == {"BadRequest"}

    def test_e2_adding_the_health_extension_in_the_same_request_is_enough(self, arm, tiny3):
        body = json.loads(json.dumps(ENABLE))
        body["properties"]["virtualMachineProfile"] = {
            "extensionProfile": {"extensions": [APP_HEALTH_EXTENSION]}
        }
        response = arm("PATCH", f"{VMSS}/tiny3", body)
        assert response.status_code == 200, response.content
        extensions = body_of(response)["properties"]["virtualMachineProfile"]["extensionProfile"]
        assert [e["name"] for e in extensions["extensions"]] == ["HealthExtension"]
        assert "protectedSettings" not in extensions["extensions"][0]["properties"]

    def test_e4_publisher_and_offer_never_change(self, arm, web10):
        body = {
            "properties": {
                "virtualMachineProfile": {
                    "storageProfile": {"imageReference": {"publisher": "OpenLogic"}}
                }
            }
        }
        response = arm("PATCH", f"{VMSS}/web10", body)
        assert response.status_code == 400
        assert error_of(response)["code"] == "PropertyChangeNotAllowed"
        assert error_of(response)["target"].endswith("imageReference.publisher")

    def test_e4_the_image_kind_never_changes(self, arm, web10):
        body = {
            "properties": {
                "virtualMachineProfile": {
                    "storageProfile": {
                        "imageReference": {
                            "id": f"{RG}/providers/Microsoft.Compute/images/custom-1"
                        }
                    }
                }
            }
        }
        response = arm("PATCH", f"{VMSS}/web10", body)
        assert response.status_code == 400
        assert error_of(response)["code"] == "OperationNotAllowed"

    def test_e4_the_sku_may_change_as_a_model_update(self, arm, web10, ubuntu):
        other = PlatformImage.objects.create(
            publisher=UBUNTU["publisher"], offer=UBUNTU["offer"], sku="22_04-LTS-Gen2"
        )
        version = PlatformImageVersion.objects.create(
            image=other, version="22.04.1", published_at="2026-10-01T00:00:00Z"
        )
        version.regions.add(web10.location)
        body = {
            "properties": {
                "virtualMachineProfile": {
                    "storageProfile": {"imageReference": {"sku": "22_04-LTS-Gen2"}}
                }
            }
        }
        assert arm("PATCH", f"{VMSS}/web10", body).status_code == 200
        web10.refresh_from_db()
        assert web10.image_sku == "22_04-LTS-Gen2"
        assert web10.model_version == 2

    def test_e5_a_pinned_manual_scale_set_keeps_its_version_when_the_model_says_latest(
        self, arm, world
    ):
        body = scale_set_body()
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"][
            "version"
        ] = OLD_VERSION
        arm("PUT", f"{VMSS}/pinned", body)
        latest = {
            "properties": {
                "virtualMachineProfile": {
                    "storageProfile": {"imageReference": {"version": "latest"}}
                }
            }
        }
        assert arm("PATCH", f"{VMSS}/pinned", latest).status_code == 200
        vms = body_of(arm("GET", f"{VMSS}/pinned/virtualMachines"))["value"]
        assert {vm["properties"]["latestModelApplied"] for vm in vms} == {False}
        images = {
            vm["properties"]["storageProfile"]["imageReference"]["exactVersion"] for vm in vms
        }
        assert images == {OLD_VERSION}

    def test_automatic_mode_brings_every_instance_to_the_new_model(self, arm, web10):
        web10.upgrade_mode = "Automatic"
        web10.save()
        body = {"properties": {"virtualMachineProfile": {"osProfile": {"customData": "ZWNobw=="}}}}
        assert arm("PATCH", f"{VMSS}/web10", body).status_code == 200
        assert set(web10.instances.values_list("model_version", flat=True)) == {2}

    def test_patch_changes_capacity(self, arm, web10):
        response = arm("PATCH", f"{VMSS}/web10", {"sku": {"capacity": 12}})
        assert response.status_code == 200
        assert web10.instances.count() == 12

    def test_a_field_fixed_at_creation_cannot_change(self, arm, web10):
        response = arm("PUT", f"{VMSS}/web10", scale_set_body(zones=["1", "2", "3"]))
        assert response.status_code == 400
        assert error_of(response)["code"] == "PropertyChangeNotAllowed"
        assert error_of(response)["target"].endswith("osProfile.computerNamePrefix")

    def test_a_location_change_is_refused(self, arm, web10):
        response = arm("PUT", f"{VMSS}/web10", scale_set_body(location="northeurope"))
        assert response.status_code == 400
        assert error_of(response)["code"] == "PropertyChangeNotAllowed"

    def test_single_placement_group_cannot_go_back_to_true(self, arm, web10):
        web10.single_placement_group = False
        web10.save()
        body = {"properties": {"singlePlacementGroup": True}}
        response = arm("PATCH", f"{VMSS}/web10", body)
        assert response.status_code == 400
        assert error_of(response)["target"] == "properties.singlePlacementGroup"

    def test_patch_on_a_missing_scale_set_is_404(self, arm, world):
        response = arm("PATCH", f"{VMSS}/ghost", {"tags": {}})
        assert response.status_code == 404
        assert error_of(response)["code"] == "ResourceNotFound"

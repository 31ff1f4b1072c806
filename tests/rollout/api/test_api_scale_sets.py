"""Scale sets over ARM: PUT creating one, GET, DELETE and the lists; E2 refusals at creation.
(Replacing and updating one: ``test_api_scale_set_updates``.)"""

from __future__ import annotations

import pytest

from rollout.api import paging
from rollout.models import (
    GalleryImage,
    ImageKind,
    OsType,
    PlatformImage,
    PlatformImageVersion,
    ResourceGroup,
    ScaleSet,
)
from tests.rollout.api.conftest import (
    PROBE_ID,
    RG,
    SUBSCRIPTION,
    VMSS,
    body_of,
    error_of,
    row_counts,
    scale_set_body,
)
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(region, ubuntu, probe, resource_group):
    return resource_group


class TestCreate:
    def test_put_creates_with_201_creating_and_an_async_operation(self, arm, world):
        response = arm("PUT", f"{VMSS}/web", scale_set_body())

        assert response.status_code == 201
        body = body_of(response)
        assert body["properties"]["provisioningState"] == "Creating"
        assert body["id"] == f"{VMSS}/web"
        assert body["type"] == "Microsoft.Compute/virtualMachineScaleSets"
        status_url = response["Azure-AsyncOperation"]
        assert status_url.startswith(
            f"http://testserver/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/"
            "locations/westeurope/operations/"
        )
        assert status_url.endswith("?api-version=2026-04-01")
        assert "Location" not in response
        assert "Retry-After" not in response
        poll = arm("GET", status_url.removeprefix("http://testserver"), version=None)
        assert body_of(poll)["status"] == "Succeeded"
        scale_set = ScaleSet.objects.get(name="web")
        assert scale_set.instances.count() == 3
        assert {i.image_version for i in scale_set.instances.all()} == {NEW_VERSION}

    def test_get_answers_every_upgrade_policy_field_with_azures_defaults(self, arm, world):
        body = scale_set_body()
        body["properties"]["upgradePolicy"]["rollingUpgradePolicy"] = {
            "maxUnhealthyInstancePercent": 100,
            "maxUnhealthyUpgradedInstancePercent": 100,
        }
        arm("PUT", f"{VMSS}/web", body)

        got = body_of(arm("GET", f"{VMSS}/web"))

        properties = got["properties"]
        assert properties["provisioningState"] == "Succeeded"
        assert properties["singlePlacementGroup"] is True
        assert properties["upgradePolicy"] == {
            "mode": "Manual",
            "rollingUpgradePolicy": {
                "maxBatchInstancePercent": 20,
                "maxUnhealthyInstancePercent": 100,
                "maxUnhealthyUpgradedInstancePercent": 100,
                "pauseTimeBetweenBatches": "PT0S",
                "enableCrossZoneUpgrade": False,
                "prioritizeUnhealthyInstances": False,
                "rollbackFailedInstancesOnPolicyBreach": False,
                "maxSurge": False,
            },
            "automaticOSUpgradePolicy": {
                "enableAutomaticOSUpgrade": False,
                "disableAutomaticRollback": False,
                "useRollingUpgradePolicy": False,
                "osRollingUpgradeDeferral": False,
            },
        }
        profile = properties["virtualMachineProfile"]
        assert profile["storageProfile"]["imageReference"] == {**UBUNTU, "version": "latest"}
        assert profile["networkProfile"] == {"healthProbe": {"id": PROBE_ID}}
        assert got["sku"] == {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 3}
        assert len(properties["uniqueId"]) == 36

    def test_e1_put_can_enable_auto_upgrade_at_creation(self, arm, world):
        body = scale_set_body()
        body["properties"]["upgradePolicy"]["automaticOSUpgradePolicy"] = {
            "enableAutomaticOSUpgrade": True
        }
        assert arm("PUT", f"{VMSS}/web", body).status_code == 201
        scale_set = ScaleSet.objects.get(name="web")
        assert scale_set.enable_automatic_os_upgrade is True
        assert scale_set.auto_upgrade_first_enabled_at is not None

    def test_e2_a_refused_creation_writes_nothing_not_even_the_resource_group(self, arm, world):
        body = scale_set_body()
        body["properties"]["upgradePolicy"]["automaticOSUpgradePolicy"] = {
            "enableAutomaticOSUpgrade": True
        }
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"][
            "version"
        ] = OLD_VERSION
        before = row_counts()

        response = arm(
            "PUT",
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/new-rg/providers/"
            "Microsoft.Compute/virtualMachineScaleSets/web",
            body,
        )

        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "BadRequest"
        assert "version set to 'latest'" in error["message"]
        assert error["target"].endswith("imageReference.version")
        assert row_counts() == before

    def test_a_put_into_a_new_resource_group_creates_it(self, arm, world):
        path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/brand-new/providers/"
        response = arm(
            "PUT", f"{path}Microsoft.Compute/virtualMachineScaleSets/web", scale_set_body()
        )
        assert response.status_code == 201
        assert ResourceGroup.objects.get(name="brand-new").location == "westeurope"

    def test_a_new_subscription_comes_into_being_for_a_well_formed_guid(self, arm, world):
        subscription = "11111111-2222-3333-4444-555555555555"
        path = f"/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.Compute/"
        response = arm("PUT", f"{path}virtualMachineScaleSets/web", scale_set_body())
        assert response.status_code == 201
        listed = arm(
            "GET",
            f"/subscriptions/{subscription}/providers/Microsoft.Compute/virtualMachineScaleSets",
        )
        assert [item["name"] for item in body_of(listed)["value"]] == ["web"]

    def test_windows_gets_automatic_updates_off_when_created_with_auto_upgrade(
        self, arm, world, region
    ):
        image = PlatformImage.objects.create(
            publisher="MicrosoftWindowsServer",
            offer="WindowsServer",
            sku="2022-Datacenter",
            os_type=OsType.WINDOWS,
            automatic_os_upgrade_supported=True,
        )
        version = PlatformImageVersion.objects.create(
            image=image, version="20348.1.1", published_at="2026-10-01T00:00:00Z"
        )
        version.regions.add(region)
        body = scale_set_body()
        profile = body["properties"]["virtualMachineProfile"]
        profile["storageProfile"]["imageReference"] = {
            "publisher": "MicrosoftWindowsServer",
            "offer": "WindowsServer",
            "sku": "2022-Datacenter",
            "version": "latest",
        }
        body["properties"]["upgradePolicy"]["automaticOSUpgradePolicy"] = {
            "enableAutomaticOSUpgrade": True
        }
        response = arm("PUT", f"{VMSS}/win", body)
        assert response.status_code == 201
        windows = body_of(response)["properties"]["virtualMachineProfile"]["osProfile"]
        assert windows["windowsConfiguration"] == {"enableAutomaticUpdates": False}

    @pytest.mark.parametrize(
        ("change", "code", "target"),
        [
            ({"location": "mars"}, "LocationNotAvailableForResourceType", "location"),
            ({"zones": ["4"]}, "InvalidParameter", "zones"),
            (
                {"sku": {"name": "Standard_D2s_v3", "capacity": 101}},
                "InvalidParameter",
                "sku.capacity",
            ),
        ],
    )
    def test_model_rules_refuse_a_creation(self, arm, world, change, code, target):
        before = row_counts()
        response = arm("PUT", f"{VMSS}/web", scale_set_body(**change))
        assert response.status_code == 400
        assert (error_of(response)["code"], error_of(response)["target"]) == (code, target)
        assert row_counts() == before

    def test_rolling_mode_needs_a_health_source(self, arm, world):
        body = scale_set_body()
        body["properties"]["upgradePolicy"]["mode"] = "Rolling"
        del body["properties"]["virtualMachineProfile"]["networkProfile"]
        response = arm("PUT", f"{VMSS}/web", body)
        assert response.status_code == 400
        assert "Rolling Upgrade mode is not supported" in error_of(response)["message"]

    def test_an_unknown_health_probe_is_refused_with_its_target(self, arm, world):
        body = scale_set_body()
        body["properties"]["virtualMachineProfile"]["networkProfile"]["healthProbe"]["id"] = (
            f"{RG}/providers/Microsoft.Network/loadBalancers/lb/probes/nope"
        )
        response = arm("PUT", f"{VMSS}/web", body)
        assert response.status_code == 400
        assert error_of(response)["target"].endswith("networkProfile.healthProbe.id")

    def test_an_unknown_platform_image_is_refused(self, arm, world):
        body = scale_set_body()
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["sku"] = (
            "99_99-LTS"
        )
        response = arm("PUT", f"{VMSS}/web", body)
        assert response.status_code == 400
        assert error_of(response)["code"] == "PlatformImageNotFound"

    def test_a_gallery_image_id_is_resolved_and_pinned_by_its_version(self, arm, world, region):
        gallery_image = self._gallery_image(world, region)
        body = scale_set_body()
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] = {
            "id": f"{gallery_image.arm_id}/versions/1.0.0"
        }
        response = arm("PUT", f"{VMSS}/gal", body)
        assert response.status_code == 201, response.content
        scale_set = ScaleSet.objects.get(name="gal")
        assert (scale_set.image_kind, scale_set.image_version) == (ImageKind.GALLERY, "1.0.0")
        reference = body_of(response)["properties"]["virtualMachineProfile"]["storageProfile"]
        assert reference["imageReference"] == {"id": f"{gallery_image.arm_id}/versions/1.0.0"}

    def test_a_gallery_id_and_a_version_together_are_refused(self, arm, world, region):
        gallery_image = self._gallery_image(world, region)
        body = scale_set_body()
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] = {
            "id": gallery_image.arm_id,
            "version": "1.0.0",
        }
        response = arm("PUT", f"{VMSS}/gal", body)
        assert response.status_code == 400
        assert "cannot be used together" in error_of(response)["message"]

    @staticmethod
    def _gallery_image(group, region) -> GalleryImage:
        from rollout.models import Gallery, GalleryImageReplica, GalleryImageVersion

        gallery = Gallery.objects.create(resource_group=group, name="gal", location=region)
        image = GalleryImage.objects.create(
            gallery=gallery, name="app", publisher="Contoso", offer="App", sku="one"
        )
        version = GalleryImageVersion.objects.create(
            image=image, name="1.0.0", location=region, published_at="2026-10-01T00:00:00Z"
        )
        GalleryImageReplica.objects.create(
            version=version, region=region, state="Completed", progress=100
        )
        return image

    def test_an_invalid_scale_set_name_is_refused(self, arm, world):
        response = arm("PUT", f"{VMSS}/-bad-", scale_set_body())
        assert response.status_code == 400
        assert error_of(response)["code"] == "InvalidResourceName"

    def test_a_missing_location_is_location_required(self, arm, world):
        body = scale_set_body()
        del body["location"]
        response = arm("PUT", f"{VMSS}/web", body)
        assert (response.status_code, error_of(response)["code"]) == (400, "LocationRequired")


class TestDeleteAndLists:
    def test_delete_answers_202_with_both_headers_and_deletes(self, arm, web10):
        response = arm("DELETE", f"{VMSS}/web10")
        assert response.status_code == 202
        assert response.content == b""
        assert "operations/" in response["Azure-AsyncOperation"]
        assert "monitor=true" in response["Location"]
        assert not ScaleSet.objects.filter(name="web10").exists()
        monitor = arm("GET", response["Location"].removeprefix("http://testserver"), version=None)
        assert (monitor.status_code, monitor.content) == (200, b"")

    def test_delete_of_a_missing_scale_set_is_204(self, arm, world):
        assert arm("DELETE", f"{VMSS}/ghost").status_code == 204

    def test_delete_in_a_missing_resource_group_is_404(self, arm, world):
        path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/nope/providers/Microsoft.Compute/"
        response = arm("DELETE", f"{path}virtualMachineScaleSets/x")
        assert response.status_code == 404
        assert error_of(response)["code"] == "ResourceGroupNotFound"

    def test_delete_is_refused_while_an_upgrade_runs(self, arm, web10):
        arm("POST", f"{VMSS}/web10/osRollingUpgrade")
        response = arm("DELETE", f"{VMSS}/web10")
        assert response.status_code == 409
        assert ScaleSet.objects.filter(name="web10").exists()

    def test_get_of_a_missing_scale_set_is_404_resource_not_found(self, arm, world):
        response = arm("GET", f"{VMSS}/ghost")
        assert response.status_code == 404
        assert error_of(response)["code"] == "ResourceNotFound"

    def test_get_in_a_missing_resource_group_is_404_resource_group_not_found(self, arm, world):
        path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/nope/providers/Microsoft.Compute/"
        response = arm("GET", f"{path}virtualMachineScaleSets/x")
        assert error_of(response)["code"] == "ResourceGroupNotFound"

    def test_lists_are_paged_with_a_next_link_carrying_the_api_version(
        self, arm, web10, tiny3, monkeypatch
    ):
        monkeypatch.setitem(paging.PAGE_SIZES, "scale_sets", 1)
        first = body_of(arm("GET", VMSS))
        assert [item["name"] for item in first["value"]] == ["tiny3"]
        next_link = first["nextLink"]
        assert "api-version=2026-04-01" in next_link
        second = body_of(arm("GET", next_link.removeprefix("http://testserver"), version=None))
        assert [item["name"] for item in second["value"]] == ["web10"]
        assert "nextLink" not in second

    def test_list_all_covers_the_subscription(self, arm, web10, tiny3):
        path = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachineScaleSets"
        names = [item["name"] for item in body_of(arm("GET", path))["value"]]
        assert names == ["tiny3", "web10"]

    def test_a_bad_skip_token_is_refused(self, arm, web10):
        response = arm("GET", VMSS, query="$skiptoken=-3")
        assert response.status_code == 400
        assert error_of(response)["target"] == "$skiptoken"

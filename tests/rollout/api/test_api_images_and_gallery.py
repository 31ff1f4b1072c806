"""Platform images (H2, E3 on the wire) and the Compute Gallery (publishing, T4 replication)."""

from __future__ import annotations

import pytest

from rollout.models import (
    Event,
    EventKind,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    PlatformImage,
    Region,
    ReplicationState,
)
from tests.rollout.api.conftest import GALLERY_VERSION, RG, SUBSCRIPTION, body_of, error_of
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db

LOCATION = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/westeurope"
PUBLISHER = f"{LOCATION}/publishers/{UBUNTU['publisher']}"
OFFER = f"{PUBLISHER}/artifacttypes/vmimage/offers/{UBUNTU['offer']}"
VERSIONS = f"{OFFER}/skus/{UBUNTU['sku']}/versions"
GALLERIES = f"{RG}/providers/Microsoft.Compute/galleries"


class TestPlatformImages:
    def test_h2_versions_are_a_bare_array_oldest_first(self, arm, ubuntu):
        versions = body_of(arm("GET", VERSIONS))
        assert [v["name"] for v in versions] == [OLD_VERSION, NEW_VERSION]
        assert versions[0] == {
            "id": f"/Subscriptions/{SUBSCRIPTION}/Providers/Microsoft.Compute/Locations/"
            f"westeurope/Publishers/Canonical/ArtifactTypes/VMImage/Offers/{UBUNTU['offer']}/"
            f"Skus/{UBUNTU['sku']}/Versions/{OLD_VERSION}",
            "name": OLD_VERSION,
            "location": "westeurope",
        }

    def test_h2_top_and_orderby_name_desc(self, arm, ubuntu):
        newest = body_of(arm("GET", VERSIONS, query="$top=1&$orderby=name%20desc"))
        assert [v["name"] for v in newest] == [NEW_VERSION]
        assert body_of(arm("GET", VERSIONS, query="$top=0")) == []

    def test_h2_only_versions_available_in_the_location_are_listed(self, arm, ubuntu):
        Region.objects.create(name="eastus", display_name="East US")
        other = VERSIONS.replace("westeurope", "eastus")
        response = arm("GET", other)
        assert (response.status_code, error_of(response)["code"]) == (404, "NotFound")

    @pytest.mark.parametrize(
        ("query", "target"),
        [("$top=-1", "$top"), ("$top=x", "$top"), ("$orderby=date", "$orderby")],
    )
    def test_bad_query_options_are_refused(self, arm, ubuntu, query, target):
        response = arm("GET", VERSIONS, query=query)
        assert (response.status_code, error_of(response)["target"]) == (400, target)

    def test_an_unknown_sku_is_404_and_an_unknown_location_400(self, arm, ubuntu):
        response = arm("GET", VERSIONS.replace(UBUNTU["sku"], "nope"))
        assert response.status_code == 404
        response = arm("GET", VERSIONS.replace("westeurope", "mars"))
        assert error_of(response)["code"] == "LocationNotAvailableForResourceType"

    def test_e3_skus_carry_automatic_os_upgrade_support(self, arm, ubuntu):
        skus = body_of(arm("GET", f"{OFFER}/skus"))
        assert skus[0]["properties"] == {
            "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": True}
        }
        PlatformImage.objects.update(automatic_os_upgrade_supported=False)
        version = body_of(arm("GET", f"{VERSIONS}/{NEW_VERSION}"))
        assert version["properties"]["automaticOSUpgradeProperties"] == {
            "automaticOSUpgradeSupported": False
        }
        assert version["properties"]["osDiskImage"] == {"operatingSystem": "Linux"}

    def test_publishers_and_offers(self, arm, ubuntu):
        assert [p["name"] for p in body_of(arm("GET", f"{LOCATION}/publishers"))] == ["Canonical"]
        offers = body_of(arm("GET", f"{PUBLISHER}/artifacttypes/vmimage/offers"))
        assert [o["name"] for o in offers] == [UBUNTU["offer"]]

    def test_expand_properties_lists_versions_with_their_properties(self, arm, ubuntu):
        versions = body_of(arm("GET", VERSIONS, query="$expand=properties"))
        assert all("automaticOSUpgradeProperties" in v["properties"] for v in versions)


@pytest.fixture
def regions(region):
    return region, Region.objects.get(name="northeurope")


def gallery_put(arm, path: str, body: dict) -> object:
    return arm("PUT", path, body, version=GALLERY_VERSION)


class TestGallery:
    def test_a_publisher_creates_a_gallery_an_image_and_publishes_a_version(
        self, arm, regions, resource_group
    ):
        response = gallery_put(arm, f"{GALLERIES}/myGallery", {"location": "westeurope"})
        assert response.status_code == 201
        assert "Azure-AsyncOperation" in response
        image_body = {
            "location": "westeurope",
            "properties": {
                "osType": "Linux",
                "osState": "Generalized",
                "identifier": {"publisher": "Contoso", "offer": "Web", "sku": "one"},
            },
        }
        image_path = f"{GALLERIES}/myGallery/images/web"
        assert gallery_put(arm, image_path, image_body).status_code == 201
        version_body = {
            "location": "westeurope",
            "properties": {
                "publishingProfile": {
                    "targetRegions": [
                        {"name": "westeurope", "regionalReplicaCount": 2},
                        {"name": "northeurope", "excludeFromLatest": True},
                    ]
                },
                "storageProfile": {"source": {"id": "/subscriptions/x/vm"}},
            },
        }
        response = gallery_put(arm, f"{image_path}/versions/1.0.0", version_body)

        assert response.status_code == 201, response.content
        body = body_of(response)
        assert body["properties"]["provisioningState"] == "Creating"
        status = body["properties"]["replicationStatus"]
        assert status["aggregatedState"] == "InProgress"
        assert status["summary"] == [
            {"region": "northeurope", "state": "Replicating", "details": "", "progress": 0},
            {"region": "westeurope", "state": "Replicating", "details": "", "progress": 0},
        ]
        version = GalleryImageVersion.objects.get(name="1.0.0")
        assert version.replicas.get(region__name="northeurope").exclude_from_latest is True
        assert Event.objects.filter(kind=EventKind.IMAGE_PUBLISHED).count() == 1
        listed = body_of(arm("GET", f"{image_path}/versions", version=GALLERY_VERSION))
        assert [item["name"] for item in listed["value"]] == ["1.0.0"]

    def test_t4_a_version_is_not_latest_for_a_region_until_replicated(
        self, arm, regions, resource_group
    ):
        west, _ = regions
        gallery = Gallery.objects.create(resource_group=resource_group, name="g", location=west)
        image = GalleryImage.objects.create(
            gallery=gallery, name="i", publisher="p", offer="o", sku="s"
        )
        path = f"{GALLERIES}/g/images/i/versions/2.0.0"
        gallery_put(arm, path, {"location": "westeurope"})
        assert image.latest_version(region=west) is None
        GalleryImageReplica.objects.update(state=ReplicationState.COMPLETED, progress=100)
        assert image.latest_version(region=west).name == "2.0.0"
        got = body_of(arm("GET", path, version=GALLERY_VERSION))
        assert got["properties"]["replicationStatus"]["aggregatedState"] == "Completed"

    def test_changing_target_regions_adds_and_removes_replicas(self, arm, regions, resource_group):
        west, _ = regions
        gallery = Gallery.objects.create(resource_group=resource_group, name="g", location=west)
        GalleryImage.objects.create(gallery=gallery, name="i", publisher="p", offer="o", sku="s")
        path = f"{GALLERIES}/g/images/i/versions/2.0.0"
        gallery_put(arm, path, {"location": "westeurope"})
        body = {
            "location": "westeurope",
            "properties": {"publishingProfile": {"targetRegions": [{"name": "northeurope"}]}},
        }
        assert gallery_put(arm, path, body).status_code == 200
        regions_now = GalleryImageReplica.objects.values_list("region__name", flat=True)
        assert sorted(regions_now) == ["northeurope", "westeurope"]

    @pytest.mark.parametrize("name", ["1.0", "a.b.c", "1.0.99999999999"])
    def test_a_bad_version_name_is_refused(self, arm, regions, resource_group, name):
        west, _ = regions
        gallery = Gallery.objects.create(resource_group=resource_group, name="g", location=west)
        GalleryImage.objects.create(gallery=gallery, name="i", publisher="p", offer="o", sku="s")
        response = gallery_put(
            arm, f"{GALLERIES}/g/images/i/versions/{name}", {"location": "westeurope"}
        )
        assert response.status_code == 400
        assert GalleryImageVersion.objects.count() == 0

    def test_an_image_definition_needs_its_identifier(self, arm, regions, resource_group):
        gallery_put(arm, f"{GALLERIES}/g", {"location": "westeurope"})
        response = gallery_put(
            arm,
            f"{GALLERIES}/g/images/i",
            {"location": "westeurope", "properties": {"osType": "Linux"}},
        )
        assert response.status_code == 400
        assert error_of(response)["target"] == "properties.identifier.publisher"

    def test_gallery_operations_take_gallery_api_versions(self, arm, regions, resource_group):
        response = arm("PUT", f"{GALLERIES}/g", {"location": "westeurope"})
        assert error_of(response)["code"] == "InvalidApiVersionParameter"

    def test_missing_gallery_objects_are_404(self, arm, regions, resource_group):
        response = arm("GET", f"{GALLERIES}/nope/images/i/versions/1.0.0", version=GALLERY_VERSION)
        assert response.status_code == 404

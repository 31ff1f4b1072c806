"""A1: the shapes the az CLI reads (azure-cli 2.91's AAZ schemas, ``aaz/latest/vmss`` and
``aaz/latest/vm/image``): it flattens each ``properties`` into its parent, so a member may
not appear at both levels; and ``az vm image list --all`` lists versions with
``$expand=properties/imageDeprecationStatus`` and reads their architecture and deprecation
status."""

from __future__ import annotations

import pytest

from rollout.models import Extension, PlatformImage
from tests.rollout.api.conftest import APP_HEALTH_EXTENSION, VMSS, body_of, error_of
from tests.rollout.api.test_api_images_and_gallery import VERSIONS
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db


def flattened(item: dict) -> dict:
    """What az's client flatten does with one object; a clash is its ``KeyError``."""
    result = {key: value for key, value in item.items() if key != "properties"}
    for key, value in item.get("properties", {}).items():
        if key in result:
            raise KeyError(f"Conflict key when apply client flatten: {key}")
        result[key] = value
    return result


@pytest.fixture
def with_health_extension(web10):
    Extension.objects.create(
        scale_set=web10,
        name=APP_HEALTH_EXTENSION["name"],
        publisher=APP_HEALTH_EXTENSION["properties"]["publisher"],
        extension_type=APP_HEALTH_EXTENSION["properties"]["type"],
        type_handler_version="2.0",
    )
    return web10


def test_a1_model_extensions_carry_the_handler_type_only_in_properties(arm, with_health_extension):
    for answer in (
        body_of(arm("GET", f"{VMSS}/web10")),
        body_of(arm("GET", VMSS))["value"][0],
    ):
        profile = answer["properties"]["virtualMachineProfile"]["extensionProfile"]
        (extension,) = profile["extensions"]
        assert "type" not in extension
        assert extension["id"].endswith("/virtualMachineScaleSets/web10/extensions/HealthExtension")
        assert extension["properties"]["type"] == "ApplicationHealthLinux"
        assert flattened(extension)["type"] == "ApplicationHealthLinux"


def test_a1_image_versions_list_with_their_deprecation_status_as_az_asks(arm, ubuntu):
    versions = body_of(arm("GET", VERSIONS, query="$expand=properties/imageDeprecationStatus"))
    assert [v["name"] for v in versions] == [OLD_VERSION, NEW_VERSION]
    for version in versions:
        assert version["location"] == "westeurope"
        assert version["properties"] == {
            "architecture": "x64",
            "imageDeprecationStatus": {"imageState": "Active"},
        }


def test_a1_expand_is_matched_without_regard_to_case(arm, ubuntu):
    response = arm("GET", VERSIONS, query="$expand=Properties/ImageDeprecationStatus")
    assert response.status_code == 200


def test_a1_a_version_and_the_full_expansion_carry_architecture_and_status(arm, ubuntu):
    (first, _) = body_of(arm("GET", VERSIONS, query="$expand=properties"))
    one = body_of(arm("GET", f"{VERSIONS}/{NEW_VERSION}"))
    for body in (first, one):
        assert body["properties"]["architecture"] == "x64"
        assert body["properties"]["imageDeprecationStatus"] == {"imageState": "Active"}
        assert body["properties"]["automaticOSUpgradeProperties"]


def test_a1_arm64_skus_say_so(arm, ubuntu):
    arm64 = PlatformImage.objects.create(**{**UBUNTU, "sku": "22_04-lts-arm64"})
    for version in ubuntu.versions.all():
        copy = arm64.versions.create(version=version.version, published_at=version.published_at)
        copy.regions.set(version.regions.all())
    path = VERSIONS.replace(UBUNTU["sku"], arm64.sku)
    versions = body_of(arm("GET", path, query="$expand=properties/imageDeprecationStatus"))
    assert {v["properties"]["architecture"] for v in versions} == {"Arm64"}


def test_a1_an_unknown_expand_is_refused_naming_what_works(arm, ubuntu):
    response = arm("GET", VERSIONS, query="$expand=properties/somethingElse")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "InvalidParameter" and error["target"] == "$expand"
    assert "properties/imageDeprecationStatus" in error["message"]

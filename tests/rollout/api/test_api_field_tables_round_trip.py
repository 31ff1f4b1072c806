"""The parser and the serializer agree with every row the field tables copy: a member a request
states becomes its model field, and the model field comes back as that member (unless the row is
write-only), for scale sets, extensions, resource groups and the Compute Gallery."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.api.bodies.scale_sets import SCALE_SET, SCALE_SET_UPDATE
from rollout.api.scale_set_input import model_input
from rollout.api.serializers.scale_sets import extension_wire, scale_set_wire
from rollout.api.views.common import reload
from rollout.models import (
    Extension,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    ResourceGroup,
    ScaleSet,
)
from rollout.services.wire.fields import Field, FieldTable, Via
from rollout.services.wire.gallery import (
    GALLERY_FIELDS,
    GALLERY_IMAGE_FIELDS,
    GALLERY_IMAGE_VERSION_FIELDS,
    TARGET_REGION_FIELDS,
)
from rollout.services.wire.resources import RESOURCE_GROUP_FIELDS
from rollout.services.wire.scale_sets import EXTENSION_FIELDS, SCALE_SET_FIELDS
from tests.rollout.api.conftest import GALLERY_VERSION, RG, SUBSCRIPTION, body_of
from tests.rollout.api.field_samples import at, placed, sample_of

EXTENSIONS = "properties.virtualMachineProfile.extensionProfile.extensions"
MINIMAL_EXTENSION = {
    "name": "e",
    "properties": {"publisher": "p", "type": "t", "typeHandlerVersion": "1.0"},
}
GALLERY = f"{RG}/providers/Microsoft.Compute/galleries/g"
IMAGE = f"{GALLERY}/images/i"
IDENTIFIER = {"publisher": "p", "offer": "o", "sku": "s"}


def copied(table: FieldTable) -> list[Field]:
    return [row for row in table if row.via is Via.TABLE]


def ids(row: Field) -> str:
    return row.wire or row.model


class TestScaleSets:
    @pytest.mark.parametrize("row", copied(SCALE_SET_FIELDS), ids=ids)
    def test_a_member_becomes_its_model_field(self, row: Field) -> None:
        value, parsed, _ = sample_of(row)
        shapes = [(SCALE_SET, {"location": "westeurope"})]
        if row.in_update:
            shapes.append((SCALE_SET_UPDATE, {}))
        for shape, base in shapes:
            body = shape.parse(placed(row.wire, value, base), "")
            assert model_input(body).fields == {row.model: parsed}, shape.name

    @pytest.mark.django_db
    @pytest.mark.parametrize("row", copied(SCALE_SET_FIELDS), ids=ids)
    def test_a_model_field_becomes_its_member(self, row: Field, web10: ScaleSet) -> None:
        _, parsed, shown = sample_of(row)
        scale_set = reload(web10)
        setattr(scale_set, row.model, parsed)
        if row.write_only:
            with pytest.raises(KeyError):
                at(scale_set_wire(scale_set), row.wire)
        else:
            assert at(scale_set_wire(scale_set), row.wire) == shown

    @pytest.mark.django_db
    def test_an_empty_zone_list_is_left_out(self, tiny3: ScaleSet) -> None:
        assert "zones" not in scale_set_wire(reload(tiny3))


class TestExtensions:
    @pytest.mark.parametrize("row", copied(EXTENSION_FIELDS), ids=ids)
    def test_a_member_becomes_its_model_field(self, row: Field) -> None:
        value, parsed, _ = sample_of(row)
        item = placed(row.wire, value, MINIMAL_EXTENSION)
        (spec,) = model_input(SCALE_SET_UPDATE.parse(placed(EXTENSIONS, [item]), "")).extensions
        assert getattr(spec, row.model) == parsed

    @pytest.mark.django_db
    @pytest.mark.parametrize("row", copied(EXTENSION_FIELDS), ids=ids)
    def test_a_model_field_becomes_its_member(self, row: Field, web10: ScaleSet) -> None:
        _, parsed, shown = sample_of(row)
        extension = Extension(scale_set=web10, name="e", publisher="p", extension_type="t")
        setattr(extension, row.model, parsed)
        if row.write_only:
            with pytest.raises(KeyError):
                at(extension_wire(web10, extension), row.wire)
        else:
            assert at(extension_wire(web10, extension), row.wire) == shown


@pytest.fixture
def image(resource_group: ResourceGroup, region: Any) -> GalleryImage:
    gallery = Gallery.objects.create(resource_group=resource_group, name="g", location=region)
    return GalleryImage.objects.create(gallery=gallery, name="i", **IDENTIFIER)


@pytest.mark.django_db
class TestResourceGroupsAndTheGallery:
    """Over the API: a PUT stating the member stores its model field, and a GET shows it."""

    @pytest.mark.parametrize("row", copied(RESOURCE_GROUP_FIELDS), ids=ids)
    def test_resource_group(self, row: Field, arm: Any, region: Any) -> None:
        value, parsed, shown = sample_of(row)
        path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/fresh"
        body = placed(row.wire, value, {"location": "westeurope"})
        assert arm("PUT", path, body, version="2024-11-01").status_code == 201
        assert getattr(ResourceGroup.objects.get(name="fresh"), row.model) == parsed
        assert at(body_of(arm("GET", path, version="2024-11-01")), row.wire) == shown

    @pytest.mark.parametrize("row", copied(GALLERY_FIELDS), ids=ids)
    def test_gallery(self, row: Field, arm: Any, resource_group: Any, region: Any) -> None:
        value, parsed, shown = sample_of(row)
        body = placed(row.wire, value, {"location": "westeurope"})
        assert arm("PUT", GALLERY, body, version=GALLERY_VERSION).status_code == 201
        assert getattr(Gallery.objects.get(name="g"), row.model) == parsed
        assert at(body_of(arm("GET", GALLERY, version=GALLERY_VERSION)), row.wire) == shown

    @pytest.mark.parametrize("row", copied(GALLERY_IMAGE_FIELDS), ids=ids)
    def test_gallery_image(self, row: Field, arm: Any, image: GalleryImage) -> None:
        value, parsed, shown = sample_of(row)
        base = {
            "location": "westeurope",
            "properties": {"osType": "Linux", "identifier": IDENTIFIER},
        }
        other = f"{GALLERY}/images/other"
        body = placed(row.wire, value, base)
        assert arm("PUT", other, body, version=GALLERY_VERSION).status_code == 201
        assert getattr(GalleryImage.objects.get(name="other"), row.model) == parsed
        assert at(body_of(arm("GET", other, version=GALLERY_VERSION)), row.wire) == shown

    @pytest.mark.parametrize("row", copied(GALLERY_IMAGE_VERSION_FIELDS), ids=ids)
    def test_gallery_image_version(self, row: Field, arm: Any, image: GalleryImage) -> None:
        value, parsed, shown = sample_of(row)
        path = f"{IMAGE}/versions/1.0.0"
        body = placed(row.wire, value, {"location": "westeurope"})
        assert arm("PUT", path, body, version=GALLERY_VERSION).status_code == 201
        assert getattr(GalleryImageVersion.objects.get(name="1.0.0"), row.model) == parsed
        assert at(body_of(arm("GET", path, version=GALLERY_VERSION)), row.wire) == shown

    @pytest.mark.parametrize("row", copied(TARGET_REGION_FIELDS), ids=ids)
    def test_target_region(self, row: Field, arm: Any, image: GalleryImage) -> None:
        value, parsed, shown = sample_of(row)
        path = f"{IMAGE}/versions/1.0.0"
        target = placed(row.wire, value, {"name": "westeurope"})
        body = placed("properties.publishingProfile.targetRegions", [target])
        body["location"] = "westeurope"
        assert arm("PUT", path, body, version=GALLERY_VERSION).status_code == 201
        assert getattr(GalleryImageReplica.objects.get(), row.model) == parsed
        got = body_of(arm("GET", path, version=GALLERY_VERSION))
        (region,) = at(got, "properties.publishingProfile.targetRegions")
        assert at(region, row.wire) == shown

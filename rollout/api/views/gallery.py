"""Compute Gallery: galleries, image definitions, and image versions a publisher publishes and
replicates to regions (T4)."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.paging import page
from rollout.api.serializers.resources import (
    gallery_image_version_wire,
    gallery_image_wire,
    gallery_wire,
)
from rollout.models import AsyncOperationKind, GalleryImage, GalleryImageVersion
from rollout.services.errors import not_found
from rollout.services.gallery.publishing import (
    TargetRegionSpec,
    create_or_update_gallery,
    create_or_update_gallery_image,
    get_gallery,
    get_gallery_image,
    publish_gallery_image_version,
)
from rollout.services.wire.gallery import (
    GALLERY_FIELDS,
    GALLERY_IMAGE_FIELDS,
    GALLERY_IMAGE_VERSION_FIELDS,
    TARGET_REGION_FIELDS,
)


def _image(call: ApiCall) -> GalleryImage:
    gallery = get_gallery(call.subscription_id, call.args["resource_group"], call.args["gallery"])
    return get_gallery_image(gallery, call.args["image"])


def _created(
    call: ApiCall, body: dict[str, object], created: bool, location: str, resource_id: str
) -> HttpResponse:
    operation = lro.record(call, AsyncOperationKind.CREATE_OR_UPDATE, location, resource_id)
    return json_response(body, status=201 if created else 200, headers=lro.headers(call, operation))


def get_gallery_view(call: ApiCall) -> HttpResponse:
    args = call.args
    return json_response(
        gallery_wire(get_gallery(call.subscription_id, args["resource_group"], args["gallery"]))
    )


def put_gallery(call: ApiCall) -> HttpResponse:
    body = call.body()
    gallery, created = create_or_update_gallery(
        call.subscription_id,
        call.args["resource_group"],
        call.args["gallery"],
        body["location"],
        GALLERY_FIELDS.read(body).get("description"),
    )
    state = "Creating" if created else "Updating"
    return _created(
        call, gallery_wire(gallery, state), created, gallery.location.name, gallery.arm_id
    )


def get_gallery_image_view(call: ApiCall) -> HttpResponse:
    return json_response(gallery_image_wire(_image(call)))


def put_gallery_image(call: ApiCall) -> HttpResponse:
    stated = GALLERY_IMAGE_FIELDS.read(call.body())
    gallery = get_gallery(call.subscription_id, call.args["resource_group"], call.args["gallery"])
    image, created = create_or_update_gallery_image(
        gallery,
        call.args["image"],
        **{name: stated.get(name) for name in ("os_type", "publisher", "offer", "sku")},
    )
    state = "Creating" if created else "Updating"
    return _created(
        call, gallery_image_wire(image, state), created, gallery.location.name, image.arm_id
    )


def _version(call: ApiCall) -> GalleryImageVersion:
    image = _image(call)
    version = (
        image.versions.select_related("location", "image__gallery__resource_group__subscription")
        .filter(name=call.args["version"])
        .first()
    )
    if version is None:
        raise not_found(
            f"The Resource 'Microsoft.Compute/galleries/{image.gallery.name}/images/"
            f"{image.name}/versions/{call.args['version'][:40]}' under resource group "
            f"'{image.gallery.resource_group.name}' was not found."
        )
    return version


def get_gallery_image_version(call: ApiCall) -> HttpResponse:
    return json_response(gallery_image_version_wire(_version(call)))


def put_gallery_image_version(call: ApiCall) -> HttpResponse:
    """Publish a version; each target region starts Replicating at 0%."""
    body = call.body()
    profile = body.get("properties", {}).get("publishingProfile", {})
    targets = None
    if "targetRegions" in profile:
        targets = [
            TargetRegionSpec(name=item["name"], **TARGET_REGION_FIELDS.read(item))
            for item in profile["targetRegions"]
        ]
    version, created = publish_gallery_image_version(
        _image(call),
        call.args["version"],
        body["location"],
        target_regions=targets,
        replica_count=profile.get("replicaCount"),
        actor=call.user,
        **GALLERY_IMAGE_VERSION_FIELDS.read(body),  # excludeFromLatest, endOfLifeDate
    )
    version = GalleryImageVersion.objects.select_related(
        "location", "image__gallery__resource_group__subscription"
    ).get(pk=version.pk)
    state = "Creating" if created else "Updating"
    return _created(
        call,
        gallery_image_version_wire(version, state),
        created,
        version.location.name,
        version.arm_id,
    )


def list_gallery_image_versions(call: ApiCall) -> HttpResponse:
    rows = (
        _image(call)
        .versions.select_related("location", "image__gallery__resource_group__subscription")
        .order_by("sort_key", "pk")
    )
    return json_response(page(call, rows, "gallery", gallery_image_version_wire))

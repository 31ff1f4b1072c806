"""Platform images (H2): publishers, offers, SKUs (with E3's flag) and versions per location.

Answers are bare JSON arrays, as Azure's image API gives them; versions take ``$top`` and
``$orderby`` (``name`` or ``name desc``) and ``$expand=properties`` (every property) or
``$expand=properties/imageDeprecationStatus`` (architecture and deprecation status).
"""

from __future__ import annotations

import re

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.serializers.resources import (
    image_resource,
    image_version_listing,
    image_version_wire,
    sku_resource,
)
from rollout.models import PlatformImage, PlatformImageVersion, Region
from rollout.services.errors import ServiceError, not_found
from rollout.services.resource_groups import resolve_region

# ``az vm image list --all`` asks for the deprecation status (azure-cli 2.91, vm/_actions.py).
EXPANDS = ("", "properties", "properties/imagedeprecationstatus")
ORDER_BY = re.compile(r"^\s*name(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def _region(call: ApiCall) -> Region:
    return resolve_region(call.args["location"], "location")


def _images(call: ApiCall, region: Region) -> list[PlatformImage]:
    """The catalogue's images with a version in ``region``, narrowed by the path."""
    rows = PlatformImage.objects.filter(versions__regions=region).distinct()
    for name in ("publisher", "offer", "sku"):
        if name in call.args:
            rows = rows.filter(**{f"{name}__iexact": call.args[name]})
    return list(rows.order_by("publisher", "offer", "sku"))


def _artifact_not_found() -> ServiceError:
    return not_found("Artifact: VMImage was not found.", "NotFound")


def list_publishers(call: ApiCall) -> HttpResponse:
    region = _region(call)
    names = sorted({image.publisher for image in _images(call, region)}, key=str.lower)
    return json_response(
        [image_resource(call.subscription_id, region.name, name) for name in names]
    )


def list_offers(call: ApiCall) -> HttpResponse:
    region = _region(call)
    images = _images(call, region)
    if not images:
        raise _artifact_not_found()
    offers = sorted({image.offer for image in images}, key=str.lower)
    return json_response(
        [
            image_resource(call.subscription_id, region.name, images[0].publisher, offer)
            for offer in offers
        ]
    )


def list_skus(call: ApiCall) -> HttpResponse:
    region = _region(call)
    images = _images(call, region)
    if not images:
        raise _artifact_not_found()
    return json_response([sku_resource(call.subscription_id, region.name, i) for i in images])


def _top(call: ApiCall) -> int | None:
    raw = call.query("$top")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ServiceError("InvalidParameter", f"$top '{raw[:40]}' is not a number.", "$top")
    return int(raw)


def _descending(call: ApiCall) -> bool:
    raw = call.query("$orderby")
    if raw is None:
        return False
    match = ORDER_BY.match(raw)
    if match is None:
        raise ServiceError(
            "InvalidParameter",
            f"$orderby '{raw[:60]}' is not supported: use name or name desc.",
            "$orderby",
        )
    return (match.group(1) or "asc").lower() == "desc"


def list_versions(call: ApiCall) -> HttpResponse:
    """H2: the versions of one SKU available in the location."""
    region = _region(call)
    images = _images(call, region)
    if not images:
        raise _artifact_not_found()
    image = images[0]
    top, descending = _top(call), _descending(call)
    expand = (call.query("$expand") or "").strip().lower()
    if expand not in EXPANDS:
        raise ServiceError(
            "InvalidParameter",
            f"$expand '{expand[:40]}' is not supported: use properties or "
            "properties/imageDeprecationStatus.",
            "$expand",
        )
    rows = PlatformImageVersion.objects.filter(image=image, regions=region).order_by(
        "-sort_key" if descending else "sort_key"
    )
    versions = list(
        rows.values_list("version", flat=True)[:top]
        if top is not None
        else rows.values_list("version", flat=True)
    )
    if expand:
        wire = image_version_wire if expand == "properties" else image_version_listing
        return json_response([wire(call.subscription_id, region.name, image, v) for v in versions])
    return json_response(
        [
            image_resource(
                call.subscription_id, region.name, image.publisher, image.offer, image.sku, v
            )
            for v in versions
        ]
    )


def get_version(call: ApiCall) -> HttpResponse:
    region = _region(call)
    images = _images(call, region)
    version = None
    if images:
        version = PlatformImageVersion.objects.filter(
            image=images[0], regions=region, version=call.args["version"]
        ).first()
    if version is None:
        raise _artifact_not_found()
    return json_response(
        image_version_wire(call.subscription_id, region.name, images[0], version.version)
    )

"""Publishing a platform image version (Rollwright's own route; Azure has no public one).

``PUT .../locations/{location}/publishers/{publisher}/artifacttypes/vmimage/offers/{offer}/
skus/{sku}/versions/{version}`` makes the version available in ``location`` (and in
``properties.regions``, when given) and, when it is the newest of its SKU, starts its release
(T1): ``rollout.services.releases.publishing.publish_image_version`` does everything;
this view parses and serialises. The answer is the image version as GET returns it, plus
``properties.rollwrightRelease``: the release's id, status and phases.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.serializers.resources import image_version_wire
from rollout.models import Release
from rollout.services.releases.publishing import publish_image_version
from rollout.services.resource_groups import resolve_region


def put_platform_image_version(call: ApiCall) -> HttpResponse:
    """Publish the version (201 when new, 200 when it only gained regions or nothing)."""
    properties = call.body().get("properties", {})
    location = resolve_region(call.args["location"], "location").name
    published = publish_image_version(
        call.args["publisher"],
        call.args["offer"],
        call.args["sku"],
        call.args["version"],
        regions=[location, *properties.get("regions", [])],
        actor=call.user,
        reason=properties.get("reason", ""),
    )
    image = published.version.image
    body = image_version_wire(call.subscription_id, location, image, published.version.version)
    body["properties"]["rollwrightRelease"] = release_wire(published.release, published.message)
    return json_response(body, status=201 if published.created else 200)


def release_wire(release: Release | None, message: str) -> dict[str, Any]:
    if release is None:
        return {"id": None, "status": None, "message": message, "phases": []}
    return {
        "id": release.pk,
        "status": release.status,
        "message": message,
        "phases": [
            sorted(region.name for region in phase.regions.all())
            for phase in release.phases.prefetch_related("regions").order_by("index")
        ],
    }

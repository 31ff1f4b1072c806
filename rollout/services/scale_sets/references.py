"""References in a scale set model, resolved to rows: a health probe's id, an image id (a
Compute Gallery image, maybe pinned, or a custom image), and the expiry of a SAS URI in an
extension's settings (U9). Each refusal names the property to fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from rollout.models import GalleryImage, HealthProbe, ImageKind
from rollout.services.errors import invalid_parameter
from rollout.services.scale_sets.validation import TARGET_HEALTH_PROBE, TARGET_IMAGE_ID

_SEGMENT = r"([^/]+)"
GALLERY_IMAGE_ID = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/"
    rf"galleries/{_SEGMENT}/images/{_SEGMENT}(?:/versions/{_SEGMENT})?/?$",
    re.IGNORECASE,
)
CUSTOM_IMAGE_ID = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/{_SEGMENT}/.+$",
    re.IGNORECASE,
)
PROBE_ID = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Network/"
    rf"loadBalancers/{_SEGMENT}/probes/{_SEGMENT}/?$",
    re.IGNORECASE,
)
# U9: a SAS URI's expiry ("se=2026-01-31T12:00Z") in an extension's settings.
SAS_EXPIRY = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$")


def resolve_health_probe(probe_id: str) -> HealthProbe:
    """The load balancer probe a ``networkProfile.healthProbe.id`` names."""
    match = PROBE_ID.match(probe_id)
    probe = None
    if match:
        subscription, group, balancer, name = match.groups()
        probe = (
            HealthProbe.objects.select_related("load_balancer")
            .filter(
                load_balancer__resource_group__subscription__subscription_id__iexact=subscription,
                load_balancer__resource_group__name__iexact=group,
                load_balancer__name__iexact=balancer,
                name__iexact=name,
            )
            .first()
        )
    if probe is None:
        raise invalid_parameter(
            f"The health probe '{probe_id}' does not exist: give the id of a load balancer "
            "probe, /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/"
            "loadBalancers/{lb}/probes/{probe}.",
            TARGET_HEALTH_PROBE,
        )
    return probe


def resolve_image_id(image_id: str) -> dict[str, Any]:
    """Model fields for an ``imageReference.id``: a gallery image (maybe pinned) or custom."""
    match = GALLERY_IMAGE_ID.match(image_id)
    if match:
        subscription, group, gallery, image_name, version = match.groups()
        image = (
            GalleryImage.objects.select_related("gallery__resource_group__subscription")
            .filter(
                gallery__resource_group__subscription__subscription_id__iexact=subscription,
                gallery__resource_group__name__iexact=group,
                gallery__name__iexact=gallery,
                name__iexact=image_name,
            )
            .first()
        )
        if image is None:
            raise invalid_parameter(
                f"The gallery image '{image_id}' does not exist.", TARGET_IMAGE_ID
            )
        return {
            "image_kind": ImageKind.GALLERY,
            "gallery_image": image,
            "image_version": version or "latest",
            "custom_image_id": "",
        }
    if not CUSTOM_IMAGE_ID.match(image_id):
        raise invalid_parameter(
            f"'{image_id}' is not a resource id: imageReference.id takes the id of a Compute "
            "Gallery image (…/galleries/{g}/images/{i}[/versions/{v}]) or of a custom image.",
            TARGET_IMAGE_ID,
        )
    return {
        "image_kind": ImageKind.CUSTOM,
        "custom_image_id": image_id,
        "gallery_image": None,
        "image_version": "latest",
    }


def credential_expiry(settings: Any) -> datetime | None:
    """U9: the earliest SAS expiry (``se=``) among the URIs in an extension's settings."""
    found: list[datetime] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, str) and "se=" in value and "?" in value:
            for expiry in parse_qs(urlparse(value).query).get("se", []):
                if SAS_EXPIRY.match(expiry):
                    found.append(datetime.fromisoformat(expiry.rstrip("Z")).replace(tzinfo=UTC))

    visit(settings)
    return min(found) if found else None

"""``GET /subscriptions``, ``GET /subscriptions/{id}``, ``GET /subscriptions/{id}/locations``
and ``GET /tenants`` (A1), each showing only what the caller may see (R1)."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.models import Region, Subscription
from rollout.services.access.subscriptions import (
    subscription_json,
    tenant_json,
    visible_subscriptions,
)
from rollout.services.errors import not_found


def list_subscriptions(call: ApiCall) -> HttpResponse:
    rows = visible_subscriptions(call.grants)
    return json_response(
        {
            "value": [subscription_json(row) for row in rows],
            "count": {"type": "Total", "value": len(rows)},
        }
    )


def get_subscription(call: ApiCall) -> HttpResponse:
    row = Subscription.objects.filter(subscription_id__iexact=call.subscription_id).first()
    if row is None:
        raise not_found(
            f"The subscription '{call.subscription_id}' could not be found.", "SubscriptionNotFound"
        )
    return json_response(subscription_json(row))


def list_tenants(call: ApiCall) -> HttpResponse:
    """Rollwright is one tenant; a caller who can sign in belongs to it."""
    return json_response({"value": [tenant_json()]})


def location_json(subscription_id: str, region: Region) -> dict[str, object]:
    """A Location (subscriptions.json 2022-12-01, Subscriptions_ListLocations): what ``az vm
    image list`` and ``az account list-locations`` read (``name``; ``displayName``)."""
    base = f"/subscriptions/{subscription_id}/locations"
    metadata: dict[str, object] = {"regionType": "Physical", "regionCategory": "Recommended"}
    if region.paired_region is not None:
        pair = region.paired_region.name
        metadata["pairedRegion"] = [{"name": pair, "id": f"{base}/{pair}"}]
    body: dict[str, object] = {
        "id": f"{base}/{region.name}",
        "type": "Region",
        "name": region.name,
        "displayName": region.display_name,
        "regionalDisplayName": region.display_name,
        "metadata": metadata,
    }
    if region.availability_zones:
        body["availabilityZoneMappings"] = [
            {"logicalZone": zone, "physicalZone": f"{region.name}-az{zone}"}
            for zone in region.availability_zones
        ]
    return body


def list_locations(call: ApiCall) -> HttpResponse:
    """The regions this server has (every subscription may deploy to each)."""
    subscription = call.subscription_id.lower()
    regions = Region.objects.select_related("paired_region").order_by("name")
    return json_response({"value": [location_json(subscription, region) for region in regions]})

"""``GET /subscriptions``, ``GET /subscriptions/{id}`` and ``GET /tenants`` (A1), each showing
only what the caller may see (R1)."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.models import Subscription
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

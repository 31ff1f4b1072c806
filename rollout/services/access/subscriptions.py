"""Subscriptions and the tenant (R1, A1): what ``/subscriptions`` and ``/tenants`` list, and
what the first use of a subscription means.

A subscription comes into being on first use, by a write into it from a principal allowed to
create subscriptions: one with a role at the root scope (superusers). That principal becomes
its Owner, as whoever creates an Azure subscription does, so the ownership stays if they stop
being a superuser. Everyone else gets 403 ``AuthorizationFailed`` for a subscription they hold
no role in, existing or not. Resource groups give their creator nothing: creating one needs
write access to the subscription, which already covers the group.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from rollout.models import Role, Subscription
from rollout.services.access.assignments import assign_role, is_principal
from rollout.services.access.grants import Grants
from rollout.services.access.roles import READ_SUBSCRIPTION, WRITE_SUBSCRIPTION
from rollout.services.access.scopes import Scope
from rollout.services.resource_groups import ensure_subscription


def open_subscription(subscription_id: str, grants: Grants) -> Subscription | None:
    """Before a write into ``subscription_id``: create it on first use when the writer may
    (making them its Owner), else leave it to the authorisation that follows. Returns the
    subscription, or None when it does not exist."""
    existing = Subscription.objects.filter(subscription_id__iexact=subscription_id).first()
    if existing is not None or not grants.allows(WRITE_SUBSCRIPTION, Scope()):
        return existing
    with transaction.atomic():
        subscription = ensure_subscription(subscription_id)
        if is_principal(grants.principal):
            assign_role(
                grants.principal,
                Role.OWNER,
                Scope.of(subscription),
                actor=grants.principal,
                reason="Created the subscription on first use.",
                authorise=False,
            )
    return subscription


def visible_subscriptions(grants: Grants) -> list[Subscription]:
    """The subscriptions the principal holds a role in (at it, or at one of its resource
    groups), as Azure's Subscriptions - List returns them."""
    subscription_ids, everywhere = grants.subscriptions(READ_SUBSCRIPTION)
    rows = Subscription.objects.order_by("subscription_id")
    if not everywhere:
        rows = rows.filter(subscription_id__in=subscription_ids)
    return list(rows)


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    """Azure's Subscription (Microsoft.Resources 2022-12-01, subscriptions.json)."""
    return {
        "id": subscription.arm_id,
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": subscription.subscription_id,
        "tenantId": settings.ROLLWRIGHT_TENANT_ID,
        "displayName": subscription.display_name or subscription.subscription_id,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "Rollwright_2026-01-01",
            "spendingLimit": "Off",
        },
    }


def tenant_json() -> dict[str, Any]:
    """Azure's TenantIdDescription for the one tenant Rollwright is."""
    tenant = settings.ROLLWRIGHT_TENANT_ID
    return {
        "id": f"/tenants/{tenant}",
        "tenantId": tenant,
        "tenantCategory": "Home",
        "displayName": settings.ROLLWRIGHT_TENANT_NAME,
        "domains": [settings.ROLLWRIGHT_TENANT_DOMAIN],
        "defaultDomain": settings.ROLLWRIGHT_TENANT_DOMAIN,
        "tenantType": "AAD",
    }

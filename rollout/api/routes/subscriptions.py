"""Microsoft.Resources subscriptions and tenants (A1): what ``az login`` lists after signing
in. Shapes: azure-rest-api-specs, specification/resources/resource-manager/
Microsoft.Resources/stable/2022-12-01/subscriptions.json (Subscriptions_List,
Subscriptions_Get, Tenants_List)."""

from __future__ import annotations

from rollout.api.routes.paths import SUBSCRIPTION
from rollout.api.routing import Operation, Route
from rollout.api.views import subscriptions

SUBSCRIPTIONS_TYPE = "Microsoft.Resources/subscriptions"

ROUTES = (
    Route(
        "subscriptions",
        "/subscriptions",
        "Subscriptions",
        SUBSCRIPTIONS_TYPE,
        get=Operation(
            subscriptions.list_subscriptions,
            "Subscriptions_List",
            "The subscriptions the caller holds a role in",
            authorization="caller",
        ),
    ),
    Route(
        "subscription",
        SUBSCRIPTION,
        "Subscriptions",
        SUBSCRIPTIONS_TYPE,
        get=Operation(
            subscriptions.get_subscription,
            "Subscriptions_Get",
            "A subscription the caller holds a role in",
            authorization="listing",
        ),
    ),
    Route(
        "subscription-locations",
        f"{SUBSCRIPTION}/locations",
        "Subscriptions",
        "Microsoft.Resources/subscriptions/locations",
        get=Operation(
            subscriptions.list_locations,
            "Subscriptions_ListLocations",
            "The regions of the subscription (az vm image list asks for one)",
            authorization="listing",
        ),
    ),
    Route(
        "tenants",
        "/tenants",
        "Subscriptions",
        "Microsoft.Resources/tenants",
        get=Operation(
            subscriptions.list_tenants,
            "Tenants_List",
            "The tenant (Rollwright is one)",
            authorization="caller",
        ),
    ),
)

"""Microsoft.Resources: resource groups, as azure-mgmt-resource sends them."""

from __future__ import annotations

from rollout.api.bodies import resources as bodies
from rollout.api.routes.paths import GROUP, SUBSCRIPTION
from rollout.api.routing import Operation, Route
from rollout.api.views import resource_groups

ROUTES = (
    Route(
        "resource_groups",
        f"{SUBSCRIPTION}/resourcegroups",
        "Resource",
        "Microsoft.Resources/subscriptions/resourceGroups",
        get=Operation(
            resource_groups.list_resource_groups,
            "ResourceGroups_List",
            "The subscription's resource groups the caller may read (az group list)",
            query=("$skiptoken",),
            authorization="listing",
        ),
    ),
    Route(
        "resource_group",
        GROUP,
        "Resource",
        "Microsoft.Resources/subscriptions/resourceGroups",
        put=Operation(
            resource_groups.put_resource_group,
            "ResourceGroups_CreateOrUpdate",
            "Create or update a resource group",
            (200, 201),
            bodies.RESOURCE_GROUP,
        ),
        get=Operation(
            resource_groups.get_resource_group, "ResourceGroups_Get", "Get a resource group"
        ),
        head=Operation(
            resource_groups.head_resource_group,
            "ResourceGroups_CheckExistence",
            "204 when it exists, else 404",
            (204, 404),
        ),
        delete=Operation(
            resource_groups.delete_resource_group_view,
            "ResourceGroups_Delete",
            "Delete it and everything in it",
            (202,),
            long_running=True,
        ),
    ),
)

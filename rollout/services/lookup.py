"""Finding resources by their ARM names (case-insensitive, as ARM is), with ARM's 404 codes."""

from __future__ import annotations

from rollout.models import ResourceGroup, ScaleSet
from rollout.services.errors import not_found


def get_resource_group(name: str, subscription_id: str | None = None) -> ResourceGroup:
    rows = ResourceGroup.objects.select_related("subscription").filter(name__iexact=name)
    if subscription_id is not None:
        rows = rows.filter(subscription__subscription_id__iexact=subscription_id)
    group = rows.first()
    if group is None:
        raise not_found(f"Resource group '{name}' could not be found.", "ResourceGroupNotFound")
    return group


def get_scale_set(resource_group: str, name: str, subscription_id: str | None = None) -> ScaleSet:
    group = get_resource_group(resource_group, subscription_id)
    scale_set = (
        ScaleSet.objects.select_related(
            "resource_group__subscription", "location", "health_probe__load_balancer"
        )
        .filter(resource_group=group, name__iexact=name)
        .first()
    )
    if scale_set is None:
        raise not_found(
            f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{name}' under resource "
            f"group '{group.name}' was not found."
        )
    return scale_set

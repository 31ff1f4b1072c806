"""Where each admin row lives (R1): the path from a row to its resource group, so the admin
shows and lets change only what the user's roles allow, as every other face does.

Rows not listed are the platform's (regions, the image catalogue, releases, trigger
policies): read and changed at the root scope only. Subscriptions are their own scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from rollout.models import (
    DataDisk,
    Event,
    Extension,
    FaultRule,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    HealthProbe,
    Instance,
    InstanceUpgrade,
    LoadBalancer,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    OsDisk,
    ResourceGroup,
    ScaleSet,
    ScaleSetStream,
    TriggerPolicyAssignment,
    UpgradeBatch,
    UpgradeOperation,
)
from rollout.services.access.scopes import Scope

GROUP_PATHS: dict[type[Model], str] = {
    ResourceGroup: "",
    LoadBalancer: "resource_group",
    HealthProbe: "load_balancer__resource_group",
    ScaleSet: "resource_group",
    Extension: "scale_set__resource_group",
    Instance: "scale_set__resource_group",
    OsDisk: "instance__scale_set__resource_group",
    DataDisk: "instance__scale_set__resource_group",
    UpgradeOperation: "scale_set__resource_group",
    UpgradeBatch: "operation__scale_set__resource_group",
    InstanceUpgrade: "operation__scale_set__resource_group",
    Event: "scale_set__resource_group",
    ScaleSetStream: "scale_set__resource_group",
    FaultRule: "scale_set__resource_group",
    Gallery: "resource_group",
    GalleryImage: "gallery__resource_group",
    GalleryImageVersion: "image__gallery__resource_group",
    GalleryImageReplica: "version__image__gallery__resource_group",
    MaintenanceConfiguration: "resource_group",
    MaintenanceConfigurationAssignment: "scale_set__resource_group",
    TriggerPolicyAssignment: "scale_set__resource_group",
}


def group_path(model: type[Model]) -> str | None:
    """The path from ``model``'s rows to their resource group; None for the platform's."""
    return GROUP_PATHS.get(model)


def scope_of_row(row: Any) -> Scope:
    """The scope a row is in (the root for the platform's rows, and for an event of no scale
    set)."""
    path = group_path(type(row))
    if path is None:
        return Scope()
    group = row
    for step in path.split("__") if path else ():
        group = getattr(group, step, None)
        if group is None:
            return Scope()
    return Scope.of(group)

"""ARM's containers and names: subscriptions (created on first use for any well-formed
GUID), resource groups (PUT, DELETE), regions, and the naming rule of each resource type."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from rollout.models import (
    ACTIVE_STATUSES,
    Region,
    ResourceGroup,
    ScaleSet,
    Subscription,
    UpgradeOperation,
)
from rollout.services.errors import ServiceError, not_found

TARGET_LOCATION = "location"

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


# ARM's naming rules per resource type: (pattern, what the message says).
NAME_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "resourceGroup": (
        re.compile(r"^[-\w.()]{0,89}[-\w()]$"),
        "1 to 90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    ),
    "virtualMachineScaleSet": (
        re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$"),
        "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit and ending "
        "with a letter, digit or '_'",
    ),
    "gallery": (
        re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]{0,78}[A-Za-z0-9])?$"),
        "1 to 80 letters, digits, '.' or '_', not starting or ending with '.' or '_'",
    ),
    "galleryImage": (
        re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$"),
        "1 to 80 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
    ),
}


def ensure_subscription(subscription_id: str) -> Subscription:
    """The subscription row for a well-formed GUID, created on first use."""
    if not GUID.match(subscription_id):
        raise ServiceError(
            "InvalidSubscriptionId",
            f"The provided subscription identifier '{subscription_id}' is malformed or invalid.",
        )
    subscription, _ = Subscription.objects.get_or_create(subscription_id=subscription_id.lower())
    return subscription


def check_name(kind: str, name: str) -> None:
    """ARM refuses to create a resource whose name breaks its type's rule."""
    pattern, rule = NAME_RULES[kind]
    if not pattern.match(name):
        code = "InvalidResourceGroup" if kind == "resourceGroup" else "InvalidResourceName"
        raise ServiceError(code, f"The {kind} name '{name[:100]}' is invalid: use {rule}.")


def resolve_region(name: str, target: str = TARGET_LOCATION) -> Region:
    region = Region.objects.filter(name__iexact=name.replace(" ", "")).first()
    if region is None:
        known = ", ".join(Region.objects.values_list("name", flat=True))
        raise ServiceError(
            "LocationNotAvailableForResourceType",
            f"The provided location '{name}' is not available for this resource type. "
            f"List of available regions is '{known}'.",
            target,
        )
    return region


def refuse_while_upgrading(rows: Any, what: str) -> None:
    if UpgradeOperation.objects.filter(scale_set__in=rows, status__in=ACTIVE_STATUSES).exists():
        raise ServiceError(
            "OperationNotAllowed",
            f"{what} has an OS upgrade in progress: cancel it (rollingUpgrades/cancel) and wait "
            "for it to stop before deleting.",
            status=409,
        )


def create_or_update_resource_group(
    subscription_id: str, name: str, location: str, tags: dict[str, str] | None
) -> tuple[ResourceGroup, bool]:
    """PUT of a resource group: create it, or update its tags (its location is fixed)."""
    region = resolve_region(location)
    with transaction.atomic():
        subscription = ensure_subscription(subscription_id)
        group = ResourceGroup.objects.filter(subscription=subscription, name__iexact=name).first()
        if group is None:
            check_name("resourceGroup", name)
            group = ResourceGroup.objects.create(
                subscription=subscription, name=name, location=region.name, tags=tags or {}
            )
            return group, True
        if group.location.lower() != region.name:
            raise ServiceError(
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already "
                f"exists in location '{group.location}'.",
                TARGET_LOCATION,
                status=409,
            )
        if tags is not None:
            group.tags = tags
            group.save(update_fields=["tags"])
        return group, False


def delete_resource_group(group: ResourceGroup) -> None:
    """Delete a resource group and everything in it; refused while an upgrade runs in it or
    while a scale set elsewhere uses one of its probes or gallery images."""
    try:
        with transaction.atomic():
            scale_sets = ScaleSet.objects.select_for_update(of=("self",)).filter(
                resource_group=group
            )
            refuse_while_upgrading(scale_sets, f"A scale set of the resource group {group.name}")
            scale_sets.delete()
            group.galleries.all().delete()
            group.delete()
    except ProtectedError:
        raise ServiceError(
            "ResourceGroupDeletionBlocked",
            f"The resource group {group.name} holds a load balancer probe or a gallery image "
            "that a scale set in another resource group uses: change that scale set first.",
            status=409,
        ) from None


def require_resource_group(subscription_id: str, name: str) -> ResourceGroup:
    group = (
        ResourceGroup.objects.select_related("subscription")
        .filter(subscription__subscription_id__iexact=subscription_id, name__iexact=name)
        .first()
    )
    if group is None:
        raise not_found(f"Resource group '{name}' could not be found.", "ResourceGroupNotFound")
    return group


def resource_group_for_new_resource(
    subscription: Subscription, name: str, location: str
) -> ResourceGroup:
    """The resource group ``name``, created with the first scale set PUT into it. Concurrent
    PUTs of different scale sets into a new group all get it: the one whose insert loses the
    race (a unique violation, in a savepoint) reads the winner's row."""
    group = ResourceGroup.objects.filter(subscription=subscription, name__iexact=name).first()
    if group is not None:
        return group
    check_name("resourceGroup", name)
    try:
        with transaction.atomic():
            return ResourceGroup.objects.create(
                subscription=subscription, name=name, location=location
            )
    except IntegrityError:
        return ResourceGroup.objects.get(subscription=subscription, name__iexact=name)

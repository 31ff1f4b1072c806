"""Fleets to test and measure on: the demo fleet with its logins, and scale sets of N
instances on the Ubuntu SKU behind a Standard load balancer probe.

Needs Django set up (it imports the models); the rest of ``tests.support`` does not.

    site = Site.build()                                  # westeurope, OLD and NEW published
    web = site.add_scale_set("web", 1_000, zones=ZONES)  # 1,000 VMs on OLD
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from rollout.demo import fleet as demo
from rollout.management.commands.create_demo_operator import DEMO_PASSWORD
from rollout.models import (
    HealthProbe,
    LoadBalancer,
    LoadBalancerSku,
    OsType,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ResourceGroup,
    RoleAssignment,
    ScaleSet,
    Subscription,
)
from rollout.services.access.scopes import Scope
from rollout.services.resource_groups import ensure_subscription
from rollout.services.scale_sets.placement import create_instances

UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-LTS"}
OLD_VERSION = "22.04.202610140"
NEW_VERSION = "22.04.202611110"
# When the tests' catalogue was published (fixed, so tests read the same every day).
PUBLISHED = {
    OLD_VERSION: datetime(2026, 10, 14, tzinfo=UTC),
    NEW_VERSION: datetime(2026, 10, 11, tzinfo=UTC),
}
ZONES = ["1", "2", "3"]
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"

__all__ = [
    "DEMO_PASSWORD",
    "NEW_VERSION",
    "OLD_VERSION",
    "PUBLISHED",
    "UBUNTU",
    "ZONES",
    "Site",
    "add_scale_set",
    "demo_fleet",
    "grant",
    "probe",
    "publish_platform_image",
    "region",
    "resource_group",
]


def demo_fleet(*, password: str = DEMO_PASSWORD, admin: bool = False) -> dict[str, ScaleSet]:
    """The demo fleet (``seed_demo``) and its logins, by scale set name.

    ``operator`` is Owner of the demo subscription (and staff and superuser when ``admin``,
    as ``create_demo_operator`` makes it); ``viewer`` is its Reader. Both log in with
    ``password``.
    """
    demo.seed()
    users = get_user_model()
    operator, _ = users.objects.get_or_create(username="operator")
    operator.is_staff = operator.is_superuser = admin
    operator.set_password(password)
    operator.save()
    viewer, _ = users.objects.get_or_create(username="viewer")
    viewer.set_password(password)
    viewer.save()
    grant(operator, "Owner", f"/subscriptions/{demo.DEMO_SUBSCRIPTION}")
    grant(viewer, "Reader", f"/subscriptions/{demo.DEMO_SUBSCRIPTION}")
    return {s.name: s for s in ScaleSet.objects.filter(resource_group__name="rollwright-demo")}


def grant(user: Any, role: str = "Contributor", scope: str = "/") -> None:
    """Give ``user`` ``role`` at ``scope`` (R1): ``/`` (everywhere, as any operator could act
    before roles), ``/subscriptions/{id}`` (created if new) or ``.../resourceGroups/{name}``.

    Set-up, as the other builders here: the row is written directly, not through the audited
    service, so a test's event log holds only what the test did."""
    where = Scope.parse(scope)
    subscription = group = None
    if where.subscription_id is not None:
        subscription = ensure_subscription(where.subscription_id)
        if where.resource_group is not None:
            group = ResourceGroup.objects.get(
                subscription=subscription, name__iexact=where.resource_group
            )
    RoleAssignment.objects.get_or_create(
        principal=user, role=role, subscription=subscription, resource_group=group
    )


def region(
    name: str = "westeurope",
    *,
    display_name: str = "",
    zones: list[str] = ZONES,
    paired_with: Region | None = None,
) -> Region:
    """The region ``name`` (created when missing), with ``zones``."""
    found, _ = Region.objects.get_or_create(
        name=name,
        defaults={
            "display_name": display_name or name.title(),
            "availability_zones": zones,
            "paired_region": paired_with,
        },
    )
    return found


def publish_platform_image(
    regions: Iterable[Region],
    *,
    image: Mapping[str, str] = UBUNTU,
    versions: Mapping[str, datetime] | Iterable[str] = PUBLISHED,
    supported: bool = True,
    os_type: str = OsType.LINUX,
) -> PlatformImage:
    """A platform image SKU with ``versions`` available in ``regions`` (created when missing);
    ``versions`` maps each to its publication time, or lists them (published 30 days ago)."""
    found, _ = PlatformImage.objects.get_or_create(
        **image, defaults={"automatic_os_upgrade_supported": supported, "os_type": os_type}
    )
    if not isinstance(versions, Mapping):
        versions = dict.fromkeys(versions, timezone.now() - timedelta(days=30))
    places = list(regions)
    for version, published_at in versions.items():
        row, _ = PlatformImageVersion.objects.get_or_create(
            image=found, version=version, defaults={"published_at": published_at}
        )
        row.regions.add(*places)
    return found


def resource_group(
    name: str, *, location: str = "westeurope", subscription_id: str = SUBSCRIPTION
) -> ResourceGroup:
    subscription, _ = Subscription.objects.get_or_create(subscription_id=subscription_id)
    return ResourceGroup.objects.create(subscription=subscription, name=name, location=location)


def probe(
    group: ResourceGroup,
    where: Region,
    *,
    name: str = "lb",
    sku: str = LoadBalancerSku.STANDARD,
    request_path: str = "/health",
) -> HealthProbe:
    """A load balancer ``name`` of ``sku`` with an HTTP probe on port 80."""
    balancer = LoadBalancer.objects.create(resource_group=group, name=name, location=where, sku=sku)
    return HealthProbe.objects.create(
        load_balancer=balancer,
        name="http",
        protocol=ProbeProtocol.HTTP,
        port=80,
        request_path=request_path,
    )


def add_scale_set(
    group: ResourceGroup,
    where: Region,
    name: str,
    capacity: int,
    *,
    zones: list[str] | None = None,
    version: str = OLD_VERSION,
    image: Mapping[str, str] = UBUNTU,
    **fields: Any,
) -> ScaleSet:
    """A scale set of ``capacity`` running VMs on ``version`` of ``image``, spread over
    ``zones`` (regional when empty); ``fields`` are more ScaleSet fields (``health_probe``,
    ``enable_automatic_os_upgrade``...)."""
    scale_set = ScaleSet.objects.create(
        resource_group=group,
        name=name,
        location=where,
        zones=zones if zones is not None else [],
        capacity=capacity,
        image_publisher=image["publisher"],
        image_offer=image["offer"],
        image_sku=image["sku"],
        **fields,
    )
    create_instances(scale_set, capacity, version)
    return scale_set


@dataclass
class Site:
    """What a scale set needs in one region: the region, the Ubuntu SKU published there, a
    resource group and a Standard load balancer probe."""

    region: Region
    resource_group: ResourceGroup
    probe: HealthProbe

    @classmethod
    def build(
        cls,
        *,
        group: str = "rg-site",
        where: str = "westeurope",
        zones: list[str] = ZONES,
        versions: Mapping[str, datetime] | Iterable[str] = (OLD_VERSION, NEW_VERSION),
        subscription_id: str = SUBSCRIPTION,
    ) -> Site:
        """``versions`` listed are published 30 days ago; map them to choose when."""
        place = region(where, zones=zones)
        publish_platform_image([place], versions=versions)
        owner = resource_group(group, location=where, subscription_id=subscription_id)
        return cls(place, owner, probe(owner, place))

    def add_scale_set(
        self, name: str, capacity: int, *, zones: list[str] | None = None, **fields: Any
    ) -> ScaleSet:
        """A scale set of ``capacity`` VMs on OLD_VERSION behind the site's probe."""
        fields.setdefault("health_probe", self.probe)
        return add_scale_set(
            self.resource_group, self.region, name, capacity, zones=zones, **fields
        )

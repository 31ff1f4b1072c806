"""Fixtures for the Django side: a small world everyone knows (STYLE 2.7).

``web10``: 10 VMs in 3 zones behind a Standard load balancer probe, auto-upgrade eligible.
``tiny3``: 3 VMs with no health source. ``demo``: the whole demo fleet (seed_demo).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rollout.demo import fleet as demo_fleet
from rollout.models import (
    HealthProbe,
    LoadBalancer,
    LoadBalancerSku,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ResourceGroup,
    ScaleSet,
    Subscription,
)
from tests.support.fleets import NEW_VERSION, OLD_VERSION, UBUNTU, add_scale_set

__all__ = ["NEW_VERSION", "OLD_VERSION", "UBUNTU"]  # the tests import them from here


@pytest.fixture
def region(db: Any) -> Region:
    pair = Region.objects.create(
        name="northeurope", display_name="North Europe", availability_zones=["1", "2", "3"]
    )
    return Region.objects.create(
        name="westeurope",
        display_name="West Europe",
        availability_zones=["1", "2", "3"],
        paired_region=pair,
    )


@pytest.fixture
def ubuntu(region: Region) -> PlatformImage:
    image = PlatformImage.objects.create(**UBUNTU, automatic_os_upgrade_supported=True)
    for version, day in ((OLD_VERSION, 14), (NEW_VERSION, 11)):
        row = PlatformImageVersion.objects.create(
            image=image, version=version, published_at=datetime(2026, 10, day, tzinfo=UTC)
        )
        row.regions.add(region)
    return image


@pytest.fixture
def resource_group(db: Any) -> ResourceGroup:
    subscription = Subscription.objects.create(
        subscription_id="00000000-0000-0000-0000-000000000001"
    )
    return ResourceGroup.objects.create(
        subscription=subscription, name="rg-test", location="westeurope"
    )


@pytest.fixture
def probe(resource_group: ResourceGroup, region: Region) -> HealthProbe:
    balancer = LoadBalancer.objects.create(
        resource_group=resource_group, name="lb", location=region, sku=LoadBalancerSku.STANDARD
    )
    return HealthProbe.objects.create(
        load_balancer=balancer,
        name="http",
        protocol=ProbeProtocol.HTTP,
        port=80,
        request_path="/health",
    )


@pytest.fixture
def web10(
    resource_group: ResourceGroup, region: Region, ubuntu: PlatformImage, probe: HealthProbe
) -> ScaleSet:
    return add_scale_set(
        resource_group, region, "web10", 10, zones=["1", "2", "3"], health_probe=probe
    )


@pytest.fixture
def tiny3(resource_group: ResourceGroup, region: Region, ubuntu: PlatformImage) -> ScaleSet:
    return add_scale_set(resource_group, region, "tiny3", 3)


@pytest.fixture
def demo(db: Any) -> dict[str, ScaleSet]:
    demo_fleet.seed()
    return {s.name: s for s in ScaleSet.objects.filter(resource_group__name="rollwright-demo")}


def automatic(scale_set: ScaleSet) -> ScaleSet:
    """``scale_set`` with automatic OS upgrade on (E1, through the service): an automatic
    upgrade (``started_by=Platform``) needs it."""
    from rollout.services.scale_sets.updates import enable_auto_upgrade

    enable_auto_upgrade(scale_set, actor="test")
    scale_set.refresh_from_db()
    return scale_set

"""T2: within a region, VMs in different availability zones are never upgraded at the same
time by the same release: one scale set of a region at a time, each going zone by zone."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.models import ReleaseStatus, TargetState
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.publishing import publish_image_version
from rollout.services.releases.triggers import outlook
from tests.rollout.services.releases.fleet import (
    NEW,
    T0,
    UBUNTU,
    Driver,
    Fleet,
    all_done,
    versions_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True


def test_t2_scale_sets_of_one_region_upgrade_one_at_a_time_and_one_zone_at_a_time(
    fleet: Fleet,
) -> None:
    names = {
        "span-6": fleet.add("span-6", "westeurope", 6),
        "zone1-4": fleet.add("zone1-4", "westeurope", 4, zones=["1"]),
        "zone2-4": fleet.add("zone2-4", "westeurope", 4, zones=["2"]),
        "regional-3": fleet.add("regional-3", "westeurope", 3, zones=[]),
    }
    release = publish_image_version(*UBUNTU, NEW, regions=["westeurope"], now=T0).release
    assert release is not None
    driver = Driver()
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    for tick in driver.log:
        assert len(tick.running) <= 1, f"two scale sets of westeurope at {tick.now}"
        zones = {zone for _, _, batch_zones in tick.running for zone in batch_zones}
        assert len(zones) <= 1, f"two zones at once at {tick.now}: {zones}"
    # Smaller scale sets first (fewest instances at risk), then by name.
    order = sorted(names, key=lambda name: driver.started[name])
    assert order == ["regional-3", "zone1-4", "zone2-4", "span-6"]
    for scale_set in names.values():
        assert versions_of(scale_set) == {NEW}


def test_t2_the_next_scale_set_of_the_region_says_whom_it_waits_for(fleet: Fleet) -> None:
    first = fleet.add("a-2", "westeurope", 2)
    second = fleet.add("b-3", "westeurope", 3)
    release = publish_image_version(*UBUNTU, NEW, regions=["westeurope"], now=T0).release
    assert release is not None
    driver = Driver()
    driver.step()
    states = {t.scale_set.name: t.state for t in release.targets.select_related("scale_set")}
    assert states == {"a-2": TargetState.RUNNING, "b-3": TargetState.PENDING}
    waiting = outlook(second, driver.now)
    assert waiting.code == OutlookCode.REGION_BUSY
    assert waiting.why.startswith("T2: a-2 is upgrading to 22.04.202612010 in westeurope")
    assert outlook(first, driver.now).code == OutlookCode.UPGRADING

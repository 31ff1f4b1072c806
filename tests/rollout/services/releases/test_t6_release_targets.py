"""Who a release targets: T6 (never what is already on the version), E4 (never another SKU),
newer versions superseding older releases, and scale sets that join a release later."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.models import (
    Release,
    ReleaseStatus,
    StartedBy,
    TargetState,
)
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.publishing import publish_image_version
from rollout.services.releases.triggers import outlook
from rollout.services.scale_sets.updates import disable_auto_upgrade
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.services.releases.fleet import (
    NEW,
    NEWER,
    OLD,
    T0,
    UBUNTU,
    Driver,
    Fleet,
    all_done,
    target_states,
    versions_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True


def test_t6_an_older_version_is_published_for_manual_upgrades_only(fleet: Fleet) -> None:
    fleet.add("web-4", "westeurope", 4)
    publish_image_version(*UBUNTU, NEW, now=T0)
    older = publish_image_version(*UBUNTU, "22.04.202611010", now=T0)
    assert older.release is None
    assert "not the newest version" in older.message
    assert Release.objects.count() == 1


def test_t6_publishing_again_only_adds_regions_and_extends_the_release(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    fleet.add("eus-3", "eastus", 3)
    first = publish_image_version(*UBUNTU, NEW, regions=["westeurope"], now=T0)
    assert first.release is not None
    assert set(target_states(first.release)) == {"we-2"}
    same = publish_image_version(*UBUNTU, NEW, regions=["westeurope"], now=T0)
    assert (same.created, same.regions_added) == (False, ())
    more = publish_image_version(*UBUNTU, NEW, regions=["eastus"], now=T0)
    assert more.release == first.release and more.regions_added == ("eastus",)
    assert set(target_states(first.release)) == {"we-2", "eus-3"}
    assert first.release.phases.count() == 2  # the new region comes after the others


def test_t6_a_scale_set_upgraded_by_hand_meanwhile_is_skipped(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    manual = fleet.add("ne-5", "northeurope", 5)  # phase 2
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    operation = start_os_upgrade(manual, started_by=StartedBy.USER, now=T0)  # M1, by hand
    driver = Driver(scan=False)
    driver.run(lambda: not operation.__class__.objects.get(pk=operation.pk).is_active)
    driver.scan = True
    driver.run(all_done(release))
    assert target_states(release)["ne-5"] == TargetState.SKIPPED
    assert release.targets.get(scale_set=manual).message == f"T6: already on {NEW}"
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED


def test_a_newer_version_supersedes_the_targets_still_waiting(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    fleet.add("ne-5", "northeurope", 5)
    old_release = publish_image_version(*UBUNTU, NEW, now=T0).release
    newer = publish_image_version(*UBUNTU, NEWER, now=T0).release
    assert old_release is not None and newer is not None
    driver = Driver()
    driver.run(all_done(newer))
    driver.step()
    old_release.refresh_from_db()
    assert set(target_states(old_release).values()) == {TargetState.SUPERSEDED}
    assert old_release.status == ReleaseStatus.SUPERSEDED
    assert set(target_states(newer).values()) == {TargetState.SUCCEEDED}
    assert all(versions_of(t.scale_set) == {NEWER} for t in newer.targets.all())


def test_a_pending_target_whose_auto_upgrade_is_turned_off_is_skipped(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    turned_off = fleet.add("ne-5", "northeurope", 5)
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    turned_off = disable_auto_upgrade(turned_off, reason="freeze")
    Driver().run(all_done(release))
    assert target_states(release)["ne-5"] == TargetState.SKIPPED
    assert versions_of(turned_off) == {OLD}
    assert outlook(turned_off, T0).code == OutlookCode.OFF


def test_a_scale_set_that_starts_following_later_joins_the_release(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    driver = Driver()
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    latecomer = fleet.add("eus-3", "eastus", 3)  # a region the release had no phase for
    assert outlook(latecomer, driver.now).code == OutlookCode.DUE
    driver.run(lambda: versions_of(latecomer) == {NEW})
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    assert [sorted(r.name for r in p.regions.all()) for p in release.phases.order_by("index")] == [
        ["westeurope"],
        ["eastus"],
    ]

"""T4: a scale set on a Compute Gallery image upgrades to its latest version only once that
version is replicated to its region; excludeFromLatest never triggers; a failed replication
triggers nothing there. Replication progresses region by region over (scaled) time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rollout.models import (
    Event,
    EventKind,
    GalleryImage,
    GalleryImageReplica,
    ReleaseKind,
    ReleaseTarget,
    ReplicationState,
    TargetState,
    UpgradeOperation,
)
from rollout.services.gallery.publishing import TargetRegionSpec, publish_gallery_image_version
from rollout.services.gallery.replication import (
    advance_replications,
    fail_replication,
    restart_replication,
)
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.publishing import reconcile_scale_sets
from rollout.services.releases.triggers import outlook
from tests.rollout.services.releases.fleet import GALLERY_OLD, T0, Driver, Fleet, versions_of

pytestmark = pytest.mark.django_db

NEW_GALLERY = "1.2.0"


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True
    settings.ROLLWRIGHT_REPLICATION_SECONDS = 600  # 10 minutes: 10 s at time scale 60


@pytest.fixture
def image(fleet: Fleet) -> GalleryImage:
    return fleet.gallery_image()


def publish(image: GalleryImage, name: str, regions: list[str], **options: Any) -> None:
    publish_gallery_image_version(
        image,
        name,
        "westeurope",
        target_regions=[TargetRegionSpec(region) for region in regions],
        reason="nightly build",
        **options,
    )


def replica(name: str, region: str) -> GalleryImageReplica:
    return GalleryImageReplica.objects.get(version__name=name, region__name=region)


def test_t4_replication_progresses_region_by_region_over_scaled_time(image: GalleryImage) -> None:
    publish(image, NEW_GALLERY, ["westeurope", "eastus", "westus"])
    advance_replications(T0)  # the engine meets the replicas: each gets its schedule
    halfway = advance_replications(T0 + timedelta(seconds=5))
    assert halfway.completed == [] and halfway.progressed == 3
    progress = {
        r.region.name: r.progress
        for r in GalleryImageReplica.objects.filter(version__name=NEW_GALLERY)
    }
    assert all(30 <= value <= 100 for value in progress.values()), progress
    assert len(set(progress.values())) > 1  # regions replicate at their own pace
    finished: list[str] = []
    for second in range(6, 16):
        finished += advance_replications(T0 + timedelta(seconds=second)).completed
    assert len(finished) == 3
    assert set(
        GalleryImageReplica.objects.filter(version__name=NEW_GALLERY).values_list(
            "state", flat=True
        )
    ) == {ReplicationState.COMPLETED}
    assert Event.objects.filter(kind=EventKind.REPLICATION_COMPLETED).count() == 3
    assert Event.objects.get(kind=EventKind.IMAGE_PUBLISHED).reason == "nightly build"  # B7


def test_t4_a_scale_set_upgrades_only_once_the_version_reached_its_region(
    fleet: Fleet, image: GalleryImage
) -> None:
    eastus = fleet.add_follower("gallery-eus", "eastus", 4, image)
    publish(image, NEW_GALLERY, ["westeurope", "eastus"])
    advance_replications(T0)
    advance_replications(T0 + timedelta(seconds=2))
    waiting = outlook(eastus, T0 + timedelta(seconds=2))
    assert waiting.code == OutlookCode.NOT_REPLICATED
    assert waiting.why.startswith(
        f"T4: up to date with {GALLERY_OLD}; {NEW_GALLERY} not replicated to eastus yet ("
    )
    reconcile_scale_sets(None, T0 + timedelta(seconds=2))
    assert not UpgradeOperation.objects.filter(scale_set=eastus).exists()
    complete = replica(NEW_GALLERY, "eastus")
    complete.state, complete.progress, complete.completed_at = (
        ReplicationState.COMPLETED,
        100,
        T0 + timedelta(seconds=3),
    )
    complete.save()
    assert outlook(eastus, T0 + timedelta(seconds=3)).code == OutlookCode.DUE
    reconcile_scale_sets(None, T0 + timedelta(seconds=3))
    target = ReleaseTarget.objects.select_related("release").get(scale_set=eastus)
    assert target.release.kind == ReleaseKind.GALLERY and target.release.version == NEW_GALLERY
    assert target.state == TargetState.RUNNING and target.eligible_at == T0 + timedelta(seconds=3)
    operation = UpgradeOperation.objects.get(scale_set=eastus)
    assert operation.target_image_reference["id"].endswith(f"/versions/{NEW_GALLERY}")


def test_t4_followers_reach_the_version_region_by_region_as_it_replicates(
    fleet: Fleet, image: GalleryImage
) -> None:
    followers = {
        region: fleet.add_follower(f"gallery-{region}", region, 3, image)
        for region in ("westeurope", "eastus", "japaneast")
    }
    publish(image, NEW_GALLERY, list(followers))
    driver = Driver(tick=timedelta(seconds=1))
    done = driver.run(lambda: all(versions_of(s) == {NEW_GALLERY} for s in followers.values()))
    for region, scale_set in followers.items():
        completed_at = replica(NEW_GALLERY, region).completed_at
        assert completed_at is not None
        assert driver.started[scale_set.name] >= completed_at  # never before replication
    assert done <= T0 + timedelta(seconds=60)


def test_t4_a_failed_replication_triggers_nothing_in_its_region(
    fleet: Fleet, image: GalleryImage
) -> None:
    westus = fleet.add_follower("gallery-wus", "westus", 3, image)
    publish(image, NEW_GALLERY, ["westeurope", "westus"])
    advance_replications(T0)
    fail_replication(replica(NEW_GALLERY, "westus"), reason="storage quota")
    failed = outlook(westus, T0)
    assert failed.code == OutlookCode.REPLICATION_FAILED
    assert f"replication of {NEW_GALLERY} to westus failed" in failed.why
    driver = Driver()
    for _ in range(30):
        driver.step()
        driver.now += timedelta(seconds=1)
    assert not UpgradeOperation.objects.filter(scale_set=westus).exists()
    assert versions_of(westus) == {GALLERY_OLD}
    assert Event.objects.get(kind=EventKind.REPLICATION_FAILED).reason == "storage quota"
    # Replicating again makes it eligible once it completes.
    restart_replication(replica(NEW_GALLERY, "westus"))
    driver.run(lambda: versions_of(westus) == {NEW_GALLERY})


def test_t4_a_replication_can_be_made_to_fail_on_reaching_a_percentage(image: GalleryImage) -> None:
    publish(image, NEW_GALLERY, ["eastus"])
    advance_replications(T0)
    fail_replication(replica(NEW_GALLERY, "eastus"), at_percent=50, reason="rehearsal")
    for second in range(1, 20):
        advance_replications(T0 + timedelta(seconds=second))
    failed = replica(NEW_GALLERY, "eastus")
    assert (failed.state, failed.progress) == (ReplicationState.FAILED, 50)


def test_t4_a_version_excluded_from_latest_never_rolls_out(
    fleet: Fleet, image: GalleryImage
) -> None:
    follower = fleet.add_follower("gallery-we", "westeurope", 3, image)
    publish(image, "1.3.0", ["westeurope"], exclude_from_latest=True)
    driver = Driver(tick=timedelta(seconds=1))
    for _ in range(30):
        driver.step()
        driver.now += timedelta(seconds=1)
    assert replica("1.3.0", "westeurope").state == ReplicationState.COMPLETED
    assert not UpgradeOperation.objects.filter(scale_set=follower).exists()
    assert outlook(follower, driver.now).code == OutlookCode.UP_TO_DATE
    assert versions_of(follower) == {GALLERY_OLD}


def test_t4_a_region_the_version_is_not_replicated_to_says_so(
    fleet: Fleet, image: GalleryImage
) -> None:
    follower = fleet.add_follower("gallery-jw", "japanwest", 3, image)
    publish(image, NEW_GALLERY, ["westeurope"])
    assert outlook(follower, T0).why == (
        f"T4: up to date with {GALLERY_OLD}; {NEW_GALLERY} is not replicated to japanwest "
        "(not a target region)."
    )

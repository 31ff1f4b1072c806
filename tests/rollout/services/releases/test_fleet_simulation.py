"""The whole demo fleet: publish one Ubuntu version and watch every eligible scale set reach it
in a valid order (T1 phases, geo pairs apart, T2 one scale set per region), with Azure's
default delays (T5), while the gallery follower waits for its replication (T4). No instance is
left on the old version."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.demo import fleet as demo_fleet
from rollout.models import (
    Release,
    ReleaseKind,
    ReleaseStatus,
    ReplicationState,
    ScaleSet,
    TargetState,
)
from rollout.services import ExtensionSpec, update_scale_set_model
from rollout.services.releases.publishing import publish_image_version
from rollout.services.scale_sets.instances import manual_upgrade_instances
from tests.rollout.services.releases.fleet import UBUNTU, Driver, versions_of

pytestmark = pytest.mark.django_db

DECEMBER = "22.04.202612090"
FOLLOWERS = ("solo-1", "api-5", "batch-6", "app-100", "fleet-1000", "jobs-sas")


@pytest.fixture
def fleet(settings: Any) -> dict[str, ScaleSet]:
    settings.ROLLWRIGHT_REPLICATION_SECONDS = 600
    demo_fleet.seed()
    return {s.name: s for s in ScaleSet.objects.filter(resource_group__name="rollwright-demo")}


def renew_jobs_sas(scale_set: ScaleSet) -> None:
    """U9 first: the demo's jobs-sas has an expired SAS token; an operator renews it."""
    extension = scale_set.extensions.get(name="CustomScript")
    spec = ExtensionSpec(
        name=extension.name,
        publisher=extension.publisher,
        extension_type=extension.extension_type,
        type_handler_version=extension.type_handler_version,
        settings=extension.settings,
        credential_expires_at=timezone.now() + timedelta(days=365),
    )
    scale_set = update_scale_set_model(scale_set, {}, extensions=[spec])
    manual_upgrade_instances(
        scale_set, list(scale_set.instances.values_list("instance_id", flat=True))
    )


def test_publishing_one_version_rolls_the_whole_demo_fleet_region_by_region(
    fleet: dict[str, ScaleSet],
) -> None:
    renew_jobs_sas(fleet["jobs-sas"])
    start = timezone.now()
    published = publish_image_version(*UBUNTU, DECEMBER, reason="December", now=start)
    release = published.release
    assert release is not None
    assert [sorted(r.name for r in p.regions.all()) for p in release.phases.order_by("index")] == [
        ["westeurope"],
        ["japanwest", "northeurope"],
        ["eastus", "japaneast"],
        ["westus"],
    ]
    assert sorted(t.scale_set.name for t in release.targets.all()) == sorted(FOLLOWERS)

    def everyone_there() -> bool:
        gallery_done = versions_of(fleet["gallery-web"]) == {"1.2.0"}
        return gallery_done and all(versions_of(fleet[name]) == {DECEMBER} for name in FOLLOWERS)

    driver = Driver(now=start, tick=timedelta(seconds=4))  # checks T1 and T2 every tick
    driver.run(everyone_there, limit=600)
    driver.run(lambda: Release.objects.get(pk=release.pk).status != ReleaseStatus.ROLLING)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    assert {t.state for t in release.targets.all()} == {TargetState.SUCCEEDED}

    # A valid order: each phase after the one before, the first a single small region.
    first = driver.started
    assert first["solo-1"] < min(first["jobs-sas"], first["api-5"])
    assert max(first["jobs-sas"], first["api-5"]) < min(first["batch-6"], first["fleet-1000"])
    assert max(first["batch-6"], first["fleet-1000"]) < first["app-100"]
    # T5: each phase waited 30-60 (scaled) minutes after it became eligible.
    assert first["solo-1"] - start >= timedelta(minutes=30) / 60

    # T4: gallery-web moved to 1.2.0 only once it was replicated to eastus; 1.3.0 is excluded
    # from latest and westus's replica failed, so nothing else moved.
    eastus = (
        fleet["gallery-web"]
        .gallery_image.versions.get(name="1.2.0")
        .replicas.get(  # type: ignore[union-attr]
            region__name="eastus"
        )
    )
    assert eastus.state == ReplicationState.COMPLETED and eastus.completed_at is not None
    assert first["gallery-web"] >= eastus.completed_at
    assert Release.objects.get(kind=ReleaseKind.GALLERY).version == "1.2.0"

    # Untouched: auto-upgrade off, refused by E2, or another SKU (E4).
    for name in ("web-10", "win-iis", "legacy-noprobe", "centos-6", "sf-silver"):
        assert name not in first, name

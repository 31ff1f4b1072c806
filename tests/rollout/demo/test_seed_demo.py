"""seed_demo: a fleet that shows off every rule, idempotent, fast on 1,000 instances."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from rollout.demo import fleet as demo_fleet
from rollout.models import (
    GalleryImageVersion,
    Instance,
    PlatformImage,
    Region,
    ReplicationState,
    ScaleSet,
)
from rollout.services import auto_upgrade_refusal
from rollout.services.gallery.images import latest_available_version

pytestmark = pytest.mark.django_db


def test_seed_builds_six_regions_in_three_azure_geo_pairs(demo):
    pairs = {r.name: r.paired_region.name for r in Region.objects.select_related("paired_region")}
    assert pairs == {
        "westeurope": "northeurope",
        "northeurope": "westeurope",
        "eastus": "westus",
        "westus": "eastus",
        "japaneast": "japanwest",
        "japanwest": "japaneast",
    }
    assert {tuple(r.availability_zones) for r in Region.objects.all()} == {("1", "2", "3")}


def test_seed_has_the_promised_scale_set_sizes(demo):
    sizes = {name: s.instances.count() for name, s in demo.items()}
    assert {1, 5, 6, 10, 100, 1000} <= set(sizes.values())
    assert Counter(demo["web-10"].instances.values_list("zone", flat=True)) == {
        "1": 4,
        "2": 3,
        "3": 3,
    }
    assert set(demo["app-100"].instances.values_list("update_domain", flat=True)) == {0, 1, 2, 3, 4}
    assert set(demo["app-100"].instances.values_list("zone", flat=True)) == {""}


def test_seed_every_auto_upgrade_scale_set_obeys_e2(demo):
    enabled = [s for s in demo.values() if s.enable_automatic_os_upgrade]
    assert len(enabled) >= 6
    for scale_set in enabled:
        assert auto_upgrade_refusal(scale_set) is None, scale_set.name


def test_seed_shows_each_refusal(demo):
    for name, words in [
        ("win-iis", "enableAutomaticUpdates"),
        ("legacy-noprobe", "health probe or health extension"),
        ("centos-6", "does not support automatic OS upgrade"),
    ]:
        refusal = auto_upgrade_refusal(demo[name])
        assert refusal is not None and words in refusal.message, name
    assert demo["sf-silver"].service_fabric_cluster_durability == "Silver"
    assert demo["jobs-sas"].extensions.get().credential_expires_at is not None


def test_seed_leaves_the_newest_platform_version_to_roll_out(demo):
    scale_set = demo["web-10"]
    newest = latest_available_version(scale_set)
    assert newest is not None
    on_instances = set(
        Instance.objects.filter(scale_set=scale_set).values_list(
            "os_disk__image_version", flat=True
        )
    )
    assert len(on_instances) == 1 and newest.version not in on_instances
    assert PlatformImage.objects.filter(automatic_os_upgrade_supported=False).count() >= 3


def test_seed_gallery_is_replicated_to_some_regions_and_excludes_one_version(demo):
    versions = {v.name: v for v in GalleryImageVersion.objects.prefetch_related("replicas__region")}
    assert versions["1.3.0"].exclude_from_latest is True
    replicated = {
        r.region.name
        for r in versions["1.2.0"].replicas.all()
        if r.state == ReplicationState.COMPLETED
    }
    assert replicated == {"westeurope", "northeurope"}
    # T4: eastus has 1.2.0 still replicating, so its latest is 1.1.0; 1.3.0 is excluded.
    gallery_web = demo["gallery-web"]
    resolved = latest_available_version(gallery_web)
    assert resolved is not None and resolved.version == "1.1.0"


def test_seed_is_idempotent_and_reset_starts_over(demo):
    counts = (ScaleSet.objects.count(), Instance.objects.count())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already seeded" in out.getvalue()
    assert (ScaleSet.objects.count(), Instance.objects.count()) == counts
    ScaleSet.objects.filter(name="web-10").update(capacity=3)
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert (ScaleSet.objects.count(), Instance.objects.count()) == counts
    assert ScaleSet.objects.get(name="web-10").capacity == 10


def test_seed_takes_seconds_not_minutes(db, django_assert_max_num_queries):
    # A constant number of queries, whatever the instance count: bulk writes only.
    with django_assert_max_num_queries(400):
        demo_fleet.seed()
    assert Instance.objects.count() > 1100

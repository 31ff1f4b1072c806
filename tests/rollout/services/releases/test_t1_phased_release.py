"""T1: platform images roll out availability-first, in phases of regions; geo pairs apart; a
phase starts only when the previous one upgraded successfully; a fault stops the release."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.releases.phases import RegionLoad, plan_phases
from rollout.models import (
    Event,
    EventKind,
    FaultKind,
    FaultRule,
    ReleaseStatus,
    TargetState,
    UpgradeOperation,
)
from rollout.services import wakeups
from rollout.services.releases.publishing import (
    publish_image_version,
    reconcile_release,
    reconcile_scale_sets,
    resume_release,
)
from tests.rollout.services.releases.fleet import (
    NEW,
    PAIRS,
    T0,
    UBUNTU,
    Driver,
    Fleet,
    all_done,
    target_states,
    versions_of,
)

pytestmark = pytest.mark.django_db

PAIR_OF = {a: b for a, b in PAIRS} | {b: a for a, b in PAIRS}
DEMO_LOADS = [
    RegionLoad("westeurope", "northeurope", 1),
    RegionLoad("japanwest", "japaneast", 4),
    RegionLoad("northeurope", "westeurope", 5),
    RegionLoad("eastus", "westus", 6),
    RegionLoad("westus", "eastus", 100),
    RegionLoad("japaneast", "japanwest", 1000),
]


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True


def six_region_fleet(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    fleet.add("ne-5", "northeurope", 5)
    fleet.add("eus-6", "eastus", 6)
    fleet.add("wus-7", "westus", 7, zones=[])
    fleet.add("je-8", "japaneast", 8)
    fleet.add("jw-3", "japanwest", 3)


def test_t1_phases_start_small_grow_and_keep_geo_pairs_apart() -> None:
    assert plan_phases(DEMO_LOADS) == [
        ("westeurope",),
        ("japanwest", "northeurope"),
        ("eastus", "japaneast"),
        ("westus",),
    ]


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(PAIR_OF)), st.integers(1, 2_000)),
        unique_by=lambda item: item[0],
        min_size=1,
    )
)
def test_t1_every_region_gets_one_phase_and_no_phase_holds_a_pair(
    regions: list[tuple[str, int]],
) -> None:
    phases = plan_phases([RegionLoad(name, PAIR_OF[name], count) for name, count in regions])
    planned = [name for phase in phases for name in phase]
    assert sorted(planned) == sorted(name for name, _ in regions)
    assert len(phases[0]) == 1  # availability first: the first phase is one region
    for number, phase in enumerate(phases):
        assert len(phase) <= 2**number
        assert not any(PAIR_OF[name] in phase for name in phase)


def test_t1_publishing_plans_phases_over_the_regions_whose_scale_sets_use_the_sku(
    fleet: Fleet,
) -> None:
    six_region_fleet(fleet)
    fleet.add("we-off", "westeurope", 3, auto=False)  # E1: auto-upgrade off: not a target
    fleet.add("ne-18", "northeurope", 2, sku="18.04-LTS")  # E4: another SKU: never a target
    fleet.add("jw-new", "japanwest", 2, version=NEW)  # T6: already on it: not a target
    published = publish_image_version(*UBUNTU, NEW, reason="December image", actor="alice", now=T0)
    release = published.release
    assert release is not None and release.status == ReleaseStatus.ROLLING
    phases = [
        sorted(r.name for r in phase.regions.all()) for phase in release.phases.order_by("index")
    ]
    assert phases == [
        ["westeurope"],
        ["japanwest", "northeurope"],
        ["eastus", "japaneast"],
        ["westus"],
    ]
    assert set(target_states(release)) == {"we-2", "ne-5", "eus-6", "wus-7", "je-8", "jw-3"}
    assert release.phases.get(index=0).started_at is not None  # phase 1 starts at once
    assert not release.phases.filter(index__gt=0, started_at__isnull=False).exists()
    assert "phase 1: westeurope; phase 2: japanwest, northeurope" in published.message
    # B7: who published, and why.
    event = Event.objects.get(kind=EventKind.IMAGE_PUBLISHED)
    assert (event.actor_name, event.reason, event.data["version"]) == (
        "alice",
        "December image",
        NEW,
    )
    assert event.data["phases"] == phases


def test_t1_phases_run_one_after_another_and_every_instance_reaches_the_version(
    fleet: Fleet,
) -> None:
    six_region_fleet(fleet)
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    driver = Driver()  # asserts T1 (phases in order, pairs apart) and T2 after every tick
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    assert set(target_states(release).values()) == {TargetState.SUCCEEDED}
    for scale_set in release.targets.all():
        assert versions_of(scale_set.scale_set) == {NEW}
    starts = driver.started
    assert starts["we-2"] < min(starts["jw-3"], starts["ne-5"])
    assert max(starts["jw-3"], starts["ne-5"]) < min(starts["eus-6"], starts["je-8"])
    assert max(starts["eus-6"], starts["je-8"]) < starts["wus-7"]
    phase_events = Event.objects.filter(kind=EventKind.RELEASE_PHASE_STARTED)
    assert [event.data["phase"] for event in phase_events] == [1, 2, 3, 4]


def test_t1_a_faulted_upgrade_stops_the_release_and_says_why(fleet: Fleet) -> None:
    six_region_fleet(fleet)
    broken = fleet.add("jw-broken", "japanwest", 1)  # phase 2, with northeurope
    FaultRule.objects.create(  # healthy on the old image, never on the new one
        scale_set=broken, kind=FaultKind.NEVER_HEALTHY, image_version=NEW, created_at=timezone.now()
    )
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    driver = Driver()

    def stopped() -> bool:
        release.refresh_from_db()
        return (
            release.status == ReleaseStatus.STOPPED
            and not release.targets.filter(state=TargetState.RUNNING).exists()
        )

    driver.run(stopped)
    states = target_states(release)
    assert states["jw-broken"] == TargetState.FAILED
    assert states["we-2"] == TargetState.SUCCEEDED
    # Phase 3 and 4 never started: their scale sets are still on the old version.
    for name in ("eus-6", "je-8", "wus-7"):
        assert states[name] == TargetState.PENDING
        assert name not in driver.started
    assert release.phases.get(index=2).started_at is None
    reason = release.status_reason
    assert "jw-broken (japanwest, phase 2)" in reason
    assert "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade" in reason
    stop = Event.objects.get(kind=EventKind.RELEASE_STOPPED)
    assert stop.scale_set == broken

    # The operator fixes the cause and resumes: the failed scale set is retried, then the rest.
    FaultRule.objects.filter(scale_set=broken).delete()
    resume_release(release, actor="bob", reason="probe fixed")
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    assert set(target_states(release).values()) == {TargetState.SUCCEEDED}
    assert versions_of(broken) == {NEW}


def test_t1_the_end_of_an_upgrade_starts_the_next_phase_in_the_same_pass(
    fleet: Fleet, django_capture_on_commit_callbacks: Any
) -> None:
    """Event-driven: the upgrade's end enqueues the trigger for its scale set, and that one
    pass settles it, completes phase 1, starts phase 2 and its upgrade."""

    first = fleet.add("we-2", "westeurope", 2)
    fleet.add("ne-3", "northeurope", 3)
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    assert reconcile_release(release.pk, T0).started == ["we-2"]
    driver = Driver(scan=False)
    operation = UpgradeOperation.objects.get(scale_set=first)
    with (
        mock.patch.object(wakeups, "send") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        driver.run(lambda: not UpgradeOperation.objects.get(pk=operation.pk).is_active)
    assert (wakeups.RECONCILE, (None, [first.pk]), None) in [
        call.args for call in enqueue.call_args_list
    ]
    passed = reconcile_scale_sets([first.pk], driver.now)[release.pk]
    assert (passed.ended, passed.phases_started, passed.started) == (["we-2"], [1], ["ne-3"])

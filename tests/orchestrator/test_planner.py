from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from builders import NEW, OLD, policy, vm, web10, with_vm
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.model import InstanceView
from orchestrator.planner import batch_size_for, plan_batches


def regional(count: int, update_domains: int = 1) -> list[InstanceView]:
    return [vm(str(n), update_domain=n % update_domains) for n in range(count)]


def zonal(count: int, zones: int, update_domains: int) -> list[InstanceView]:
    return [
        vm(str(n), zone=str(n % zones + 1), update_domain=(n // zones) % update_domains)
        for n in range(count)
    ]


def test_u2_batch_is_at_most_20_percent_of_total() -> None:
    plan = plan_batches(regional(10), policy(), NEW)
    assert [len(batch.instance_ids) for batch in plan.batches] == [2, 2, 2, 2, 2]
    assert plan.batch_size == 2
    assert plan.reasons[0].startswith("U2: 10 of 10 instances to upgrade in 5 batches")


def test_u2_five_or_fewer_instances_upgrade_one_per_batch() -> None:
    plan = plan_batches(regional(5), policy(max_batch_instance_percent=100), NEW)
    assert [batch.instance_ids for batch in plan.batches] == [
        ("0",),
        ("1",),
        ("2",),
        ("3",),
        ("4",),
    ]
    assert "one per batch" in plan.reasons[0]


def test_u2_batch_size_is_counted_on_the_total_including_skipped_instances() -> None:
    instances = regional(10)
    for instance_id in ("3", "7"):
        instances = with_vm(instances, instance_id, image=NEW)
    plan = plan_batches(instances, policy(), NEW)
    assert plan.batch_size == 2
    assert [batch.instance_ids for batch in plan.batches] == [
        ("0", "1"),
        ("2", "4"),
        ("5", "6"),
        ("8", "9"),
    ]


def test_u2_at_least_one_instance_per_batch() -> None:
    assert batch_size_for(7, 5) == 1
    assert batch_size_for(19, 5) == 1
    assert batch_size_for(20, 5) == 1
    assert batch_size_for(40, 5) == 2


def test_t2_batch_never_spans_zones() -> None:
    plan = plan_batches(web10(), policy(), NEW)
    assert [batch.instance_ids for batch in plan.batches] == [
        ("0", "3"),
        ("6", "9"),
        ("1", "4"),
        ("7",),
        ("2", "5"),
        ("8",),
    ]
    assert [batch.zones for batch in plan.batches] == [
        ("1",),
        ("1",),
        ("2",),
        ("2",),
        ("3",),
        ("3",),
    ]
    assert "T2: zones one after another (1, 2, 3); no batch spans two zones" in plan.reasons


def test_t2_enable_cross_zone_upgrade_lets_batches_span_zones() -> None:
    plan = plan_batches(web10(), policy(enable_cross_zone_upgrade=True), NEW)
    assert [batch.instance_ids for batch in plan.batches] == [
        ("0", "1"),
        ("2", "3"),
        ("4", "5"),
        ("6", "7"),
        ("8", "9"),
    ]
    assert plan.batches[0].zones == ("1", "2")
    assert "T2: enableCrossZoneUpgrade: a batch may span zones" in plan.reasons


def test_t3_batch_stays_in_one_update_domain() -> None:
    plan = plan_batches(regional(20, update_domains=5), policy(), NEW)
    assert plan.batch_size == 4
    for batch in plan.batches:
        assert {int(i) % 5 for i in batch.instance_ids} == {batch.update_domain}
    assert [batch.update_domain for batch in plan.batches] == [0, 1, 2, 3, 4]
    assert "T3: every batch stays inside one update domain (5 update domains)" in plan.reasons


def test_t3_cross_zone_upgrade_still_respects_update_domains() -> None:
    plan = plan_batches(zonal(30, 3, 5), policy(enable_cross_zone_upgrade=True), NEW)
    for batch in plan.batches:
        assert len({(int(i) // 3) % 5 for i in batch.instance_ids}) == 1


def test_t2_t3_thousand_instances_in_3_zones_and_5_update_domains() -> None:
    plan = plan_batches(zonal(1000, 3, 5), policy(), NEW)
    assert plan.batch_size == 200
    assert len(plan.batches) == 15
    assert all(len(batch.instance_ids) <= 200 for batch in plan.batches)
    assert [batch.zones[0] for batch in plan.batches] == ["1"] * 5 + ["2"] * 5 + ["3"] * 5


def test_t6_instances_on_target_are_skipped() -> None:
    instances = with_vm(web10(), "4", image=NEW)
    plan = plan_batches(instances, policy(), NEW)
    assert plan.skipped == ("4",)
    assert all("4" not in batch.instance_ids for batch in plan.batches)
    assert f"T6: 1 instances already on {NEW} are skipped: 4" in plan.reasons


def test_prioritize_unhealthy_instances_go_first() -> None:
    plan = plan_batches(
        web10(), policy(prioritize_unhealthy_instances=True), NEW, unhealthy_ids={"5", "8", "9"}
    )
    assert [batch.instance_ids for batch in plan.batches[:3]] == [("9",), ("5", "8"), ("0", "3")]
    assert (
        "U2: prioritizeUnhealthyInstances: 3 unhealthy instances go first: 5, 8, 9" in plan.reasons
    )


def test_unhealthy_instances_are_not_reordered_without_prioritize_unhealthy_instances() -> None:
    plan = plan_batches(web10(), policy(), NEW, unhealthy_ids={"5"})
    assert plan.batches[0].instance_ids == ("0", "3")


def test_max_surge_is_planned_in_place_with_a_reason() -> None:
    plan = plan_batches(web10(), policy(max_surge=True), NEW)
    assert "U3: maxSurge is not supported: instances are upgraded in place" in plan.reasons


def test_b1_expected_duration_counts_batches_and_pauses() -> None:
    plan = plan_batches(regional(10), policy(pause_time_between_batches=timedelta(minutes=2)), NEW)
    chosen = policy(pause_time_between_batches=timedelta(minutes=2))
    duration = plan.expected_duration(timedelta(seconds=60), timedelta(seconds=20), chosen)
    assert duration == 5 * timedelta(seconds=80) + 4 * timedelta(minutes=2)
    empty = plan_batches(regional(3, 1), policy(), OLD)
    assert empty.expected_duration(timedelta(60), timedelta(20), chosen) == timedelta(0)


def test_long_id_lists_in_reasons_are_shortened() -> None:
    instances = [vm(str(n), image=NEW) for n in range(50)] + [vm("50")]
    plan = plan_batches(instances, policy(), NEW)
    assert any(reason.endswith("… and 40 more") for reason in plan.reasons)


def test_planning_10000_instances_does_no_quadratic_work() -> None:
    """A loose guard only; bench/ measures the real time."""
    instances = zonal(10_000, 3, 5)
    started = time.perf_counter()
    plan = plan_batches(instances, policy(), NEW)
    assert time.perf_counter() - started < 2.0
    assert sum(len(batch.instance_ids) for batch in plan.batches) == 10_000


@st.composite
def scale_sets(draw: st.DrawFn) -> tuple[list[InstanceView], set[str], int, bool]:
    count = draw(st.integers(min_value=0, max_value=120))
    zones = draw(st.integers(min_value=0, max_value=3))
    update_domains = draw(st.integers(min_value=1, max_value=5))
    on_target = draw(st.sets(st.integers(min_value=0, max_value=max(count - 1, 0))))
    percent = draw(st.integers(min_value=5, max_value=100))
    cross_zone = draw(st.booleans())
    instances = [
        vm(
            str(n),
            zone=str(draw(st.integers(1, zones))) if zones else None,
            update_domain=draw(st.integers(0, update_domains - 1)),
            image=NEW if n in on_target else OLD,
        )
        for n in range(count)
    ]
    return instances, {str(n) for n in on_target if n < count}, percent, cross_zone


@settings(max_examples=150, deadline=None)
@given(scale_sets(), st.booleans(), st.sets(st.integers(0, 119), max_size=10))
def test_plan_properties_hold_for_any_scale_set(
    case: tuple[list[InstanceView], set[str], int, bool],
    prioritize: bool,
    unhealthy: set[int],
) -> None:
    instances, on_target, percent, cross_zone = case
    chosen = policy(
        max_batch_instance_percent=percent,
        enable_cross_zone_upgrade=cross_zone,
        prioritize_unhealthy_instances=prioritize,
    )
    plan = plan_batches(instances, chosen, NEW, unhealthy_ids={str(n) for n in unhealthy})
    by_id = {view.instance_id: view for view in instances}
    total = len(instances)
    limit = 1 if total <= 5 else max(1, total * percent // 100)
    planned = Counter(i for batch in plan.batches for i in batch.instance_ids)
    # T6: exactly the instances on the target are skipped, and every other one is planned once.
    assert set(plan.skipped) == on_target
    assert set(planned) == set(by_id) - on_target
    assert all(count == 1 for count in planned.values())
    for index, batch in enumerate(plan.batches):
        assert batch.index == index
        assert 1 <= len(batch.instance_ids) <= limit  # U2
        assert len({by_id[i].update_domain for i in batch.instance_ids}) == 1  # T3
        zones = {by_id[i].zone for i in batch.instance_ids}
        assert cross_zone or len(zones) == 1  # T2
        assert batch.zones == tuple(sorted(z for z in zones if z is not None))


def test_protected_instances_are_planned_as_skipped_with_a_reason():
    """protectFromScaleSetActions: Azure leaves the VM out of OS upgrades."""
    from dataclasses import replace

    instances = [replace(view, protected=view.instance_id in {"2", "7"}) for view in regional(10)]
    plan = plan_batches(instances, policy(), NEW)
    assert {"2", "7"} <= set(plan.skipped)
    assert all("2" not in b.instance_ids and "7" not in b.instance_ids for b in plan.batches)
    assert any(r.startswith("Instance protection: 2 instances") for r in plan.reasons)

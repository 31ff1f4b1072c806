"""Fleet scale: a step's scoped snapshot (engine.step_snapshot) decides as the full one, step
after step of real rollouts on rows, with faults; its census of unsettled health is exact; the
operation's progress counts stay those of every row; a step's queries do not grow with the
scale set."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orchestrator.engine import step
from orchestrator.health import instance_health
from orchestrator.model import count_progress
from rollout.engine.provider import DatabaseComputeProvider
from rollout.engine.snapshots import load_snapshot, progress_of
from rollout.engine.step_snapshot import load_step_state
from rollout.models import (
    FaultKind,
    FaultRule,
    HealthProbe,
    Instance,
    PlatformImage,
    Region,
    ResourceGroup,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.stepping import advance_once
from tests.rollout.conftest import automatic
from tests.support.fleets import add_scale_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 600.0


def compare_full_and_scoped(operation: UpgradeOperation, now: datetime) -> int:
    """One step: the decisions of the full and the scoped snapshot are equal, the census
    leaves out only healthy instances; returns how many instances the scoped one carried."""
    with transaction.atomic():
        operation = UpgradeOperation.objects.select_related("scale_set").get(pk=operation.pk)
        provider = DatabaseComputeProvider(operation.scale_set)
        full, _, _ = load_snapshot(operation, provider, now)
        state = load_step_state(operation, now)
        assert step(state.snapshot, now) == step(full, now)
        if state.snapshot.rest is not None:
            carried = {view.instance_id for view in state.snapshot.instances}
            for view in full.instances:
                if view.instance_id not in carried:
                    assert instance_health(view, full.health_source, now).is_healthy, view
        return len(state.snapshot.instances)


def run_comparing(operation: UpgradeOperation, max_steps: int = 400) -> list[int]:
    now = timezone.now()
    carried = []
    for _ in range(max_steps):
        carried.append(compare_full_and_scoped(operation, now))
        recheck = advance_once(operation.pk, now)
        operation.refresh_from_db()
        rows = {row.instance_id: row for row in operation.instance_upgrades.all()}
        index = {batch.pk: batch.index for batch in operation.batches.all()}
        counts = count_progress(progress_of(row, index) for row in rows.values())
        assert operation.successful_instance_count == counts.successful
        assert operation.failed_instance_count == counts.failed
        assert operation.pending_instance_count == counts.pending
        assert operation.in_progress_instance_count == counts.in_progress
        assert operation.rolled_back_instance_count == counts.rolled_back
        if not operation.is_active or recheck is None:
            return carried
        now = max(now, recheck)
    raise AssertionError("the upgrade did not end")


@pytest.fixture
def zonal40(
    resource_group: ResourceGroup, region: Region, ubuntu: PlatformImage, probe: HealthProbe
) -> ScaleSet:
    scale_set = add_scale_set(
        resource_group, region, "zonal40", 40, zones=["1", "2", "3"], health_probe=probe
    )
    return automatic(scale_set)


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"kind": FaultKind.NEVER_HEALTHY, "share": 0.1}],
        [{"kind": FaultKind.NEVER_HEALTHY, "instance_ids": [4, 17]}],
        [{"kind": FaultKind.UNHEALTHY_AFTER, "seconds": 200, "instance_ids": [30, 31]}],
        [{"kind": FaultKind.EXTENSION_FAILS, "zone": "2", "share": 0.2}],
        [{"kind": FaultKind.ROLLBACK_FAILS, "share": 0.3}, {"kind": FaultKind.NEVER_HEALTHY}],
    ],
    ids=["healthy", "share", "ids", "down-later", "zone", "everything-fails"],
)
def test_u5_u7_scoped_step_decides_as_the_full_one(zonal40: ScaleSet, rules: list[dict]) -> None:
    for fields in rules:
        FaultRule.objects.create(scale_set=zonal40, created_at=timezone.now(), **fields)
    operation = start_os_upgrade(zonal40, started_by=StartedBy.PLATFORM)
    carried = run_comparing(operation)
    assert operation.status in {"Completed", "Faulted"}
    assert max(carried[1:], default=0) < 40 or rules


def test_u7_a_deallocated_vm_outside_the_batches_counts_as_unhealthy(zonal40: ScaleSet) -> None:
    Instance.objects.filter(scale_set=zonal40, instance_id__in=[38, 39]).update(
        power_state="deallocated"
    )
    operation = start_os_upgrade(zonal40, started_by=StartedBy.PLATFORM)
    run_comparing(operation)


def test_u8_no_health_source_scoped_step_decides_as_the_full_one(tiny3: ScaleSet) -> None:
    operation = start_os_upgrade(tiny3)
    run_comparing(operation)
    assert operation.status == "Completed"


def test_step_queries_do_not_grow_with_the_scale_set(
    resource_group: ResourceGroup, region: Region, ubuntu: PlatformImage, probe: HealthProbe
) -> None:
    """A step after the plan costs the same queries at 20 and at 100 instances."""
    counts = []
    for capacity in (20, 100):
        scale_set = automatic(
            add_scale_set(
                resource_group, region, f"q{capacity}", capacity, zones=["1"], health_probe=probe
            )
        )
        operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM)
        now = timezone.now()
        advance_once(operation.pk, now)  # the plan: every instance, once
        per_step = []
        for _ in range(6):
            with CaptureQueriesContext(connection) as captured:
                recheck = advance_once(operation.pk, now)
            per_step.append(len(captured.captured_queries))
            now = max(now, recheck or now)
        counts.append(max(per_step))
    assert counts[0] == counts[1]

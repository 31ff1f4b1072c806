"""The Celery task's step: one engine step per call, applied to rows in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rollout.models import (
    DataDisk,
    DiskState,
    FaultKind,
    FaultRule,
    InstanceUpgrade,
    OsDisk,
    RunningStatus,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import NEW_VERSION, automatic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


def run_to_end(operation: UpgradeOperation, start: datetime, max_steps: int = 500) -> datetime:
    now = start
    for _ in range(max_steps):
        recheck = advance_once(operation.pk, now)
        operation.refresh_from_db()
        if not operation.is_active or recheck is None:
            return now
        now = max(now, recheck)
    raise AssertionError("the upgrade did not end")


def test_a_10_instance_rollout_completes_on_the_new_image(web10):
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    run_to_end(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    assert operation.successful_instance_count == 10
    assert (operation.failed_instance_count, operation.pending_instance_count) == (0, 0)
    versions = set(web10.instances.values_list("os_disk__image_version", flat=True))
    assert versions == {NEW_VERSION}
    assert not OsDisk.objects.filter(state=DiskState.KEPT_FOR_ROLLBACK).exists()


def test_u3_reimage_keeps_data_disks(web10):
    before = dict(DataDisk.objects.values_list("pk", "checksum"))
    operation = start_os_upgrade(web10)
    run_to_end(operation, timezone.now())
    assert dict(DataDisk.objects.values_list("pk", "checksum")) == before


def test_u4_a_never_healthy_vm_is_rolled_back_to_its_previous_disk(web10):
    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[3], created_at=timezone.now()
    )
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    run_to_end(operation, timezone.now())
    assert operation.rolled_back_instance_count == 1
    row = InstanceUpgrade.objects.get(operation=operation, instance__instance_id=3)
    assert row.state == "rolled_back"
    assert row.failure_reason.startswith("U4")
    instance = web10.instances.select_related("os_disk").get(instance_id=3)
    assert instance.os_disk == row.old_os_disk and instance.image_version != NEW_VERSION


def test_m1_manual_upgrade_keeps_the_new_disk_of_a_failing_vm(web10):
    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[3], created_at=timezone.now()
    )
    operation = start_os_upgrade(web10, started_by=StartedBy.USER)
    run_to_end(operation, timezone.now())
    row = InstanceUpgrade.objects.get(operation=operation, instance__instance_id=3)
    assert row.state == "failed"
    assert web10.instances.select_related("os_disk").get(instance_id=3).image_version == NEW_VERSION
    assert operation.rolled_back_instance_count == 0


def test_u9_expired_credentials_fail_the_first_batch_and_the_upgrade(web10):
    from rollout.services import ExtensionSpec, update_scale_set_model

    expired = timezone.now() - timedelta(days=1)
    update_scale_set_model(
        web10,
        {},
        extensions=[
            ExtensionSpec(
                name="CustomScript",
                publisher="Microsoft.Azure.Extensions",
                extension_type="CustomScript",
                credential_expires_at=expired,
            )
        ],
    )
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    run_to_end(operation, timezone.now())
    assert operation.status == RunningStatus.FAULTED
    assert "CustomScript" in operation.error_message
    first = operation.batches.get(index=0)
    assert set(first.instance_upgrades.values_list("state", flat=True)) == {"failed"}
    assert (
        not InstanceUpgrade.objects.filter(operation=operation, batch__index=1)
        .exclude(state="pending")
        .exists()
    )


def test_one_active_operation_per_scale_set(web10):
    start_os_upgrade(web10)
    with pytest.raises(Exception) as caught:
        start_os_upgrade(web10)
    assert getattr(caught.value, "status", None) == 409
    assert UpgradeOperation.objects.filter(scale_set=web10).count() == 1


def test_a_replayed_step_reimages_nobody_twice(web10):
    operation = start_os_upgrade(web10)
    now = timezone.now()
    advance_once(operation.pk, now)  # plan
    advance_once(operation.pk, now)  # first batch starts
    disks = OsDisk.objects.count()
    ScaleSet.objects.filter(pk=web10.pk)  # nothing else changed
    UpgradeOperation.objects.filter(pk=operation.pk).update(next_look_at=now)
    advance_once(operation.pk, now)  # the same moment again, as after a lost acknowledgement
    assert OsDisk.objects.count() == disks


def test_e5_rolling_mode_rolls_a_model_change_out_in_batches(web10):
    from rollout.services import update_scale_set_model

    update_scale_set_model(web10, {"upgrade_mode": "Rolling"})
    assert not UpgradeOperation.objects.exists()  # a policy change is no model change
    update_scale_set_model(web10, {"custom_data": "IyEvYmluL2Jhc2gKZWNobyBoaQo="})
    web10.refresh_from_db()
    operation = UpgradeOperation.objects.get(scale_set=web10)
    assert operation.target_model_version == web10.model_version
    assert operation.started_by == StartedBy.USER and operation.automatic_rollback is False
    run_to_end(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    assert operation.batch_count > 1  # in batches, not all at once
    instances = list(web10.instances.select_related("scale_set"))
    assert {i.latest_model_applied for i in instances} == {True}

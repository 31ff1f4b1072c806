"""A stack of several processes on the test database: beat's sweeper wakes an operation that
nobody queued, and a second worker joins the first."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from rollout.models import RunningStatus, StartedBy, UpgradeOperation
from rollout.services.upgrades.operations import start_os_upgrade
from tests.support import Stack
from tests.support.fleets import ZONES, Site

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_sweeps_up_an_operation_nobody_woke_and_two_workers_finish_it(
    worker_stack: Stack,
) -> None:
    scale_set = Site.build().add_scale_set("web6", 6, zones=ZONES, enable_automatic_os_upgrade=True)
    with mock.patch("rollout.services.wakeups.send"):  # the start's wake-up is lost
        operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM)
    overdue = timezone.now() - timedelta(minutes=1)
    UpgradeOperation.objects.filter(pk=operation.pk).update(next_look_at=overdue)
    second = worker_stack.add_worker(wait=False)
    beat = worker_stack.add_beat(wait=False)
    second.wait_ready()
    beat.wait_ready()
    assert [process.running for process in worker_stack.processes] == [True, True, True]
    deadline = time.monotonic() + 60
    while operation.is_active and time.monotonic() < deadline:
        time.sleep(0.2)
        operation.refresh_from_db()
    assert operation.status == RunningStatus.COMPLETED, worker_stack.tail()
    assert operation.successful_instance_count == 6
    worker_stack.close()
    assert not second.running and not beat.running

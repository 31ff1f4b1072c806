"""Fair progress (issue 14): one task bounds its back-to-back steps by time as well as by
count, then queues the operation again behind every other waiting wake-up."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from rollout.models import StartedBy, UpgradeOperation
from rollout.services import wakeups
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks import upgrades as tasks
from tests.rollout.conftest import automatic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def instant(settings):
    settings.ROLLWRIGHT_SIMULATION_TIMINGS = {
        "reimage_seconds": 0,
        "restore_seconds": 0,
        "healthy_after_seconds": 0,
        "jitter": 0,
    }


def test_a_task_past_its_time_budget_requeues_the_operation_after_one_step(web10, monkeypatch):
    monkeypatch.setattr(tasks, "TASK_TIME_BUDGET", timedelta(0))
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    with mock.patch.object(wakeups, "send") as send:
        tasks.advance(operation.pk)
    operation = UpgradeOperation.objects.get(pk=operation.pk)
    assert operation.step_count == 1
    assert send.call_args_list[-1] == mock.call(wakeups.ADVANCE, (operation.pk,))


def test_a_task_within_its_budget_steps_on_until_the_count_bound(web10, monkeypatch):
    monkeypatch.setattr(tasks, "TASK_TIME_BUDGET", timedelta(hours=1))
    monkeypatch.setattr(tasks, "STEPS_PER_TASK", 3)
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    with mock.patch.object(wakeups, "send") as send:
        tasks.advance(operation.pk)
    operation = UpgradeOperation.objects.get(pk=operation.pk)
    assert operation.step_count == 3
    assert send.call_args_list[-1] == mock.call(wakeups.ADVANCE, (operation.pk,))

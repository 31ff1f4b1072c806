"""Integration: real Celery workers on real Redis execute rollouts from the database.

The worker runs in a subprocess against the test database (PostgreSQL in CI, where these
claims mean something; a SQLite file otherwise) and the test Redis database.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from rollout.models import (
    InstanceUpgrade,
    OsDisk,
    RunningStatus,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.errors import ServiceError
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.reads import os_upgrade_history
from rollout.tasks.upgrades import sweep_overdue_operations
from tests.rollout.conftest import automatic

# The worker comes from the ``worker_stack`` and ``worker`` fixtures (tests/support).
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until_ended(operation: UpgradeOperation, timeout: float = 60.0) -> UpgradeOperation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operation.refresh_from_db()
        if not operation.is_active:
            return operation
        time.sleep(0.1)
    raise AssertionError(f"still {operation.status} after {timeout} s: {operation.reasons}")


def test_a_10_instance_rollout_completes_through_a_real_worker(web10, worker):
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    wait_until_ended(operation)
    assert operation.status == RunningStatus.COMPLETED
    assert operation.successful_instance_count == 10
    assert [o.pk for o in os_upgrade_history(web10)] == [operation.pk]


def test_a_worker_killed_mid_batch_loses_nothing(web10, worker, worker_stack):
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until a batch is under way
        if InstanceUpgrade.objects.filter(operation=operation, state="reimaging").exists():
            break
        time.sleep(0.02)
    worker.kill()
    # The killed worker's reserved messages are gone with it; beat's sweeper re-enqueues the
    # operation once its next look is overdue (made overdue at once here, instead of waiting).
    worker_stack.add_worker()  # stopped with the stack
    overdue = operation.started_at - timedelta(minutes=1)
    UpgradeOperation.objects.filter(pk=operation.pk).update(next_look_at=overdue)
    assert sweep_overdue_operations() == 1
    wait_until_ended(operation)
    assert operation.status == RunningStatus.COMPLETED
    rows = InstanceUpgrade.objects.filter(operation=operation)
    assert set(rows.values_list("state", flat=True)) == {"succeeded"}
    assert operation.successful_instance_count == rows.count() == 10
    # No instance was reimaged twice for its batch: one new OS disk each, no disk left half-done.
    new_disks = OsDisk.objects.filter(
        instance__scale_set=web10, created_at__gte=operation.started_at
    )
    assert new_disks.count() == 10
    assert not OsDisk.objects.filter(instance__scale_set=web10, state="kept_for_rollback").exists()


def test_two_concurrent_starts_give_exactly_one_operation(web10, worker):
    outcomes: list[str] = []

    def start() -> None:
        try:
            start_os_upgrade(web10, started_by=StartedBy.USER)
            outcomes.append("started")
        except ServiceError as error:
            outcomes.append(f"{error.status} {error.code}")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["409 Conflict", "started"]
    assert UpgradeOperation.objects.filter(scale_set=web10).count() == 1

"""Driving an upgrade with gates one step at a time, in this process (no broker): the engine's
steps and the gate runs' measurements, each at the moment it is due."""

from __future__ import annotations

from datetime import datetime

from rollout.models import GateRun, UpgradeOperation
from rollout.services.gates.measuring import measure_run
from rollout.tasks.upgrades import advance_once


def drive(operation: UpgradeOperation, now: datetime, max_steps: int = 1_000) -> datetime:
    """Step until the upgrade ends or waits for a person (paused, held at a checkpoint)."""
    for _ in range(max_steps):
        recheck = advance_once(operation.pk, now)
        due = []
        for run in GateRun.objects.filter(operation=operation, ended_at__isnull=True):
            again = measure_run(run.pk, now)
            if again is not None:
                due.append(again)
        operation.refresh_from_db()
        if not operation.is_active:
            return now
        if operation.next_look_at is not None:
            due.append(operation.next_look_at)
        if recheck is not None:
            due.append(recheck)
        if not due:
            return now  # waiting for a person
        now = max(now, min(due))
    raise AssertionError("the upgrade did not end")

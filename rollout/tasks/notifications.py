"""Celery entry points of notifications (G2): deliver a target's queue, sweep the overdue."""

from __future__ import annotations

import logging

from celery import shared_task

from rollout.events.notifications import DELIVER, wake
from rollout.services import wakeups
from rollout.services.notifications.delivery import deliver_queue, due_targets

logger = logging.getLogger(__name__)

SWEEP = "rollout.sweep_notifications"


@shared_task(name=DELIVER, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_notifications(target_id: int) -> None:
    """Send the target's due deliveries in order; a retry is queued for its time."""
    again = deliver_queue(target_id)
    if again is not None:
        wakeups.send(DELIVER, (target_id,), again)


@shared_task(name=SWEEP, ignore_result=True)
def sweep_notifications() -> int:
    """Wake every target with a delivery due and nobody delivering (the safety net)."""
    targets = due_targets()
    wake(targets)
    return len(targets)

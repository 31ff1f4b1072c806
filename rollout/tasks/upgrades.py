"""Celery entry points of upgrades: step an operation, sweep up overdue ones.

The work is ``rollout.services.upgrades.stepping``'s; these only loop and re-enqueue.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from rollout.services import wakeups
from rollout.services.upgrades.stepping import advance_once, overdue_operations

logger = logging.getLogger(__name__)

# Steps one task may run back to back while each asks to look again at once.
STEPS_PER_TASK = 50


@shared_task(name=wakeups.ADVANCE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance(operation_id: int) -> None:
    """Advance an operation; while the engine asks to look again at once, keep stepping here
    (each step its own transaction) instead of a round trip through the broker."""
    for _ in range(STEPS_PER_TASK):
        recheck_at = advance_once(operation_id)
        if recheck_at is None or recheck_at > timezone.now():
            return
    wakeups.send(wakeups.ADVANCE, (operation_id,))


@shared_task(name=wakeups.SWEEP_OVERDUE, ignore_result=True)
def sweep_overdue_operations() -> int:
    """Re-enqueue every active operation whose next look is overdue (the safety net)."""
    overdue = overdue_operations()
    for operation_id in overdue:
        wakeups.send(wakeups.ADVANCE, (operation_id,))
    if overdue:
        logger.info("re-enqueued %d overdue operations", len(overdue))
    return len(overdue)

"""Celery entry points of upgrades: step an operation, sweep up overdue ones.

The work is ``rollout.services.upgrades.stepping``'s; these only loop and re-enqueue.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from rollout.services import wakeups
from rollout.services.upgrades.stepping import advance_once, held_elsewhere, overdue_operations

logger = logging.getLogger(__name__)

# Steps one task may run back to back while each asks to look again at once, and for how
# long: past either bound the task re-enqueues the operation at the back of the queue, so
# every other operation's waiting wake-up runs first (fair progress across operations: none
# waits for another's whole rollout).
STEPS_PER_TASK = 50
TASK_TIME_BUDGET = timedelta(milliseconds=250)
# A wake-up that found the operation's row held by another transaction tries again after
# HELD_RETRY_DELAY, at most HELD_RETRIES times (5 s), after which the sweeper is the net.
HELD_RETRY_DELAY = timedelta(milliseconds=200)
HELD_RETRIES = 25


@shared_task(name=wakeups.ADVANCE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance(operation_id: int, held_retries: int = 0) -> None:
    """Advance an operation; while the engine asks to look again at once, keep stepping here
    (each step its own transaction) instead of a round trip through the broker, for at most
    STEPS_PER_TASK steps and TASK_TIME_BUDGET. When another transaction holds the operation's
    row, try again shortly (bounded)."""
    deadline = time.monotonic() + TASK_TIME_BUDGET.total_seconds()
    for _ in range(STEPS_PER_TASK):
        recheck_at = advance_once(operation_id)
        if recheck_at is None:
            if held_retries < HELD_RETRIES and held_elsewhere(operation_id):
                logger.debug("operation %s is held elsewhere; retrying", operation_id)
                at = timezone.now() + HELD_RETRY_DELAY
                wakeups.send(wakeups.ADVANCE, (operation_id, held_retries + 1), at)
            return
        if recheck_at > timezone.now():
            return
        if time.monotonic() >= deadline:
            break
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

"""Celery tasks: advance one operation by one engine step; sweep up overdue operations.

A task receives an id, re-reads rows, runs one engine step, saves the result in one
transaction and schedules the next look after commit (STYLE 2.4). A worker killed at any
moment loses nothing: the transaction rolls back, the message is redelivered (acks_late), and
the beat sweeper re-enqueues any operation whose next look is overdue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from orchestrator.engine import step
from rollout import release_tasks  # noqa: F401  # registers the trigger tasks (T1-T7)
from rollout.apply import apply_decision
from rollout.models import ACTIVE_STATUSES, UpgradeOperation
from rollout.provider import DatabaseComputeProvider
from rollout.snapshots import load_snapshot

logger = logging.getLogger(__name__)

# How late an operation's next look may be before the sweeper re-enqueues it.
SWEEP_GRACE = timedelta(seconds=5)
# A wake-up this early counts as on time: an ETA may fire a few milliseconds before its moment.
EARLY_TOLERANCE = timedelta(milliseconds=50)
# Steps one task may run back to back while each asks to look again at once.
STEPS_PER_TASK = 50


def advance_once(operation_id: int, now: datetime | None = None) -> datetime | None:
    """One engine step of one operation, in one transaction; returns its next look.

    Returns None when there is nothing to do: the operation ended, is paused, or is held by
    another worker; returns the stored next look, doing nothing, when it is not due yet.
    """
    with transaction.atomic():
        operation = (
            UpgradeOperation.objects.select_for_update(skip_locked=True)
            .select_related("scale_set__location")
            .filter(pk=operation_id, status__in=ACTIVE_STATUSES)
            .first()
        )
        if operation is None:
            return None
        now = now or timezone.now()
        if operation.next_look_at is None or operation.next_look_at > now + EARLY_TOLERANCE:
            return operation.next_look_at  # paused, or a duplicate wake-up before its time
        provider = DatabaseComputeProvider(operation.scale_set)
        snapshot, rows, batches = load_snapshot(operation, provider, now)
        decision = step(snapshot, now)
        recheck_at = decision.recheck_at
        if recheck_at is not None and recheck_at > now:
            # Registered before the events' broadcast, so the next step is queued first.
            transaction.on_commit(lambda: schedule_advance(operation_id, recheck_at))
        apply_decision(operation, provider, rows, batches, decision, now)
        operation.next_look_at = recheck_at
        operation.step_count += 1
        operation.save()
        return recheck_at


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance(operation_id: int) -> None:
    """Advance an operation; while the engine asks to look again at once, keep stepping here
    (each step its own transaction) instead of a round trip through the broker."""
    for _ in range(STEPS_PER_TASK):
        recheck_at = advance_once(operation_id)
        if recheck_at is None or recheck_at > timezone.now():
            return
    schedule_advance(operation_id, None)


@shared_task(ignore_result=True)
def sweep_overdue_operations() -> int:
    """Re-enqueue every active operation whose next look is overdue (the safety net)."""
    overdue = list(
        UpgradeOperation.objects.filter(
            status__in=ACTIVE_STATUSES, next_look_at__lte=timezone.now() - SWEEP_GRACE
        ).values_list("pk", flat=True)
    )
    for operation_id in overdue:
        schedule_advance(operation_id, None)
    if overdue:
        logger.info("re-enqueued %d overdue operations", len(overdue))
    return len(overdue)


def schedule_advance(operation_id: int, at: datetime | None) -> None:
    """Ask a worker to advance the operation at ``at`` (now when None); never raise.

    If the broker is down the beat sweeper picks the operation up once it is back.
    """
    try:
        if at is None or at <= timezone.now():
            advance.apply_async((operation_id,))
        else:
            advance.apply_async((operation_id,), eta=at)
    except Exception:
        logger.warning(
            "could not enqueue operation %s; the sweeper will", operation_id, exc_info=True
        )

"""One engine step of one operation: snapshot in, ``engine.step``, decision applied, in one
transaction (STYLE 2.4). The Celery task ``rollout.advance`` calls ``advance_once``; so do tests,
one step at a time, with an explicit ``now``.

A worker killed at any moment loses nothing: the transaction rolls back, the message is
redelivered (acks_late), and the beat's sweeper re-enqueues any operation whose next look is
overdue (``overdue_operations``).

The step locks the operation's own row only (``FOR UPDATE OF``): a join would lock the scale
set's region too, and every other rollout of that region would find it held. A wake-up that
finds the row held by another step does nothing; ``held_elsewhere`` tells the task so, and it
tries again shortly instead of leaving the look to the sweeper.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orchestrator.engine import step
from rollout.engine.apply import apply_decision
from rollout.engine.gates import load_gate_state
from rollout.engine.step_snapshot import load_step_state
from rollout.metrics import runtime
from rollout.models import ACTIVE_STATUSES, UpgradeOperation
from rollout.services import wakeups

# A wake-up this early counts as on time: an ETA may fire a few milliseconds before its moment.
EARLY_TOLERANCE = timedelta(milliseconds=50)


def advance_once(operation_id: int, now: datetime | None = None) -> datetime | None:
    """One engine step of one operation, in one transaction; returns its next look.

    Returns None when there is nothing to do: the operation ended, is paused, or is held by
    another worker (``held_elsewhere`` tells which); returns the stored next look, doing
    nothing, when it is not due yet. A look due later is queued after commit; so is the
    release's reconcile when the operation ends (T1: the next scale set or phase).
    """
    started = time.perf_counter()
    with transaction.atomic():
        operation = lock_operation(operation_id)
        if operation is None:
            return None
        now = now or timezone.now()
        if operation.next_look_at is None or operation.next_look_at > now + EARLY_TOLERANCE:
            return operation.next_look_at  # paused, or a duplicate wake-up before its time
        # G3: how late the step starts, and (after commit) how long it took.
        runtime.observe_queue_lag((now - operation.next_look_at).total_seconds())
        transaction.on_commit(lambda: runtime.observe_step(time.perf_counter() - started))
        # Fleet scale: the open batch in full, the rest as aggregates (engine.step_snapshot).
        state = load_step_state(operation, now)
        snapshot = replace(state.snapshot, gates=load_gate_state(operation))  # G1, G4
        decision = step(snapshot, now)
        recheck_at = decision.recheck_at
        if recheck_at is not None and recheck_at > now:
            # Registered before the events' broadcast, so the next step is queued first.
            wakeups.advance_operation(operation_id, recheck_at)
        apply_decision(
            operation,
            state.provider,
            state.rows,
            state.batches,
            decision,
            now,
            state.counts if state.snapshot.rest is not None else None,
            state.pending,
        )
        operation.next_look_at = recheck_at
        operation.step_count += 1
        operation.save()
        if decision.finish is not None:
            wakeups.upgrade_ended(operation.scale_set_id)
        return recheck_at


def lock_operation(operation_id: int) -> UpgradeOperation | None:
    """The active operation, its row locked until the caller's transaction ends; None when it
    ended or another transaction holds it. Only the operation's own row is locked (the scale
    set and region come along unlocked): a step in the same region goes on meanwhile."""
    return (
        UpgradeOperation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("scale_set__location")
        .filter(pk=operation_id, status__in=ACTIVE_STATUSES)
        .first()
    )


def held_elsewhere(operation_id: int) -> bool:
    """True when the operation is active and due to be looked at, yet ``advance_once`` found
    its row locked: another transaction (a concurrent step, a cancel) holds it right now.

    Read without a lock, so a holder that committed a moment ago may make this true once
    more than needed: the retry then finds the row free and does what is due, or nothing."""
    return UpgradeOperation.objects.filter(
        pk=operation_id, status__in=ACTIVE_STATUSES, next_look_at__isnull=False
    ).exists()


def overdue_operations(now: datetime | None = None) -> list[int]:
    """Active operations whose next look is overdue by more than the sweep interval
    (``ROLLWRIGHT_SWEEP_SECONDS``): their wake-up was lost (a worker killed, Redis restarted)."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.ROLLWRIGHT_SWEEP_SECONDS)
    return list(
        UpgradeOperation.objects.filter(
            status__in=ACTIVE_STATUSES, next_look_at__lte=now - grace
        ).values_list("pk", flat=True)
    )

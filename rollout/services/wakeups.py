"""The one place that queues work: Celery tasks sent by name, after the caller commits.

Services never import task modules (STYLE 2.10): they call these functions, which register the
send with ``transaction.on_commit`` (outside a transaction it happens at once), so a rolled-back
change wakes nobody. A send that fails (the broker is down) is logged and dropped: the beat's
sweeper and scan find the work from the rows once the broker is back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rollout.celery import app

logger = logging.getLogger(__name__)

# Task names, stable whatever module the tasks live in (rollout/tasks/).
ADVANCE = "rollout.advance"
SWEEP_OVERDUE = "rollout.sweep_overdue_operations"
RECONCILE = "rollout.reconcile"
SCAN_AUTOMATIC_UPGRADES = "rollout.scan_automatic_upgrades"
ADVANCE_GALLERY_REPLICATION = "rollout.advance_gallery_replication"


def send(name: str, args: tuple[Any, ...], at: datetime | None = None) -> None:
    """Send task ``name`` now, or at ``at`` when that is in the future; never raise."""
    options: dict[str, Any] = {}
    if at is not None and at > timezone.now():
        options["eta"] = at
    try:
        app.send_task(name, args, **options)
    except Exception:
        logger.warning("could not enqueue %s%r; the beat will catch up", name, args, exc_info=True)


def advance_operation(operation_id: int, at: datetime | None = None) -> None:
    """Step the upgrade operation at ``at`` (now when None), after commit."""
    transaction.on_commit(lambda: send(ADVANCE, (operation_id,), at))


def reconcile(
    *,
    release_ids: list[int] | None = None,
    scale_set_ids: list[int] | None = None,
    at: datetime | None = None,
) -> None:
    """Reconsider these releases and scale sets (T1-T7) at ``at`` (now when None), after commit."""
    transaction.on_commit(lambda: send(RECONCILE, (release_ids, scale_set_ids), at))


def upgrade_ended(scale_set_id: int) -> None:
    """An upgrade just ended: its release (T1: the next scale set or phase) and anything it
    held back are reconsidered after commit."""
    reconcile(scale_set_ids=[scale_set_id])

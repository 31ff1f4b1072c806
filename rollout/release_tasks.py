"""Celery tasks of automatic upgrades: the trigger (T1-T7) and the gallery replication (T4).

Event-driven first, the beat second (STYLE 2.4):

* publishing a version, a replica completing, a window or policy changing, and an upgrade
  ending each enqueue ``reconcile`` for what they touch, after commit, so a version that is
  eligible with no delay (immediate mode) starts rolling within a second or so;
* a trigger that finds a future due time (a T5 delay, a T7 window) asks to be woken then;
* the beat runs ``scan_automatic_upgrades`` (the whole fleet) and ``advance_gallery_replication``
  every few seconds: the safety net when a message is lost or a worker dies, never the only
  path.

Every task re-reads rows by id and is idempotent: the release's row lock keeps two workers
from starting what the gates forbid.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from rollout.models import ACTIVE_STATUSES, ScaleSet, UpgradeOperation
from rollout.services.releases import reconcile_release, reconcile_scale_sets, scan
from rollout.services.replication import advance_replications
from rollout.services.triggers import outlook

logger = logging.getLogger(__name__)

WAKE_HORIZON = timedelta(minutes=5)


@shared_task(acks_late=True, ignore_result=True)
def reconcile(release_ids: list[int] | None = None, scale_set_ids: list[int] | None = None) -> None:
    """Reconcile these releases and scale sets now, then wake again at the next due time."""
    now = timezone.now()
    for release_id in release_ids or []:
        reconcile_release(release_id, now)
    touched = list(scale_set_ids or [])
    if scale_set_ids:
        reconcile_scale_sets(scale_set_ids, now)
    if release_ids:
        from rollout.models import ReleaseTarget, TargetState

        touched += list(
            ReleaseTarget.objects.filter(
                release_id__in=release_ids, state=TargetState.PENDING
            ).values_list("scale_set_id", flat=True)
        )
    _wake_at_next_due(sorted(set(touched)), now)


@shared_task(ignore_result=True)
def scan_automatic_upgrades() -> int:
    """The beat's safety net: every scale set and every open release."""
    results = scan()
    started = sum(len(result.started) for result in results.values())
    if started:
        logger.info("the scan started %d automatic upgrades", started)
    return started


@shared_task(ignore_result=True)
def advance_gallery_replication() -> int:
    """The beat moves replications on (T4); a completed one triggers its region's followers."""
    result = advance_replications()
    return len(result.completed)


def schedule_reconcile(
    *,
    release_ids: list[int] | None = None,
    scale_set_ids: list[int] | None = None,
    at: datetime | None = None,
) -> None:
    """Enqueue ``reconcile`` (at ``at``, now when None); never raise: the beat catches up."""
    try:
        options: dict[str, Any] = {}
        if at is not None and at > timezone.now():
            options["eta"] = at
        reconcile.apply_async((release_ids, scale_set_ids), **options)
    except Exception:
        logger.warning("could not enqueue a trigger; the beat scan will", exc_info=True)


def _wake_at_next_due(scale_set_ids: list[int], now: datetime) -> None:
    """Ask to be woken when the first of these scale sets' T5 delay or T7 window ends.

    Only within ``WAKE_HORIZON``: later moments are the beat scan's (a message held for hours
    by a broker would be redelivered, and the scan looks every few seconds anyway).
    """
    if not scale_set_ids:
        return
    moments = [
        found.when
        for found in (outlook(s, now) for s in ScaleSet.objects.filter(pk__in=scale_set_ids))
        if found.when is not None and now < found.when <= now + WAKE_HORIZON
    ]
    if moments:
        schedule_reconcile(scale_set_ids=scale_set_ids, at=min(moments))


@receiver(post_save, sender=UpgradeOperation, dispatch_uid="rollout.release_tasks.ended")
def upgrade_ended(sender: Any, instance: UpgradeOperation, **kwargs: Any) -> None:
    """An upgrade just ended: its release (T1: the next scale set or phase) and anything held
    back by it are reconsidered after commit."""
    if instance.status in ACTIVE_STATUSES or kwargs.get("created"):
        return
    scale_set_id = instance.scale_set_id
    transaction.on_commit(lambda: schedule_reconcile(scale_set_ids=[scale_set_id]))

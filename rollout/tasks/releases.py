"""Celery entry points of automatic upgrades: the trigger (T1-T7) and gallery replication (T4).

Event-driven first, the beat second (STYLE 2.4):

* publishing a version, a replica completing, a window or policy changing, and an upgrade
  ending each queue ``rollout.reconcile`` for what they touch, after commit
  (``rollout.services.wakeups``), so a version that is eligible with no delay (immediate mode)
  starts rolling within a second or so;
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

from celery import shared_task
from django.utils import timezone

from rollout.models import ReleaseTarget, ScaleSet, TargetState
from rollout.services import wakeups
from rollout.services.gallery.replication import advance_replications
from rollout.services.releases.publishing import reconcile_release, reconcile_scale_sets, scan
from rollout.services.releases.triggers import outlook

logger = logging.getLogger(__name__)

WAKE_HORIZON = timedelta(minutes=5)


@shared_task(name=wakeups.RECONCILE, acks_late=True, ignore_result=True)
def reconcile(release_ids: list[int] | None = None, scale_set_ids: list[int] | None = None) -> None:
    """Reconcile these releases and scale sets now, then wake again at the next due time."""
    now = timezone.now()
    for release_id in release_ids or []:
        reconcile_release(release_id, now)
    touched = list(scale_set_ids or [])
    if scale_set_ids:
        reconcile_scale_sets(scale_set_ids, now)
    if release_ids:
        touched += list(
            ReleaseTarget.objects.filter(
                release_id__in=release_ids, state=TargetState.PENDING
            ).values_list("scale_set_id", flat=True)
        )
    _wake_at_next_due(sorted(set(touched)), now)


@shared_task(name=wakeups.SCAN_AUTOMATIC_UPGRADES, ignore_result=True)
def scan_automatic_upgrades() -> int:
    """The beat's safety net: every scale set and every open release."""
    results = scan()
    started = sum(len(result.started) for result in results.values())
    if started:
        logger.info("the scan started %d automatic upgrades", started)
    return started


@shared_task(name=wakeups.ADVANCE_GALLERY_REPLICATION, ignore_result=True)
def advance_gallery_replication() -> int:
    """The beat moves replications on (T4); a completed one triggers its region's followers."""
    result = advance_replications()
    return len(result.completed)


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
    if moments:  # nothing to commit here: sent at once
        wakeups.send(wakeups.RECONCILE, (None, scale_set_ids), min(moments))

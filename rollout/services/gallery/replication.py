"""T4: the simulated replication of Compute Gallery image versions, region by region.

Publishing a version (``rollout.services.gallery.publishing``) gives each target region a
replica that starts ``Replicating``. ``advance_replications(now)`` (a beat task) moves each
one on: the first time it sees a replica it gives it a ``ReplicationSchedule`` (from its
current progress to 100% over a nominal duration, varied per version and region so regions
finish one after another, divided by ``ROLLWRIGHT_TIME_SCALE``); when a replica reaches 100%
it is ``Completed`` and the scale sets that follow the image in that region are reconsidered
at once (after commit): the version is now eligible there (T4). ``fail_at_percent`` on the
schedule, or ``fail_replication``, makes a replica ``Failed`` (B2 rehearsal): nothing rolls
out there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.models import (
    EventKind,
    GalleryImageReplica,
    ReplicationSchedule,
    ReplicationState,
    ScaleSet,
)
from rollout.services import wakeups
from rollout.services.errors import ServiceError

# Nominal time to replicate one version to one region (Azure's take minutes to hours).
REPLICATION_DURATION = timedelta(minutes=10)
# Each region takes 50% to 150% of it, drawn per version and region.
SPREAD = 0.5


def nominal_duration(replica: GalleryImageReplica) -> timedelta:
    """The replica's nominal replication time (``ROLLWRIGHT_REPLICATION_SECONDS`` overrides
    the base); deterministic per version and region."""
    seconds = getattr(settings, "ROLLWRIGHT_REPLICATION_SECONDS", None)
    base = timedelta(seconds=seconds) if seconds is not None else REPLICATION_DURATION
    key = f"{replica.version_id}:{replica.region_id}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return base * (1 - SPREAD + 2 * SPREAD * draw)


def progress_at(schedule: ReplicationSchedule, now: datetime) -> int:
    """Percent done at ``now``: linear from ``from_progress`` to 100 over the scaled duration.

    >>> from datetime import UTC
    >>> start = datetime(2026, 1, 1, tzinfo=UTC)
    >>> s = ReplicationSchedule(began_at=start, from_progress=40, duration=timedelta(minutes=10))
    >>> progress_at(s, start + timedelta(minutes=5))  # at time scale 1
    70
    """
    scaled = schedule.duration / settings.ROLLWRIGHT_TIME_SCALE
    if scaled <= timedelta(0):
        return 100
    share = max(0.0, (now - schedule.began_at) / scaled)
    return min(100, int(schedule.from_progress + (100 - schedule.from_progress) * share))


@dataclass
class Advanced:
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    progressed: int = 0


def advance_replications(now: datetime | None = None) -> Advanced:
    """Move every replicating replica on (see the module docstring); idempotent."""
    now = now or timezone.now()
    result = Advanced()
    with transaction.atomic():
        replicas = list(
            GalleryImageReplica.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("version__image", "region")
            .filter(state=ReplicationState.REPLICATING)
        )
        schedules = {
            schedule.replica_id: schedule
            for schedule in ReplicationSchedule.objects.filter(replica__in=replicas)
        }
        for replica in replicas:
            schedule = schedules.get(replica.pk)
            if schedule is None:
                schedule = ReplicationSchedule.objects.create(
                    replica=replica,
                    began_at=now,
                    from_progress=replica.progress,
                    duration=nominal_duration(replica),
                )
                if replica.started_at is None:
                    replica.started_at = now
            progress = progress_at(schedule, now)
            if schedule.fail_at_percent is not None and progress >= schedule.fail_at_percent:
                _fail(replica, schedule.fail_at_percent, schedule.failure_reason, now, None, "")
                result.failed.append(str(replica))
            elif progress >= 100:
                _complete(replica, now, None, "")
                result.completed.append(str(replica))
            elif progress != replica.progress or replica.started_at == now:
                replica.progress = progress
                replica.save(update_fields=["progress", "started_at"])
                result.progressed += 1
    return result


def fail_replication(
    replica: GalleryImageReplica,
    *,
    at_percent: int | None = None,
    reason: str = "",
    actor: Any = None,
) -> GalleryImageReplica:
    """B2: make a replication fail, now or on reaching ``at_percent``; nothing rolls out in
    its region (T4)."""
    now = timezone.now()
    with transaction.atomic():
        locked = GalleryImageReplica.objects.select_for_update(of=("self",)).get(pk=replica.pk)
        if locked.state != ReplicationState.REPLICATING:
            raise ServiceError(
                "OperationNotAllowed",
                f"The replication of {locked} is {locked.state}: only a replicating one can fail.",
                status=409,
            )
        if at_percent is not None and at_percent > locked.progress:
            schedule, _ = ReplicationSchedule.objects.get_or_create(
                replica=locked,
                defaults={
                    "began_at": now,
                    "from_progress": locked.progress,
                    "duration": nominal_duration(locked),
                },
            )
            schedule.fail_at_percent = min(at_percent, 100)
            schedule.failure_reason = reason
            schedule.save(update_fields=["fail_at_percent", "failure_reason"])
            return locked
        _fail(locked, locked.progress, reason, now, actor, reason)
    return locked


def complete_replication(
    replica: GalleryImageReplica, *, actor: Any = None, reason: str = ""
) -> GalleryImageReplica:
    """Finish a replication now (for demos): the version is eligible in its region (T4)."""
    now = timezone.now()
    with transaction.atomic():
        locked = GalleryImageReplica.objects.select_for_update(of=("self",)).get(pk=replica.pk)
        if locked.state != ReplicationState.REPLICATING:
            raise ServiceError(
                "OperationNotAllowed",
                f"The replication of {locked} is {locked.state}: only a replicating one can "
                "complete.",
                status=409,
            )
        _complete(locked, now, actor, reason)
    return locked


def restart_replication(
    replica: GalleryImageReplica, *, actor: Any = None, reason: str = ""
) -> GalleryImageReplica:
    """Replicate again from 0% (after a failure, as re-publishing the region would)."""
    now = timezone.now()
    with transaction.atomic():
        locked = GalleryImageReplica.objects.select_for_update(of=("self",)).get(pk=replica.pk)
        if locked.state == ReplicationState.COMPLETED:
            raise ServiceError(
                "OperationNotAllowed", f"{locked} is already replicated.", status=409
            )
        ReplicationSchedule.objects.filter(replica=locked).delete()
        locked.state = ReplicationState.REPLICATING
        locked.progress = 0
        locked.started_at = now
        locked.completed_at = None
        locked.save(update_fields=["state", "progress", "started_at", "completed_at"])
        _event(EventKind.REPLICATION_RESTARTED, locked, now, actor, reason)
    return locked


def _complete(replica: GalleryImageReplica, now: datetime, actor: Any, reason: str) -> None:
    replica.state = ReplicationState.COMPLETED
    replica.progress = 100
    replica.completed_at = now
    replica.save(update_fields=["state", "progress", "completed_at", "started_at"])
    _event(EventKind.REPLICATION_COMPLETED, replica, now, actor, reason or "T4: replicated")
    followers = list(
        ScaleSet.objects.filter(
            gallery_image_id=replica.version.image_id,
            location_id=replica.region_id,
            enable_automatic_os_upgrade=True,
        ).values_list("pk", flat=True)
    )
    if followers:
        wakeups.reconcile(scale_set_ids=followers)


def _fail(
    replica: GalleryImageReplica,
    at_percent: int,
    why: str,
    now: datetime,
    actor: Any,
    reason: str,
) -> None:
    replica.state = ReplicationState.FAILED
    replica.progress = at_percent
    replica.save(update_fields=["state", "progress", "started_at"])
    _event(
        EventKind.REPLICATION_FAILED,
        replica,
        now,
        actor,
        reason or why or f"T4: replication failed at {at_percent}%",
    )


def _event(
    kind: EventKind, replica: GalleryImageReplica, now: datetime, actor: Any, reason: str
) -> None:
    events.record_one(
        kind,
        scale_set=None,
        actor=actor,
        reason=reason,
        at=now,
        image=str(replica.version.image),
        version=replica.version.name,
        region=replica.region.name,
        state=replica.state,
        progress=replica.progress,
    )

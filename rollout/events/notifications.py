"""Which events are notified (G2), and their deliveries, written with the events.

``record`` (rollout.events.log) calls ``enqueue_deliveries`` inside the caller's transaction:
a delivery row per subscribed target is written beside its event, so nothing is lost while a
receiver (or the broker) is down, and a rolled-back change notifies nobody. The delivery task
is woken by name after commit; beat's sweep is the safety net.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q

from rollout.models import (
    Delivery,
    Event,
    EventKind,
    NotificationTarget,
    NotificationTopic,
    RunningStatus,
    ScaleSet,
)

logger = logging.getLogger(__name__)

DELIVER = "rollout.deliver_notifications"  # the task's name (rollout.tasks.notifications)

FINISHED_TOPICS: dict[str, NotificationTopic] = {
    RunningStatus.COMPLETED: NotificationTopic.UPGRADE_COMPLETED,
    RunningStatus.FAULTED: NotificationTopic.UPGRADE_FAULTED,
    RunningStatus.CANCELLED: NotificationTopic.UPGRADE_CANCELLED,
}
SIMPLE_TOPICS = {
    EventKind.UPGRADE_STARTED: NotificationTopic.UPGRADE_STARTED,
    EventKind.BATCH_STARTED: NotificationTopic.BATCH_STARTED,
    EventKind.BATCH_COMPLETED: NotificationTopic.BATCH_COMPLETED,
    EventKind.RELEASE_PHASE_STARTED: NotificationTopic.RELEASE_PHASE_STARTED,
    EventKind.RELEASE_STOPPED: NotificationTopic.RELEASE_STOPPED,
}


def topic_of(event: Event) -> NotificationTopic | None:
    """The notification topic an event is, or None when it is not notified.

    >>> topic_of(Event(kind=EventKind.UPGRADE_FINISHED, data={"status": "Faulted"}))
    <NotificationTopic.UPGRADE_FAULTED: 'upgrade.faulted'>
    """
    kind, data = event.kind, event.data or {}
    if kind in SIMPLE_TOPICS:
        return SIMPLE_TOPICS[EventKind(kind)]
    if kind == EventKind.UPGRADE_FINISHED:
        return FINISHED_TOPICS.get(str(data.get("status")))
    if kind == EventKind.INSTANCE_CHANGED and data.get("state") == "rolled_back":
        return NotificationTopic.INSTANCE_ROLLED_BACK
    if kind == EventKind.PAUSED:
        return NotificationTopic.UPGRADE_PAUSED
    if kind == EventKind.RESUMED and data.get("engine"):
        # The engine's resume, when the upgrade really goes on (the operator's request is an
        # audit entry of its own, with no engine flag).
        return NotificationTopic.UPGRADE_RESUMED
    if kind == EventKind.GATE_MEASURED and data.get("gate_verdict") in ("failed", "error"):
        return NotificationTopic.GATE_FAILED
    if kind == EventKind.CHECKPOINT_REACHED and data.get("hold"):
        return NotificationTopic.APPROVAL_AWAITED  # G4: held until an operator promotes
    return None


def enqueue_deliveries(events: Sequence[Event]) -> list[Delivery]:
    """Write a delivery per subscribed target for each notified event; wake the sender after
    commit. Costs no query when none of the events is notified."""
    notified = [(event, topic) for event in events if (topic := topic_of(event)) is not None]
    if not notified:
        return []
    targets = list(NotificationTarget.objects.filter(enabled=True))
    if not targets:
        return []
    scale_sets = _scale_sets({e.scale_set_id for e, _ in notified if e.scale_set_id})
    deliveries: list[Delivery] = []
    for event, topic in notified:
        scale_set = scale_sets.get(event.scale_set_id) if event.scale_set_id else None
        for target in targets:
            if not _wants(target, topic, scale_set, event):
                continue
            deliveries.append(
                Delivery(
                    target=target,
                    event=event,
                    topic=topic,
                    payload=body_of(event, topic, scale_set),
                    created_at=event.created_at,
                    next_attempt_at=event.created_at,
                )
            )
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries)
    target_ids = sorted({d.target_id for d in deliveries})
    transaction.on_commit(lambda: wake(target_ids))
    return deliveries


def wake(target_ids: list[int]) -> None:
    """Send the delivery task for each target, by name; never raise (beat sweeps)."""
    from rollout.celery import app

    for target_id in target_ids:
        try:
            app.send_task(DELIVER, (target_id,))
        except Exception:
            logger.warning("could not wake deliveries of target %s", target_id, exc_info=True)


def body_of(event: Event, topic: str, scale_set: ScaleSet | None) -> dict[str, Any]:
    """The JSON body a receiver gets (stable field names; ``data`` as the event log has it)."""
    body: dict[str, Any] = {
        "topic": topic,
        "eventId": event.id,
        "kind": event.kind,
        "time": event.created_at.isoformat(),
        "actor": event.actor_name,
        "reason": event.reason,
        "operationId": event.operation_id,
        "data": event.data,
    }
    if scale_set is not None:
        body["scaleSet"] = {
            "id": scale_set.arm_id,
            "name": scale_set.name,
            "resourceGroup": scale_set.resource_group.name,
            "location": scale_set.location.name,
        }
    return body


def _wants(
    target: NotificationTarget, topic: str, scale_set: ScaleSet | None, event: Event
) -> bool:
    if target.topics and topic not in target.topics:
        return False
    if target.scale_set_id is not None:
        return event.scale_set_id == target.scale_set_id
    if target.resource_group_id is not None:
        return scale_set is not None and scale_set.resource_group_id == target.resource_group_id
    return True


def _scale_sets(ids: set[int]) -> dict[int, ScaleSet]:
    if not ids:
        return {}
    rows = ScaleSet.objects.filter(Q(pk__in=ids)).select_related(
        "resource_group__subscription", "location"
    )
    return {row.pk: row for row in rows}

"""The event log and its broadcast: the only module that knows the channel layer exists.

``record`` writes ``Event`` rows inside the caller's transaction and registers ONE broadcast
per call with ``on_commit``, so a rolled-back change never reaches a browser and the updates
of one engine step travel as one message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, TypedDict

from django.db import transaction
from django.utils import timezone

from rollout.events import streams
from rollout.events.notifications import enqueue_deliveries
from rollout.models import Event, EventKind, ScaleSet, UpgradeOperation

logger = logging.getLogger(__name__)

FLEET_GROUP = "rollout.fleet"


def group_for(scale_set_id: int) -> str:
    return f"rollout.scale_set.{scale_set_id}"


class EventPayload(TypedDict):
    """``sequence``: the event's place in its scale set's stream (``rollout.events.streams``);
    None for an event of no scale set."""

    id: int
    sequence: int | None
    kind: str
    scale_set: int | None
    operation: int | None
    created_at: str
    actor: str
    reason: str
    data: dict[str, Any]


class EventsMessage(TypedDict):
    type: Literal["rollout.events"]
    events: list[EventPayload]


def as_payload(event: Event) -> EventPayload:
    return {
        "id": event.id,
        "sequence": event.sequence,
        "kind": event.kind,
        "scale_set": event.scale_set_id,
        "operation": event.operation_id,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_name,
        "reason": event.reason,
        "data": event.data,
    }


def new_event(
    kind: EventKind,
    *,
    scale_set: ScaleSet | None,
    operation: UpgradeOperation | None = None,
    actor: Any = None,
    reason: str = "",
    at: datetime | None = None,
    **data: Any,
) -> Event:
    """An unsaved event; pass a list of them to ``record``."""
    actor_name = "Platform"
    actor_user = None
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_user = actor
        actor_name = actor.get_username()
    elif isinstance(actor, str):
        actor_name = actor
    return Event(
        kind=kind,
        scale_set=scale_set,
        operation=operation,
        created_at=at or timezone.now(),
        actor=actor_user,
        actor_name=actor_name,
        reason=reason,
        data=data,
    )


def record(events: Iterable[Event]) -> list[Event]:
    """Number the events in their scale sets' streams, write them, and broadcast them,
    grouped per scale set, after commit.

    The numbering and the rows are one atomic block (a savepoint inside the caller's
    transaction), so the stream row's lock is held until the caller commits.
    """
    rows = list(events)
    if not rows:
        return rows
    with transaction.atomic():
        by_scale_set: dict[int, list[Event]] = {}
        for row in rows:
            if row.scale_set_id is not None:
                by_scale_set.setdefault(row.scale_set_id, []).append(row)
        streams.hold_references(
            sorted(by_scale_set),
            [row.operation_id for row in rows if row.operation_id is not None],
        )
        # Always in the same order (by id), so two writers of several streams never deadlock.
        for scale_set_id in sorted(by_scale_set):
            numbered = by_scale_set[scale_set_id]
            first = streams.allocate(scale_set_id, len(numbered))
            for offset, row in enumerate(numbered):
                row.sequence = first + offset
        created = Event.objects.bulk_create(rows)
    if any(row.id is None for row in created):
        # SQLite before 3.35 and some backends don't return ids from bulk_create.
        created = [row if row.id is not None else _saved(row) for row in created]
    payloads = [as_payload(row) for row in created]
    transaction.on_commit(lambda: broadcast(payloads))
    enqueue_deliveries(created)  # G2: their deliveries, in this same transaction
    return created


def record_one(kind: EventKind, **kwargs: Any) -> Event:
    return record([new_event(kind, **kwargs)])[0]


def _saved(row: Event) -> Event:
    row.save()
    return row


def broadcast(payloads: list[EventPayload]) -> None:
    """Send one message per scale set group (and one to the fleet); never raise."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    by_group: dict[str, list[EventPayload]] = {}
    for payload in payloads:
        if payload["scale_set"] is not None:
            by_group.setdefault(group_for(payload["scale_set"]), []).append(payload)
    by_group[FLEET_GROUP] = fleet_digest(payloads)
    try:
        async_to_sync(_send_all)(layer, by_group)
    except Exception:  # the log is durable; browsers resync from it on reconnect
        logger.warning("could not broadcast %d events", len(payloads), exc_info=True)


def fleet_digest(payloads: list[EventPayload]) -> list[EventPayload]:
    """What the fleet's group gets of a commit: each scale set's newest event (its row is
    fetched again whatever the event says, and its sequence tells how far the stream is),
    and every event of no scale set. A 1,000-instance step is one entry, not 1,000, for
    every fleet page open."""
    newest: dict[int, EventPayload] = {}
    digest: list[EventPayload] = []
    for payload in payloads:
        scale_set = payload["scale_set"]
        if scale_set is None:
            digest.append(payload)
            continue
        kept = newest.get(scale_set)
        if kept is None or (payload["sequence"] or 0) > (kept["sequence"] or 0):
            newest[scale_set] = payload
    return digest + sorted(newest.values(), key=lambda p: p["id"])


async def _send_all(layer: Any, by_group: dict[str, list[EventPayload]]) -> None:
    """Every group's message in one trip through the event loop (one per group)."""
    for group, items in by_group.items():
        message: EventsMessage = {"type": "rollout.events", "events": items}
        await layer.group_send(group, message)

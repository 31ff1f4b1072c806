"""Websocket consumers of the live pages (B4): authorise, join, catch up, then forward.

1. Refuse anyone not logged in, and anyone whose roles do not let them see the scale set
   (R1; the handshake is closed before it is accepted: 4401, 4403).
2. Join the group FIRST, so nothing committed from now on can be missed.
3. Send a snapshot, or, when the browser says the last event id it has (``?after=123``), the
   events committed after it (a reconnect after a network drop or a server restart). Events a
   little older than that id, committed late by a concurrent transaction, are sent again; the
   browser ignores an id it has seen and re-applying a state changes nothing.
4. Forward every message of the group as it comes: one message per engine step.
5. Re-join the group every ``CHANNEL_GROUP_REJOIN`` seconds while connected: the channel
   layer forgets members after ``CHANNEL_GROUP_EXPIRY`` seconds, so the members of a web
   process that died leave soon, and a page open for hours stays in its group.

The consumers read, and write nothing. The fleet's socket carries only the events of scale
sets the user may see; an event that belongs to no scale set (a release, a publication, a
role assignment) reaches a user without a role at the root as a bare notice (its kind and id,
no data), which is all the fleet page needs to refresh. The user's roles are read again
every ``GRANTS_TTL`` seconds, so a role taken away stops the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from rollout.dashboard.fleet import fleet_snapshot
from rollout.dashboard.live import scale_set_snapshot
from rollout.dashboard.messages import EventsOut, FleetSnapshotMessage, SnapshotMessage
from rollout.events.log import FLEET_GROUP, EventPayload, EventsMessage, as_payload, group_for
from rollout.metrics import runtime
from rollout.models import Event, ScaleSet
from rollout.services.access.grants import Grants, grants_of
from rollout.services.access.roles import READ_SCALE_SET
from rollout.services.access.scopes import Scope

logger = logging.getLogger(__name__)

# A resume further behind than this gets a fresh snapshot instead of the events.
MAX_CATCH_UP = 20_000
CATCH_UP_CHUNK = 2_000
# Ids are allocated at insert, visibility comes at commit: look back this long for late ones.
RESUME_OVERLAP = timedelta(seconds=10)
UNAUTHORISED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
# R1: how long a consumer trusts the roles it read before reading them again.
GRANTS_TTL = 5.0


def resume_events(after: int, scale_set_id: int | None) -> list[EventPayload] | None:
    """The events after ``after`` (plus late commits just before it), or None: too many."""
    rows = Event.objects.all()
    if scale_set_id is not None:
        rows = rows.filter(scale_set_id=scale_set_id)
    anchor = Event.objects.filter(pk=after).values_list("created_at", flat=True).first()
    newer = list(rows.filter(pk__gt=after).order_by("id")[: MAX_CATCH_UP + 1])
    if len(newer) > MAX_CATCH_UP:
        return None
    late: list[Event] = []
    if anchor is not None:
        late = list(
            rows.filter(pk__lte=after, created_at__gte=anchor - RESUME_OVERLAP).order_by("id")
        )
    return [as_payload(event) for event in (*late, *newer)]


def encoded(out: EventsOut) -> str:
    """The message as JSON, encoded once for every browser this process serves.

    One engine step reaches each consumer of a group in this process as the same events; with
    50 pages open on a 1,000-instance rollout, encoding once instead of 50 times is most of the
    server's work per step. Event ids are unique, so (first, last, count) names a message.
    """
    events = out["events"]
    if not events:
        return json.dumps(out)
    key = (events[0]["id"], events[-1]["id"], len(events), out["catch_up"])
    text = _ENCODED.get(key)
    if text is None:
        text = json.dumps(out)
        _ENCODED[key] = text
        if len(_ENCODED) > ENCODED_KEPT:
            _ENCODED.popitem(last=False)
    return text


_ENCODED: OrderedDict[tuple[int, int, int, bool], str] = OrderedDict()
ENCODED_KEPT = 256


class LiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """What both live consumers share; subclasses name the group and the snapshot."""

    group: str
    scale_set_id: int | None = None  # None: every scale set (the fleet)
    # R1: the user's roles as last read, when, and which scale sets they let them see.
    _grants: Grants | None = None
    _grants_read: float = 0.0
    _visible: dict[int, bool]
    _rejoining: asyncio.Task[None] | None = None
    _counted = ""  # G3: the page label this socket is counted under, once accepted

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHORISED)
            return
        refusal = await self.authorise()
        if refusal:
            await self.close(code=refusal)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self._rejoining = asyncio.create_task(self._rejoin())
        await self.accept()
        self._counted = "fleet" if self.scale_set_id is None else "scale_set"
        runtime.websocket_opened(self._counted)  # G3
        after = self._after()
        if after is None:
            await self.send_snapshot()
            return
        events = await database_sync_to_async(resume_events)(after, self.scale_set_id)
        if events is None:
            await self.send_snapshot()
        else:
            await self.send_events(events, catch_up=True)

    async def disconnect(self, code: int) -> None:
        if self._counted:
            runtime.websocket_closed(self._counted)
            self._counted = ""
        if self._rejoining is not None:
            self._rejoining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rejoining
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _rejoin(self) -> None:
        """Renew the group membership before the channel layer's group expiry ends it."""
        while True:
            await asyncio.sleep(settings.CHANNEL_GROUP_REJOIN)
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception:  # Redis restarting: the next round, or the reconnect, re-joins
                logger.warning("could not renew %s in %s", self.channel_name, self.group)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            await self.send_snapshot()

    async def rollout_events(self, message: EventsMessage) -> None:
        """The group's message from ``rollout.events.log.broadcast``: forward what the user
        may see of it."""
        await self.send_events(message["events"], catch_up=False)

    async def send_events(self, events: Iterable[EventPayload], *, catch_up: bool) -> None:
        given = list(events)
        batch = await self.seen(given)
        if batch is None:  # the user may no longer see this stream
            await self.close(code=FORBIDDEN)
            return
        if not batch and not catch_up:
            return
        same = batch is given or batch == given
        for start in range(0, max(len(batch), 1), CATCH_UP_CHUNK):
            out: EventsOut = {
                "type": "events",
                "events": batch[start : start + CATCH_UP_CHUNK],
                "catch_up": catch_up,
            }
            # The shared encoding is keyed by event ids: only for the events as they came.
            await self.send(text_data=encoded(out) if same else json.dumps(out))

    async def authorise(self) -> int:
        """0, or the close code refusing the connection."""
        return 0

    async def seen(self, events: list[EventPayload]) -> list[EventPayload] | None:
        """The events this user may see (None: none any more, close)."""
        return events

    async def current_grants(self) -> Grants:
        """The user's roles, read again once ``GRANTS_TTL`` has passed (R1)."""
        now = time.monotonic()
        if self._grants is None or now - self._grants_read > GRANTS_TTL:
            user = self.scope.get("user")
            self._grants = await database_sync_to_async(_fresh_grants)(user)
            self._grants_read = now
            self._visible = {}
        assert self._grants is not None
        return self._grants

    async def send_snapshot(self) -> None:
        raise NotImplementedError

    def _after(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        values = query.get("after", [])
        if values and values[0].isdigit():
            return int(values[0])
        return None


def _fresh_grants(user: Any) -> Grants:
    if user is not None and getattr(user, "pk", None) is not None:
        user.refresh_from_db(fields=["is_active", "is_superuser"])
    return grants_of(user)


def _scale_set_scopes(ids: Iterable[int]) -> dict[int, Scope]:
    rows = ScaleSet.objects.filter(pk__in=list(ids)).select_related("resource_group__subscription")
    return {row.pk: Scope.of(row) for row in rows}


class ScaleSetConsumer(LiveConsumer):
    """``ws/scale-sets/<pk>/``: one scale set's grid, gauges and log."""

    scale_set_scope: Scope

    async def authorise(self) -> int:
        self.scale_set_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.group = group_for(self.scale_set_id)
        scopes = await database_sync_to_async(_scale_set_scopes)([self._pk()])
        if not scopes:
            return NOT_FOUND
        self.scale_set_scope = scopes[self._pk()]
        grants = await self.current_grants()
        return 0 if grants.allows(READ_SCALE_SET, self.scale_set_scope) else FORBIDDEN

    async def seen(self, events: list[EventPayload]) -> list[EventPayload] | None:
        grants = await self.current_grants()
        return events if grants.allows(READ_SCALE_SET, self.scale_set_scope) else None

    def _pk(self) -> int:
        assert self.scale_set_id is not None
        return self.scale_set_id

    async def send_snapshot(self) -> None:
        snapshot = await database_sync_to_async(self._snapshot)()
        if snapshot is None:
            await self.close(code=NOT_FOUND)
            return
        await self.send_json(snapshot)

    def _snapshot(self) -> SnapshotMessage | None:
        scale_set = ScaleSet.objects.filter(pk=self._pk()).first()
        if scale_set is None:
            return None
        return {"type": "snapshot", "snapshot": scale_set_snapshot(scale_set)}


class FleetConsumer(LiveConsumer):
    """``ws/fleet/``: the row of every scale set the user may see, on the fleet page."""

    group = FLEET_GROUP

    async def send_snapshot(self) -> None:
        grants = await self.current_grants()
        visible = grants.within("resource_group", READ_SCALE_SET)
        message: FleetSnapshotMessage = {
            "type": "fleet.snapshot",
            "snapshot": await database_sync_to_async(fleet_snapshot)(visible=visible),
        }
        await self.send_json(message)

    async def seen(self, events: list[EventPayload]) -> list[EventPayload] | None:
        grants = await self.current_grants()
        if grants.is_root and grants.allows(READ_SCALE_SET, Scope()):
            return events
        unknown = {e["scale_set"] for e in events if e["scale_set"] is not None}
        unknown -= set(self._visible)
        if unknown:
            scopes = await database_sync_to_async(_scale_set_scopes)(unknown)
            for pk in unknown:  # a deleted scale set's events are seen by nobody new
                scope = scopes.get(pk)
                self._visible[pk] = scope is not None and grants.allows(READ_SCALE_SET, scope)
        shown: list[EventPayload] = []
        for event in events:
            if event["scale_set"] is None:
                shown.append(_notice(event))
            elif self._visible[event["scale_set"]]:
                shown.append(event)
        return shown


def _notice(event: EventPayload) -> EventPayload:
    """An event of no scale set, as a user without a role at the root sees it."""
    return {**event, "operation": None, "actor": "", "reason": "", "data": {}}

"""Websocket consumers of the live pages (B4): authorise, join, catch up, then forward.

1. Refuse anyone not logged in, and anyone whose roles do not let them see the scale set
   (R1; the handshake is closed before it is accepted: 4401, 4403).
2. Join the group FIRST, so nothing committed from now on can be missed.
3. The scale set's socket: send a snapshot (stamped with the stream ``sequence`` it
   reflects) or, when the browser says the sequence it has (``?after=42``), the events
   numbered after it (``rollout.events.streams``). The fleet's: each visible scale set's
   stream head (``fleet.heads``); the page fetches again the rows older than their head.
4. Forward every message of the group as it comes: one message per engine step. The browser
   applies an event only when it is the next of its stream and asks (``{"type": "resync",
   "after": N}``) for what it missed; requests are rate limited per connection
   (``streaming.Resyncs``) and served off the event loop, in parallel, so neither a slow
   snapshot nor a flooding client holds up anyone else.
5. Every ``HEARTBEAT_SECONDS`` compare the committed head(s) with what was forwarded: a
   message the channel layer dropped (over capacity, a Redis restart) shows as a head the
   browser has not reached, which it then asks for. Nothing is lost silently.
6. Re-join the group every ``CHANNEL_GROUP_REJOIN`` seconds while connected: the channel
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
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from rollout.dashboard import streaming
from rollout.dashboard.live import scale_set_snapshot
from rollout.dashboard.messages import (
    EventsOut,
    FleetHeadsMessage,
    HeadMessage,
    SnapshotMessage,
)
from rollout.events import streams
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
UNAUTHORISED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
# R1: how long a consumer trusts the roles it read before reading them again.
GRANTS_TTL = 5.0


def resume_events(scale_set_id: int, after: int) -> list[EventPayload] | None:
    """The scale set's events numbered after ``after``, in order, or None: a snapshot is
    better (too many, or ``after`` is beyond the head: the database was reset)."""
    if after > streams.head(scale_set_id):
        return None
    rows = streams.events_after(scale_set_id, after, MAX_CATCH_UP + 1)
    if len(rows) > MAX_CATCH_UP:
        return None
    return [as_payload(event) for event in rows]


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
    """What both live consumers share; subclasses name the group, the catch-up and the
    heartbeat."""

    group: str
    scale_set_id: int | None = None  # None: every scale set (the fleet)
    # R1: the user's roles as last read, when, and which scale sets they let them see.
    _grants: Grants | None = None
    _grants_read: float = 0.0
    _visible: dict[int, bool]
    _counted = ""  # G3: the page label this socket is counted under, once accepted
    _tasks: list[asyncio.Task[None]]
    resyncs: streaming.Resyncs | None = None
    # The highest sequence forwarded, per scale set: what the heartbeat compares with.
    forwarded: dict[int, int]

    async def connect(self) -> None:
        self._tasks = []
        self.forwarded = {}
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHORISED)
            return
        refusal = await self.authorise()
        if refusal:
            await self.close(code=refusal)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self._tasks.append(asyncio.create_task(self._rejoin()))
        await self.accept()
        self._counted = "fleet" if self.scale_set_id is None else "scale_set"
        runtime.websocket_opened(self._counted)  # G3
        self.resyncs = streaming.Resyncs(self.serve_resync)
        # Served by the resync task: group messages are forwarded meanwhile, never queued
        # behind a slow catch-up (the browser orders both by sequence).
        self.resyncs.request(self._after())
        self._tasks.append(asyncio.create_task(self._heartbeat()))

    async def disconnect(self, code: int) -> None:
        if self._counted:
            runtime.websocket_closed(self._counted)
            self._counted = ""
        for task in getattr(self, "_tasks", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.resyncs is not None:
            await self.resyncs.close()
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

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(streaming.HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception:  # the database restarting: the next beat tries again
                logger.warning("heartbeat of %s failed", self.channel_name, exc_info=True)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            after = content.get("after")
            wanted = after if isinstance(after, int) and not isinstance(after, bool) else None
            if self.resyncs is not None:
                self.resyncs.request(wanted)

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
        for event in batch:
            scale_set, sequence = event["scale_set"], event["sequence"]
            if scale_set is not None and sequence is not None:
                self.forwarded[scale_set] = max(sequence, self.forwarded.get(scale_set, 0))
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
            self._grants = await streaming.read(_fresh_grants, user)
            self._grants_read = now
            self._visible = {}
        assert self._grants is not None
        return self._grants

    async def serve_resync(self, after: int) -> None:
        """Send what a resync asked for: the events after ``after``, or a snapshot."""
        raise NotImplementedError

    async def beat(self) -> None:
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
    _head_sent: int = 0

    async def authorise(self) -> int:
        self.scale_set_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.group = group_for(self.scale_set_id)
        scopes = await streaming.read(_scale_set_scopes, [self._pk()])
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

    async def serve_resync(self, after: int) -> None:
        if after != streaming.SNAPSHOT:
            events = await streaming.read(resume_events, self._pk(), after)
            if events is not None:
                await self.send_events(events, catch_up=True)
                return
        await self.send_snapshot()

    async def send_snapshot(self) -> None:
        if await self.seen([]) is None:
            await self.close(code=FORBIDDEN)
            return
        snapshot = await streaming.read(self._snapshot)
        if snapshot is None:
            await self.close(code=NOT_FOUND)
            return
        sequence = snapshot["snapshot"]["sequence"]
        if sequence > self.forwarded.get(self._pk(), 0):
            self.forwarded[self._pk()] = sequence
        await self.send_json(snapshot)

    async def beat(self) -> None:
        """Tell the browser the committed head when this consumer has not forwarded it (a
        message lost on the way), and close when the user may no longer see the scale set."""
        if await self.seen([]) is None:
            await self.close(code=FORBIDDEN)
            return
        head = await streaming.head(self._pk())
        if head > self.forwarded.get(self._pk(), 0) and head != self._head_sent:
            self._head_sent = head
            message: HeadMessage = {"type": "head", "sequence": head}
            await self.send_json(message)

    def _snapshot(self) -> SnapshotMessage | None:
        scale_set = ScaleSet.objects.filter(pk=self._pk()).first()
        if scale_set is None:
            return None
        return {"type": "snapshot", "snapshot": scale_set_snapshot(scale_set)}


class FleetConsumer(LiveConsumer):
    """``ws/fleet/``: the row of every scale set the user may see, on the fleet page.

    Its catch-up is a summary (each visible scale set's stream head, one query), not the
    rows: the page holds the rows, each stamped with the sequence it reflects, and fetches
    again those that are older than their head."""

    group = FLEET_GROUP
    _platform_sent: int = 0

    async def serve_resync(self, after: int) -> None:
        await self.send_heads(only_behind=False)

    async def beat(self) -> None:
        await self.send_heads(only_behind=True)

    async def send_heads(self, *, only_behind: bool) -> None:
        """The visible scale sets' heads (with ``only_behind``: those this consumer has not
        forwarded, if any), and the newest event of no scale set."""
        grants = await self.current_grants()
        visible = grants.within("resource_group", READ_SCALE_SET)
        heads, platform = await streaming.read(fleet_heads, visible)
        if only_behind:
            heads = {pk: head for pk, head in heads.items() if head > self.forwarded.get(pk, 0)}
            if not heads and platform <= self._platform_sent:
                return
        for pk, head in heads.items():
            self.forwarded[pk] = max(self.forwarded.get(pk, 0), head)
        self._platform_sent = max(self._platform_sent, platform)
        message: FleetHeadsMessage = {
            "type": "fleet.heads",
            "heads": {str(pk): head for pk, head in heads.items()},
            "platform": platform,
            "server_time": timezone.now().isoformat(),
        }
        await self.send_json(message)

    async def send_events(self, events: Iterable[EventPayload], *, catch_up: bool) -> None:
        given = list(events)
        newest = max((e["id"] for e in given if e["scale_set"] is None), default=0)
        self._platform_sent = max(self._platform_sent, newest)
        await super().send_events(given, catch_up=catch_up)

    async def seen(self, events: list[EventPayload]) -> list[EventPayload] | None:
        grants = await self.current_grants()
        if grants.is_root and grants.allows(READ_SCALE_SET, Scope()):
            return events
        unknown = {e["scale_set"] for e in events if e["scale_set"] is not None}
        unknown -= set(self._visible)
        if unknown:
            scopes = await streaming.read(_scale_set_scopes, unknown)
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


def fleet_heads(visible: Q | None) -> tuple[dict[int, int], int]:
    """Each visible scale set's stream head, and the newest event id of no scale set."""
    rows = ScaleSet.objects.all()
    if visible is not None:
        rows = rows.filter(visible)
    heads = {int(pk): int(head or 0) for pk, head in rows.values_list("pk", "stream__sequence")}
    platform = Event.objects.filter(scale_set__isnull=True).aggregate(newest=Max("id"))["newest"]
    return heads, int(platform or 0)


def _notice(event: EventPayload) -> EventPayload:
    """An event of no scale set, as a user without a role at the root sees it."""
    return {**event, "operation": None, "actor": "", "reason": "", "data": {}}

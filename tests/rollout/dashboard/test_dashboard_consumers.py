"""B4: the websockets. Refuse anonymous users, send a snapshot on connect, forward each
committed step as one message, and resume after the stream sequence a browser has."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from rollout.asgi import application
from rollout.models import Event
from rollout.services import enable_auto_upgrade
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(path: str, user: User | None = None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    return communicator, connected


async def receive(communicator: WebsocketCommunicator) -> Any:
    """The next message, past heartbeats (``head``: sent only while a broadcast is on its way)."""
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] != "head":
            return message


async def events_until(communicator: WebsocketCommunicator, kind: str) -> list[dict[str, Any]]:
    """Every forwarded event up to the first of ``kind``."""
    seen: list[dict[str, Any]] = []
    while not any(event["kind"] == kind for event in seen):
        message = await receive(communicator)
        if message["type"] == "fleet.heads":
            continue  # the heartbeat, when it ran while a broadcast was on its way
        assert message["type"] == "events"
        seen.extend(message["events"])
    return seen


class TestScaleSetSocket:
    async def test_b4_an_anonymous_user_is_refused(self, web10):
        _, connected = await connect(f"/ws/scale-sets/{web10.pk}/")
        assert connected is False

    async def test_b4_an_unknown_scale_set_is_refused(self, viewer):
        _, connected = await connect("/ws/scale-sets/999999/", viewer)
        assert connected is False

    async def test_b4_on_connect_a_full_snapshot(self, web10, viewer):
        communicator, connected = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
        assert connected is True
        message = await receive(communicator)
        assert message["type"] == "snapshot"
        snapshot = message["snapshot"]
        assert snapshot["scale_set"]["name"] == "web10"
        assert len(snapshot["instances"]) == 10
        await communicator.disconnect()

    async def test_b4_then_each_committed_step_arrives_as_one_message(self, web10, viewer):
        communicator, _ = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
        await receive(communicator)  # the snapshot
        operation = await sync_to_async(start_os_upgrade)(web10, actor="Platform")
        started = await receive(communicator)
        assert [e["kind"] for e in started["events"]] == ["upgrade_started"]
        now = timezone.now()
        await sync_to_async(advance_once)(operation.pk, now)  # plan
        await sync_to_async(advance_once)(operation.pk, now)  # the first batch starts
        plan = await receive(communicator)
        assert plan["catch_up"] is False
        assert any("plan" in e["data"] for e in plan["events"])
        step = await receive(communicator)
        kinds = [e["kind"] for e in step["events"]]
        assert kinds[0] == "batch_started"
        reimaging = [e for e in step["events"] if e["kind"] == "instance_changed"]
        assert reimaging and {e["data"]["state"] for e in reimaging} == {"reimaging"}
        assert len(reimaging) == len(step["events"][0]["data"]["instances"])
        await communicator.disconnect()

    async def test_b4_a_browser_resumes_after_its_sequence(self, web10, operator):
        operation = await sync_to_async(start_os_upgrade)(web10)
        await sync_to_async(advance_once)(operation.pk, timezone.now())
        first = await sync_to_async(lambda: Event.objects.filter(scale_set=web10).latest("id"))()
        # ...the browser drops off; meanwhile a batch starts and an operator acts
        await sync_to_async(advance_once)(operation.pk, timezone.now())
        await sync_to_async(enable_auto_upgrade)(web10, actor=operator, reason="back")
        path = f"/ws/scale-sets/{web10.pk}/?after={first.sequence}"
        communicator, _ = await connect(path, operator)
        message = await receive(communicator)
        assert message["type"] == "events" and message["catch_up"] is True
        sequences = [event["sequence"] for event in message["events"]]
        newer = await sync_to_async(
            lambda: list(
                Event.objects.filter(scale_set=web10, sequence__gt=first.sequence)
                .order_by("sequence")
                .values_list("sequence", flat=True)
            )
        )()
        assert sequences == newer, "exactly what was missed, in order"
        assert message["events"][-1]["kind"] == "auto_upgrade_enabled"
        assert message["events"][-1]["actor"] == "olivia"
        await communicator.disconnect()

    async def test_b4_a_resync_with_after_sends_the_missing_range(self, web10, viewer):
        communicator, _ = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
        snapshot = (await receive(communicator))["snapshot"]
        await sync_to_async(start_os_upgrade)(web10, actor="Platform")
        live = await receive(communicator)
        assert [e["sequence"] for e in live["events"]] == [snapshot["sequence"] + 1]
        await communicator.send_json_to({"type": "resync", "after": snapshot["sequence"]})
        again = await receive(communicator)
        assert again["catch_up"] is True
        assert again["events"] == live["events"]
        await communicator.disconnect()

    async def test_b4_a_resync_beyond_the_head_gets_a_snapshot(self, web10, viewer):
        communicator, _ = await connect(f"/ws/scale-sets/{web10.pk}/?after=9999", viewer)
        assert (await receive(communicator))["type"] == "snapshot"
        await communicator.disconnect()

    async def test_a_browser_may_ask_for_a_fresh_snapshot(self, web10, viewer):
        communicator, _ = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
        await receive(communicator)
        await communicator.send_json_to({"type": "resync"})
        assert (await receive(communicator))["type"] == "snapshot"
        await communicator.disconnect()

    async def test_another_scale_sets_news_does_not_arrive(self, web10, tiny3, viewer):
        communicator, _ = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
        await receive(communicator)
        await sync_to_async(start_os_upgrade)(tiny3)
        assert await communicator.receive_nothing(timeout=0.3) is True
        await communicator.disconnect()


class TestFleetSocket:
    async def test_b4_an_anonymous_user_is_refused(self, db: Any):
        _, connected = await connect("/ws/fleet/")
        assert connected is False

    async def test_b4_heads_then_every_scale_sets_events(self, web10, tiny3, viewer):
        communicator, connected = await connect("/ws/fleet/", viewer)
        assert connected is True
        message = await receive(communicator)
        assert message["type"] == "fleet.heads"
        assert set(message["heads"]) == {str(web10.pk), str(tiny3.pk)}
        await sync_to_async(start_os_upgrade)(tiny3)
        events = await events_until(communicator, "upgrade_started")
        assert events[-1]["scale_set"] == tiny3.pk
        assert events[-1]["sequence"] == message["heads"][str(tiny3.pk)] + 1
        await communicator.disconnect()

    async def test_b4_the_fleet_resumes_with_the_heads(self, web10, operator):
        await sync_to_async(enable_auto_upgrade)(web10, actor=operator)
        communicator, _ = await connect("/ws/fleet/?after=0", operator)
        message = await receive(communicator)
        assert message["type"] == "fleet.heads"
        head = await sync_to_async(
            lambda: Event.objects.filter(scale_set=web10).latest("sequence").sequence
        )()
        assert message["heads"][str(web10.pk)] == head
        await communicator.disconnect()

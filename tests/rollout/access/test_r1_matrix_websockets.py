"""R1, the websocket face: each role at each scope; the scale set's socket opens only for a
principal that may read it (else closes with 4403 before accepting), the fleet's socket
sends only the rows and the events of scale sets the principal may see, and an event of no
scale set reaches a principal without a role at the root as a bare notice."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from rollout.asgi import application
from rollout.events.log import record_one
from rollout.models import EventKind, RoleAssignment, ScaleSet
from tests.rollout.access.conftest import ROLES, SCOPES, expected, principal

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def open_socket(path: str, user: User) -> tuple[WebsocketCommunicator, bool, int | None]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    headers.append((b"cookie", await sync_to_async(cookie)(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    return communicator, connected, code


def event_for(scale_set: ScaleSet | None) -> None:
    record_one(
        EventKind.FAULT_RULE_ADDED, scale_set=scale_set, actor="test", reason="matrix", secret="x"
    )


async def test_r1_each_role_at_each_scope_on_the_websockets(world: ScaleSet) -> None:
    web10 = world
    for role in ROLES:
        for scope in SCOPES:
            user = await sync_to_async(principal)(role, scope)
            may_read = expected(role, scope, "read")
            socket, connected, code = await open_socket(f"/ws/scale-sets/{web10.pk}/", user)
            assert connected is may_read, f"{role} at {scope}: the scale set's socket"
            if connected:
                assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
                await socket.disconnect()
            else:
                assert code == 4403
            fleet, connected, _ = await open_socket("/ws/fleet/", user)
            assert connected
            summary = await fleet.receive_json_from(timeout=TIMEOUT)
            assert summary["type"] == "fleet.heads"
            shown = str(web10.pk) in summary["heads"]
            assert shown is may_read, f"{role} at {scope}: the fleet's heads"
            await sync_to_async(event_for)(web10)
            await sync_to_async(event_for)(None)
            events = (await fleet.receive_json_from(timeout=TIMEOUT))["events"]
            if may_read:
                assert events[0]["scale_set"] == web10.pk and events[0]["data"]["secret"] == "x"
                events = (await fleet.receive_json_from(timeout=TIMEOUT))["events"]
            assert events[0]["scale_set"] is None and events[0]["data"] == {}, role
            assert await fleet.receive_nothing(timeout=0.1)
            await fleet.disconnect()


async def test_r1_a_role_taken_away_stops_the_scale_sets_stream(
    world: ScaleSet, monkeypatch: Any
) -> None:
    from rollout.dashboard import consumers

    monkeypatch.setattr(consumers, "GRANTS_TTL", 0.0)  # read the roles again at each message
    user = await sync_to_async(principal)("Reader", "group")
    socket, connected, _ = await open_socket(f"/ws/scale-sets/{world.pk}/", user)
    assert connected
    await socket.receive_json_from(timeout=TIMEOUT)
    await sync_to_async(RoleAssignment.objects.filter(principal=user).delete)()
    await sync_to_async(event_for)(world)
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4403}

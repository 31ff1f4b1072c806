"""Redis goes away mid-rollout and comes back empty (no persistence, as in docker-compose).

The worker must survive (Celery 5.7 exited on "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')", rollout/broker.py), the rollout must complete once Redis
is back with every instance upgraded exactly once, and the web server keeps serving pages
while Redis is down; its websockets come back once Redis does.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.faults.rollouts import assert_upgraded_exactly_once, in_flight_batch, start, wait_ended
from tests.support import RedisServer, Stack, session_cookie, wait_until
from tests.support.fleets import Site, grant
from tests.support.websockets import HandshakeRefused, LiveSocket


def get(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


async def reconnect(port: int, path: str, cookie: str, timeout: float) -> LiveSocket:
    """A live socket, retried as the browser's socket.js does until the server accepts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await LiveSocket.open(port, path, cookie)
        except (HandshakeRefused, ConnectionError, asyncio.IncompleteReadError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def next_live_events(socket: LiveSocket, timeout: float) -> dict[str, Any] | None:
    """The next message of live (not catch-up) events, or None when the socket closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await socket.receive(timeout=deadline - time.monotonic())
        if message is None or (message["type"] == "events" and not message["catch_up"]):
            return message
    return None


async def first_snapshot(socket: LiveSocket, timeout: float) -> dict[str, Any] | None:
    """The snapshot a new socket is sent. Live events may come before it: the server forwards
    them while it reads the snapshot, and the browser orders both by sequence (L1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await socket.receive(timeout=deadline - time.monotonic())
        if message is None or message["type"] == "snapshot":
            return message
    return None


def redis_outage_mid_rollout(
    site: Site, stack: Stack, redis_server: RedisServer, down_for: float
) -> None:
    scale_set = site.add_scale_set("redis-drill", 40, max_batch_instance_percent=10)
    grant(get_user_model().objects.create_user("watcher", password="x"), "Reader")
    cookie = session_cookie("watcher")
    stack.start(web=True, workers=1, beat=True, pool="prefork")
    worker = stack.workers[0]
    web = stack.web
    assert web is not None
    path = f"/ws/scale-sets/{scale_set.pk}/"

    loop = asyncio.new_event_loop()  # sockets across the drill; the database between steps
    try:
        socket = loop.run_until_complete(LiveSocket.open(web.port, path, cookie))
        assert loop.run_until_complete(first_snapshot(socket, timeout=30)) is not None
        operation = start(scale_set)
        wait_until(lambda: in_flight_batch(operation) is not None, 30, "a batch in flight")
        worker_log = worker.log_size()
        redis_server.kill()
        down_since = time.monotonic()
        # The web server keeps serving pages without Redis.
        assert get(f"{web.url}/login/") == 200
        assert get(f"{web.url}/scale-sets/{scale_set.pk}/", cookie) == 200
        time.sleep(max(0.0, down_for - (time.monotonic() - down_since)))
        redis_server.start()
        wait_until(
            lambda: not worker.running or "Connected to" in worker.output(since=worker_log),
            60,
            "the worker to reconnect",
        )
        assert worker.running, f"the worker exited while Redis was down\n{worker.tail()}"
        # Back: a page's socket reconnects and the rollout's events flow again.
        loop.run_until_complete(socket.close())
        socket = loop.run_until_complete(reconnect(web.port, path, cookie, timeout=30))
        assert loop.run_until_complete(first_snapshot(socket, timeout=30)) is not None
        operation.refresh_from_db()
        if operation.is_active:
            assert loop.run_until_complete(next_live_events(socket, timeout=60)) is not None
        loop.run_until_complete(socket.close())
    finally:
        loop.close()
    wait_ended(operation, 90, f"after Redis was down {down_for:g} s", alive=[worker, web])
    assert_upgraded_exactly_once(operation)
    log = worker.output(since=worker_log)
    assert "Connection to broker lost" in log, "the outage never reached the worker"
    assert "Unrecoverable error" not in log
    assert worker.running and worker.starts == 1, worker.tail()
    assert web.running and web.starts == 1


@pytest.mark.parametrize("down_for", [3.0, 30.0])
def test_redis_down_mid_rollout_worker_survives_and_rollout_completes(
    site: Site, fault_stack: Stack, redis_server: RedisServer, down_for: float
) -> None:
    redis_outage_mid_rollout(site, fault_stack, redis_server, down_for)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_redis_down_5_minutes_mid_rollout(
    site: Site, fault_stack: Stack, redis_server: RedisServer
) -> None:
    redis_outage_mid_rollout(site, fault_stack, redis_server, 300.0)

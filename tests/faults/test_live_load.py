"""L1 under load (issue 10.10): 50 websocket clients, 500 scale sets, 10 rollouts at once.

Each client speaks the browser's protocol (static/rollwright/js/stream.js, here in Python):
the 40 scale set clients (4 per rollout) keep the cells of their scale set from a snapshot
and the events numbered after it, applying only the next sequence and asking for what they
miss (``{"type": "resync", "after": N}``) after a grace; the 10 fleet clients keep every
scale set's head from ``fleet.heads`` and the events. When every rollout has ended, every
client's state must equal the server's: each cell's state, each stream's head. The gaps the
clients repaired are printed.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from rollout.models import (
    ACTIVE_STATUSES,
    InstanceUpgrade,
    ScaleSet,
    ScaleSetStream,
    UpgradeOperation,
)
from tests.faults.rollouts import start
from tests.support import Stack, session_cookie
from tests.support.fleets import Site
from tests.support.websockets import LiveSocket, masked

pytestmark = pytest.mark.slow

SCALE_SETS = 500
ROLLOUTS = 10
ROLLOUT_CAPACITY = 20
CLIENTS_PER_ROLLOUT = 4
FLEET_CLIENTS = 10
GRACE = 0.4  # stream.js's GRACE_MS


class StreamClient:
    """One scale set page: cells from the snapshot, then the stream in order."""

    def __init__(self, socket: LiveSocket) -> None:
        self.socket = socket
        self.sequence = -1  # no snapshot yet
        self.cells: dict[str, str] = {}
        self.operation: int | None = None
        self.pending: dict[int, dict[str, Any]] = {}
        self.head = 0
        self.gaps = 0
        self.behind_since: float | None = None

    def receive(self, message: dict[str, Any]) -> None:
        if message["type"] == "snapshot":
            snapshot = message["snapshot"]
            self.cells = {cell["id"]: cell["state"] for cell in snapshot["instances"]}
            operation = snapshot["operation"]
            self.operation = operation["id"] if operation else None
            self.sequence = snapshot["sequence"]
            self.pending = {k: v for k, v in self.pending.items() if k > self.sequence}
        elif message["type"] == "events":
            for event in message["events"]:
                if event["sequence"] > self.sequence:
                    self.pending[event["sequence"]] = event
        elif message["type"] == "head":
            self.head = max(self.head, message["sequence"])
        if self.sequence < 0:
            return
        while self.sequence + 1 in self.pending:
            self.sequence += 1
            self.apply(self.pending.pop(self.sequence))
        self.head = max(self.head, self.sequence)

    def apply(self, event: dict[str, Any]) -> None:
        data = event["data"]
        if event["kind"] == "upgrade_started":
            self.operation = event["operation"]
            self.cells = dict.fromkeys(self.cells, "idle")
        elif event["operation"] != self.operation:
            return
        elif event["kind"] == "decision" and data.get("plan"):
            for batch in data["plan"]:
                for instance in batch["instances"]:
                    self.cells[str(instance)] = "pending"
            for instance in data.get("skipped") or []:
                self.cells[str(instance)] = "skipped"
        elif event["kind"] == "instance_changed":
            self.cells[str(data["instance"])] = data["state"]

    def behind(self) -> bool:
        return bool(self.pending) or self.head > self.sequence

    async def repair(self) -> None:
        """A gap that outlived the grace: ask for the events after the sequence reached."""
        now = time.monotonic()
        if not self.behind() or self.sequence < 0:
            self.behind_since = None
            return
        if self.behind_since is None:
            self.behind_since = now
        elif now - self.behind_since >= GRACE:
            self.gaps += 1
            self.behind_since = now + 2.6  # stream.js's retry: 3 s after asking
            await send(self.socket, {"type": "resync", "after": self.sequence})


class FleetClient:
    """One fleet page: every scale set's head, from the summary and the events."""

    def __init__(self, socket: LiveSocket) -> None:
        self.socket = socket
        self.heads: dict[int, int] = {}
        self.gaps = 0

    def receive(self, message: dict[str, Any]) -> None:
        if message["type"] == "fleet.heads":
            for key, head in message["heads"].items():
                if head > self.heads.get(int(key), 0) and self.heads:
                    self.gaps += 1  # a head no event brought: the row is fetched again
                self.heads[int(key)] = max(self.heads.get(int(key), 0), head)
        elif message["type"] == "events":
            for event in message["events"]:
                if event["scale_set"] is not None:
                    pk = event["scale_set"]
                    self.heads[pk] = max(self.heads.get(pk, 0), event["sequence"])

    async def repair(self) -> None:
        return None


async def send(socket: LiveSocket, content: dict[str, Any]) -> None:
    socket.writer.write(masked(0x1, json.dumps(content).encode()))
    await socket.writer.drain()


async def follow(client: StreamClient | FleetClient, stop: threading.Event) -> None:
    """Read the socket in a task of its own (a time-out must never cut a frame in half) and
    apply what came, looking for gaps to repair every 0.1 s."""
    inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def pump() -> None:
        while True:
            message = await client.socket.receive(timeout=3600)
            inbox.put_nowait(message)
            if message is None:
                return

    pumping = asyncio.create_task(pump())
    try:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(inbox.get(), 0.1)
            except TimeoutError:
                message = {}
            if message is None:
                raise AssertionError("a client's socket was closed")
            if message:
                client.receive(message)
            await client.repair()
    finally:
        pumping.cancel()


class Clients(threading.Thread):
    """The 50 clients, in an event loop of their own."""

    def __init__(self, port: int, cookie: str, watched: list[int]) -> None:
        super().__init__(daemon=True)
        self.port, self.cookie, self.watched = port, cookie, watched
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.clients: list[StreamClient | FleetClient] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self.main())
        except BaseException as error:
            self.error = error
            self.ready.set()

    async def main(self) -> None:
        for pk in self.watched:
            for _ in range(CLIENTS_PER_ROLLOUT):
                socket = await LiveSocket.open(self.port, f"/ws/scale-sets/{pk}/", self.cookie)
                self.clients.append(StreamClient(socket))
        for _ in range(FLEET_CLIENTS):
            socket = await LiveSocket.open(self.port, "/ws/fleet/", self.cookie)
            self.clients.append(FleetClient(socket))
        tasks = [asyncio.create_task(follow(client, self.stop)) for client in self.clients]
        while any(isinstance(c, StreamClient) and c.sequence < 0 for c in self.clients):
            await asyncio.sleep(0.05)
        self.ready.set()
        await asyncio.gather(*tasks)
        for client in self.clients:
            await client.socket.close()


def server_cells(scale_set: ScaleSet) -> dict[str, str]:
    operation = UpgradeOperation.objects.filter(scale_set=scale_set).order_by("-id").first()
    rows = dict(
        InstanceUpgrade.objects.filter(operation=operation).values_list(
            "instance__instance_id", "state"
        )
    )
    return {
        str(key): rows.get(key, "idle")
        for key in scale_set.instances.values_list("instance_id", flat=True)
    }


def test_l1_fifty_clients_500_scale_sets_10_rollouts_end_equal_to_the_server(
    fault_stack: Stack, site: Site, django_user_model: Any
) -> None:
    django_user_model.objects.create_superuser("loader", password="x")
    rolling = [
        site.add_scale_set(f"roll-{i:02}", ROLLOUT_CAPACITY, zones=["1", "2", "3"])
        for i in range(ROLLOUTS)
    ]
    for i in range(SCALE_SETS - ROLLOUTS):
        site.add_scale_set(f"quiet-{i:03}", 2, zones=["1"])
    fault_stack.start(web=True, workers=2, concurrency=4)
    clients = Clients(fault_stack.port, session_cookie("loader"), [s.pk for s in rolling])
    clients.start()
    assert clients.ready.wait(120), "the clients did not connect"
    assert clients.error is None, clients.error
    started = time.monotonic()
    operations = [start(s) for s in rolling]
    deadline = time.monotonic() + 300
    while UpgradeOperation.objects.filter(
        pk__in=[o.pk for o in operations], status__in=ACTIVE_STATUSES
    ).exists():
        assert time.monotonic() < deadline, "the rollouts did not end in 5 minutes"
        time.sleep(0.5)
    took = time.monotonic() - started
    heads = dict(ScaleSetStream.objects.values_list("scale_set_id", "sequence"))
    wanted = {s.pk: server_cells(s) for s in rolling}
    # Converge: the last messages land, the heartbeat reveals what was lost, repairs answer.
    settle = time.monotonic() + 15
    while time.monotonic() < settle:
        stream_clients = [c for c in clients.clients if isinstance(c, StreamClient)]
        fleet_clients = [c for c in clients.clients if isinstance(c, FleetClient)]
        done = all(
            c.cells == wanted[rolling[i // CLIENTS_PER_ROLLOUT].pk]
            and c.sequence == heads[rolling[i // CLIENTS_PER_ROLLOUT].pk]
            for i, c in enumerate(stream_clients)
        ) and all(
            all(c.heads.get(pk, 0) == head for pk, head in heads.items()) for c in fleet_clients
        )
        if done:
            break
        time.sleep(0.2)
    clients.stop.set()
    clients.join(30)
    assert clients.error is None, clients.error
    gaps = sum(c.gaps for c in clients.clients)
    print(
        f"\n{len(clients.clients)} clients, {SCALE_SETS} scale sets, {ROLLOUTS} rollouts of "
        f"{ROLLOUT_CAPACITY} in {took:.1f} s; gaps repaired: {gaps} "
        f"({sum(c.gaps for c in clients.clients if isinstance(c, StreamClient))} by scale set "
        f"clients, {sum(c.gaps for c in clients.clients if isinstance(c, FleetClient))} rows "
        "found behind by fleet clients)"
    )
    for index, client in enumerate(c for c in clients.clients if isinstance(c, StreamClient)):
        scale_set = rolling[index // CLIENTS_PER_ROLLOUT]
        assert client.cells == wanted[scale_set.pk], f"client {index} of {scale_set.name}"
        assert client.sequence == heads[scale_set.pk]
    for client in (c for c in clients.clients if isinstance(c, FleetClient)):
        behind = {pk: (client.heads.get(pk), head) for pk, head in heads.items()}
        assert all(mine == head for mine, head in behind.values()), behind

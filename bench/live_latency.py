"""B4's figures: how long a committed change takes to reach a browser, and the first paint.

Run it as ``.venv/bin/python bench/live_latency.py`` (``make bench`` does). It prints, and never
asserts, two figures beside their targets:

1. the latency from a state change's commit to its arrival in a websocket client (median, p95,
   p99 over every message and every client) while a 1,000-instance rollout (``fleet-1000``)
   streams to 50 clients: target p99 under 150 ms. The rollout is driven in this process by
   ``advance_once`` (``rollout.services.upgrades.stepping``) with the engine's own clock, one
   step after another (a harsher stream than real time), each step in a transaction whose
   commit is timestamped by an ``on_commit`` hook that runs just before the broadcast. The 50
   clients are plain RFC 6455 clients in a subprocess, logged in with a session cookie; the
   web server is daphne with the Redis channel layer, as in production.
   In headless Chromium on the same stream: the work of each animation frame, and the long
   tasks (PerformanceObserver 'longtask', the main thread busy over 50 ms): count and longest,
   target none over 100 ms.
2. the first paint of the 1,000-instance grid in headless Chromium (Debian's
   /usr/bin/chromium): navigation start to the grid drawn, the median of 5 loads: target under
   1 s.

Everything runs on a throw-away SQLite database (``--database-url postgresql://...``: that
PostgreSQL database, dropped and created again) and a Redis database of its own, flushed first
(``--redis-url``, else ``$ROLLWRIGHT_BENCH_REDIS_URL``, else an idle one claimed for the run),
with the demo fleet; daphne runs under the harness of tests/support (``Stack``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Stack,
    chromium_launch_options,
    log_in,
    scratch_rollwright,
    session_cookie,
)
from tests.support.websockets import handshake, masked, read_frame  # noqa: E402

CLIENTS = 50
LONG_TASK_TARGET_MS = 100
# Every long task the page runs (the main thread busy for over 50 ms), from the first script.
WATCH_LONG_TASKS = """
window.rollwrightLongTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.rollwrightLongTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""
FIRST_ID = re.compile(rb'"events": \[\{"id": (\d+)')


# -- the clients (a subprocess: `live_latency.py --clients N --port P --path ... --cookie ...`)


async def client(port: int, path: str, cookie: str, arrivals: list[tuple[int, float]]) -> None:
    reader, writer = await handshake(port, path, cookie)
    parts: list[bytes] = []
    while True:
        final, opcode, payload = await read_frame(reader)
        if opcode == 0x9:  # ping
            writer.write(masked(0xA, payload))
            continue
        if opcode == 0x8:
            return
        if opcode == 0xA:
            continue
        parts.append(payload)
        if not final:
            continue
        arrived = time.time()
        # The first event's id, without decoding the whole message: 50 clients share this
        # process, and decoding here would delay the next client's arrival, not the server.
        head = parts[0][:200]
        parts = []
        if head.startswith(b'{"type": "events"'):
            found = FIRST_ID.search(head)
            if found:
                arrivals.append((int(found.group(1)), arrived))
        elif head.startswith(b'{"type": "snapshot"'):
            arrivals.append((0, arrived))


async def run_clients(count: int, port: int, path: str, cookie: str) -> None:
    arrivals: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    tasks = [asyncio.create_task(client(port, path, cookie, arrivals[i])) for i in range(count)]
    while sum(1 for a in arrivals if a) < count:  # every client has its snapshot
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "stop"
    for task in tasks:
        task.cancel()
    print(json.dumps(arrivals), flush=True)


# -- the driver


class Rollout:
    """fleet-1000's automatic upgrade, driven step by step with the engine's own clock."""

    def __init__(self) -> None:
        from django.utils import timezone

        from rollout.models import ScaleSet, StartedBy
        from rollout.services.upgrades.operations import start_os_upgrade

        scale_set = ScaleSet.objects.get(name="fleet-1000")
        self.operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM, actor="bench")
        self.now = timezone.now()
        self.ended = False

    def drive(self, budget: float) -> tuple[dict[int, float], int, float]:
        """Steps for ``budget`` seconds; returns {first event id of a step: commit time}."""
        from django.db import transaction

        from rollout.models import Event
        from rollout.services.upgrades.stepping import advance_once

        newest = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        commits: dict[int, float] = {}
        started = time.monotonic()
        steps = 0
        stamps: list[float] = []
        while not self.ended and time.monotonic() - started < budget:
            taken = len(stamps)
            with transaction.atomic():
                # Registered first: runs first after the commit, right before the broadcast.
                transaction.on_commit(lambda: stamps.append(time.time()))
                recheck = advance_once(self.operation.pk, self.now)
            ids = list(Event.objects.filter(id__gt=newest).values_list("id", flat=True))
            if ids and len(stamps) > taken:
                commits[min(ids)] = stamps[taken]
                newest = max(ids)
                steps += 1
            if recheck is None:
                self.ended = True
            else:
                self.now = max(self.now, recheck)
        return commits, steps, time.monotonic() - started


def latency(args: argparse.Namespace, stack: Stack, rollout: Rollout) -> None:
    from rollout.models import ScaleSet

    scale_set = ScaleSet.objects.get(name="fleet-1000")
    cookie = session_cookie("operator")
    clients = subprocess.Popen(
        [sys.executable, __file__, "--clients", str(args.clients), "--port", str(stack.port),
         "--path", f"/ws/scale-sets/{scale_set.pk}/", "--cookie", cookie],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert clients.stdout is not None and clients.stdin is not None
    if clients.stdout.readline().strip() != "READY":
        raise RuntimeError("the websocket clients did not connect")
    commits, steps, took = rollout.drive(args.budget)
    time.sleep(1.0)  # the last messages land
    clients.stdin.write("stop\n")
    clients.stdin.flush()
    arrivals = json.loads(clients.stdout.readline())
    clients.wait(timeout=10)
    samples = [
        (arrived - commits[first]) * 1000
        for per_client in arrivals
        for first, arrived in per_client
        if first in commits
    ]
    print(
        f"1. commit -> websocket arrival, {args.clients} clients, fleet-1000: {steps} engine "
        f"steps in {took:.1f} s, {len(samples)} of {len(commits) * args.clients} messages received"
    )
    if not samples:
        print("   no message arrived: is Redis answering, did daphne start?")
        return
    cuts = statistics.quantiles(samples, n=100) if len(samples) > 1 else [samples[0]] * 99
    print(
        f"   median {statistics.median(samples):.1f} ms, p95 {cuts[94]:.1f} ms, "
        f"p99 {cuts[98]:.1f} ms, max {max(samples):.1f} ms   (target: p99 < 150 ms)"
    )


def frame_work(watcher: Browser, rollout: Rollout, budget: float) -> None:
    """The rest of the stream into a real browser: the work each animation frame costs, and
    the long tasks (over 50 ms: PerformanceObserver 'longtask') while it streams."""
    watcher.ask("longtasks")  # only those of this stream
    rollout.drive(budget)
    time.sleep(0.5)
    frames = sorted(watcher.ask("frames"))
    if frames:
        print(
            f"   then in headless Chromium on the same grid: {len(frames)} animation frames, "
            f"median {statistics.median(frames):.1f} ms, max {frames[-1]:.1f} ms of work each"
        )
    long_tasks = sorted(watcher.ask("longtasks"))
    over = sum(1 for duration in long_tasks if duration > LONG_TASK_TARGET_MS)
    longest = f"{long_tasks[-1]:.0f} ms" if long_tasks else "none"
    print(
        f"   long tasks (> 50 ms) in those {budget:.0f} s: {len(long_tasks)}, longest {longest}, "
        f"{over} over {LONG_TASK_TARGET_MS} ms   (target: none over {LONG_TASK_TARGET_MS} ms)"
    )


class Browser(threading.Thread):
    """Headless Chromium in a thread of its own: Playwright's sync API runs an event loop in
    its thread, and the driver's broadcasts (async_to_sync) must not share one."""

    def __init__(self, stack: Stack, scale_set_id: int) -> None:
        super().__init__(daemon=True)
        self.url = f"{stack.url}/scale-sets/{scale_set_id}/"
        self.stack = stack
        self.requests: queue.Queue[tuple[str, int]] = queue.Queue()
        self.answers: queue.Queue[Any] = queue.Queue()

    def ask(self, what: str, count: int = 0) -> Any:
        self.requests.put((what, count))
        answer = self.answers.get(timeout=300)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        from tests.support.fleets import DEMO_PASSWORD

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**chromium_launch_options())
                page = log_in(browser, self.stack.url, "operator", DEMO_PASSWORD)
                page.add_init_script(WATCH_LONG_TASKS)
                page.goto(self.url)
                page.wait_for_selector("#live-status[data-status=live]")
                self.answers.put("watching")
                while True:
                    what, count = self.requests.get()
                    if what == "frames":
                        self.answers.put(
                            page.evaluate(
                                """() => performance.getEntriesByName("rollwright:apply")
                                    .map((m) => m.duration)"""
                            )
                        )
                    elif what == "longtasks":  # those since the last ask
                        self.answers.put(
                            page.evaluate("() => window.rollwrightLongTasks.splice(0)")
                        )
                    elif what == "paint":
                        self.answers.put([self.paint(page) for _ in range(count)])
                    else:
                        browser.close()
                        self.answers.put(None)
                        return
        except BaseException as error:  # surfaces in the main thread
            self.answers.put(error)

    def paint(self, page: Any) -> dict[str, float]:
        page.goto(self.url)
        page.wait_for_selector("body[data-grid-ready]")
        page.wait_for_timeout(100)
        timings: dict[str, float] = page.evaluate(
            """() => ({
              grid: performance.getEntriesByName("rollwright:grid-painted")[0].startTime,
              fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
              cells: document.querySelectorAll("[data-instance-id]").length,
            })"""
        )
        assert timings["cells"] == 1000, timings
        return timings


def first_paint(watcher: Browser, loads: int) -> None:
    timings = watcher.ask("paint", loads)
    painted = statistics.median(t["grid"] for t in timings)
    contentful = statistics.median(t["fcp"] for t in timings if t.get("fcp") is not None)
    print(
        f"2. first paint of the 1,000-instance grid (navigation start -> grid drawn), "
        f"median of {loads}: {painted:.0f} ms (first contentful paint {contentful:.0f} ms)"
        "   (target: < 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="default: an idle Redis database")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--budget", type=float, default=45.0, help="seconds of rollout to stream")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--port", type=int)
    parser.add_argument("--path")
    parser.add_argument("--cookie")
    args = parser.parse_args()
    if args.port:  # the clients' subprocess
        asyncio.run(run_clients(args.clients, args.port, args.path, args.cookie))
        return
    with scratch_rollwright(
        database_url=args.database_url, redis_url=args.redis_url, time_scale=60.0
    ) as scratch:
        from rollout.models import ScaleSet
        from tests.support.fleets import demo_fleet

        demo_fleet(admin=True)
        with Stack(scratch.env) as stack:
            stack.start(web=True, workers=0)
            rollout = Rollout()
            latency(args, stack, rollout)
            watcher = Browser(stack, ScaleSet.objects.get(name="fleet-1000").pk)
            watcher.start()
            if watcher.answers.get(timeout=120) != "watching":
                raise RuntimeError("the browser could not open the grid")
            frame_work(watcher, rollout, args.budget / 3)
            first_paint(watcher, args.loads)
            watcher.ask("stop")


if __name__ == "__main__":
    main()

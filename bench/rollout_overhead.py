"""How much time and how many queries Rollwright adds to a rollout (issue 3's benchmark).

Run it as ``.venv/bin/python bench/rollout_overhead.py`` (``make bench`` does). It prints, and
never asserts, four figures beside their targets:

1. planning time (``orchestrator.planner.plan_batches``) for 1,000 and 10,000 instances over
   3 zones × 5 update domains, the median of several runs: target under 100 ms for 10,000;
2. the wall time of a 1,000-instance rollout through a real Celery worker and real Redis with
   an instant provider (every simulated timing zero), from ``start_os_upgrade`` to Completed:
   target under 5 s on a 2-core machine;
3. database queries per step and per batch of the same rollout run in-process
   (``rollout.tasks.upgrades.advance_once`` with an explicit ``now``, no Celery) for 10-, 100- and
   1,000-instance zonal scale sets and a 1,000-instance regional one (batches of 1, ~7, ~67
   and 200): target a constant number per batch, whatever the batch size; with the time per
   step split by phase (provider rows, snapshot, observe, engine, apply, commit);
4. the wall time of a time-scaled rollout (10 instances, time scale 60, realistic timings
   without jitter) through the Celery worker over its ideal critical path, batches ×
   (reimage + healthy-after) / scale (+ pauses): target at most 1.05; with where the extra
   time went, from the rows' timestamps.

Figures 2 and 4 also show the runtime of every task, from the worker's log.

Everything runs on a throw-away database: a fresh SQLite file in a temporary directory, or
``--database-url postgresql://postgres@127.0.0.1:5432/rollwright_bench`` (created when missing;
each run adds its own resource group). Celery uses ``--redis-url`` (default
redis://127.0.0.1:6379/15, a spare database that is flushed first). Settings come from
``bench/settings_bench.py``. ``--profile`` adds a cProfile of the in-process 1,000-instance
rollout; ``--no-celery`` skips figures 2 and 4.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from unittest import mock
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestrator.model import InstanceView, Observation  # noqa: E402
from orchestrator.planner import plan_batches  # noqa: E402
from orchestrator.policy import UpgradeKind, effective_policy  # noqa: E402

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
TIME_SCALE = 60.0
INSTANT: dict[str, float] = {
    "reimage_seconds": 0,
    "restore_seconds": 0,
    "healthy_after_seconds": 0,
    "jitter": 0,
}
# BehaviourModel's defaults (reimage 60 s, healthy 20 s later), without jitter.
REALISTIC: dict[str, float] = {"jitter": 0}
OLD_VERSION = "22.04.202610140"
NEW_VERSION = "22.04.202611110"
UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-LTS"}
ZONES = ["1", "2", "3"]

WORKER_READY_TIMEOUT = 45.0
INSTANT_ROLLOUT_TIMEOUT = 90.0
TASK_RUNTIME = re.compile(r"Task rollout\.tasks\.advance\[[^\]]*\] succeeded in ([0-9.e-]+)s")
STALL_TIMEOUT = 15.0  # no step for this long: the operation is stuck (nothing re-enqueues it)


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured, or no pass/fail target

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, figure: str, measured: str, target: str, met: bool | None) -> None:
        self.rows.append(Row(figure, measured, target, met))

    def print_table(self) -> None:
        columns = ("figure", "measured", "target")
        widths = {
            name: max(len(name), *(len(getattr(row, name)) for row in self.rows))
            for name in columns
        }
        print()
        print("== Summary")
        print("  ".join(f"{name:<{widths[name]}}" for name in columns) + "  verdict")
        for row in self.rows:
            cells = "  ".join(f"{getattr(row, name):<{widths[name]}}" for name in columns)
            print(f"{cells}  {row.verdict}")
        for problem in self.problems:
            print(f"problem: {problem}")


def say(text: str = "") -> None:
    print(text, flush=True)


# 1. Planning


def placed_views(count: int) -> list[InstanceView]:
    """``count`` instances round robin over 3 zones, then 5 update domains, as Azure places."""
    observed = Observation(image_version=OLD_VERSION)
    return [
        InstanceView(
            instance_id=str(number),
            zone=ZONES[number % 3],
            update_domain=(number // 3) % 5,
            fault_domain=0,
            observed=observed,
        )
        for number in range(count)
    ]


def bench_planning(report: Report, runs: int = 9) -> None:
    say("== 1. Planning (orchestrator.planner.plan_batches, 3 zones × 5 update domains)")
    policy = effective_policy(UpgradeKind.AUTOMATIC, None, None)
    for count in (1_000, 10_000):
        views = placed_views(count)
        plan_batches(views, policy, NEW_VERSION)  # warm up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            plan = plan_batches(views, policy, NEW_VERSION)
            times.append(time.perf_counter() - started)
        median = statistics.median(times) * 1000
        say(
            f"{count:>6} instances: median {median:6.2f} ms over {runs} runs "
            f"(min {min(times) * 1000:.2f}, max {max(times) * 1000:.2f}); "
            f"{len(plan.batches)} batches of up to {plan.batch_size}"
        )
        target_ms = 100.0 if count == 10_000 else None
        report.add(
            f"1. plan {count:,} instances",
            f"{median:.1f} ms",
            "< 100 ms" if target_ms else "(10,000 is the target)",
            median < target_ms if target_ms else None,
        )


# Environment and Django


def bench_environment(
    database_url: str, redis_url: str, timings: dict[str, float]
) -> dict[str, str]:
    """The variables the benchmark and its Celery worker both run under."""
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "PYTHONPATH": python_path,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ROLLWRIGHT_TIME_SCALE": str(TIME_SCALE),
        "ROLLWRIGHT_BENCH_TIMINGS": json.dumps(timings),
    }


def redis_problem(url: str) -> str | None:
    """None when Redis answers at ``url`` (and its database was flushed), else why not."""
    try:
        flush_redis(url)
    except Exception as error:
        return (
            f"Redis is not reachable at {url} ({error}). Start one (`make run` does, or "
            "`.venv/bin/python manage.py ensure_redis`), or pass --redis-url."
        )
    return None


def flush_redis(url: str) -> None:
    """Empty the bench's Redis database: no message left over from an earlier run or phase."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
        client.flushdb()
    finally:
        client.close()


def ensure_postgres_database(url: str) -> None:
    """Create the database named in a postgresql:// URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params: dict[str, Any] = {"dbname": "postgres", "connect_timeout": 5, "autocommit": True}
    for key, value in (
        ("host", parts.hostname),
        ("port", parts.port),
        ("user", unquote(parts.username or "") or None),
        ("password", unquote(parts.password or "") or None),
    ):
        if value is not None:
            params[key] = value
    with psycopg.connect(**params) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created PostgreSQL database {name}")


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    say(f"migrated the bench database in {time.perf_counter() - started:.1f} s")


# The fleet


@dataclass
class World:
    region: Any
    resource_group: Any
    probe: Any


def build_world() -> World:
    from django.utils import timezone

    from rollout.models import (
        HealthProbe,
        LoadBalancer,
        LoadBalancerSku,
        PlatformImage,
        PlatformImageVersion,
        ProbeProtocol,
        Region,
        ResourceGroup,
        Subscription,
    )

    region, _ = Region.objects.get_or_create(
        name="westeurope",
        defaults={"display_name": "West Europe", "availability_zones": ZONES},
    )
    image, _ = PlatformImage.objects.get_or_create(
        **UBUNTU, defaults={"automatic_os_upgrade_supported": True}
    )
    for version, published in ((OLD_VERSION, 30), (NEW_VERSION, 1)):
        row, _ = PlatformImageVersion.objects.get_or_create(
            image=image,
            version=version,
            defaults={"published_at": timezone.now() - timedelta(days=published)},
        )
        row.regions.add(region)
    subscription, _ = Subscription.objects.get_or_create(
        subscription_id="00000000-0000-0000-0000-00000000be4c"
    )
    resource_group = ResourceGroup.objects.create(
        subscription=subscription,
        name=f"rg-bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}",
        location=region.name,
    )
    balancer = LoadBalancer.objects.create(
        resource_group=resource_group, name="lb", location=region, sku=LoadBalancerSku.STANDARD
    )
    probe = HealthProbe.objects.create(
        load_balancer=balancer,
        name="http",
        protocol=ProbeProtocol.HTTP,
        port=80,
        request_path="/health",
    )
    return World(region, resource_group, probe)


def build_scale_set(world: World, name: str, capacity: int, *, zones: list[str]) -> Any:
    """A scale set of ``capacity`` running VMs on the old image behind a load balancer probe."""
    from rollout.models import ScaleSet
    from rollout.services.scale_sets.placement import create_instances

    scale_set = ScaleSet.objects.create(
        resource_group=world.resource_group,
        name=name,
        location=world.region,
        zones=zones,
        capacity=capacity,
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
        health_probe=world.probe,
    )
    create_instances(scale_set, capacity, OLD_VERSION)
    return scale_set


# 3. Queries per step and per batch, in-process


@dataclass
class InProcessRun:
    label: str
    instances: int
    batches: int
    status: str
    step_queries: list[int]
    step_seconds: list[float]
    kinds: Counter[str]
    phases: dict[str, float]  # seconds over all steps, by phase (see phase_timers)

    @property
    def total_queries(self) -> int:
        return sum(self.step_queries)

    @property
    def per_batch(self) -> float:
        return self.total_queries / max(self.batches, 1)


def statement_kind(sql_text: str) -> str:
    """SELECT, INSERT, UPDATE, DELETE or OTHER (Django logs executemany as "N times: SQL")."""
    words = re.sub(r"^\s*\d+ times: ", "", sql_text).split(None, 1)
    word = words[0].upper() if words else "?"
    return word if word in {"SELECT", "INSERT", "UPDATE", "DELETE"} else "OTHER"


@contextlib.contextmanager
def phase_timers(timers: dict[str, float]) -> Iterator[None]:
    """Time the parts of ``advance_once`` into ``timers`` (seconds, summed over calls)."""
    import rollout.tasks.upgrades.upgrades as tasks
    from rollout.engine.apply import Applier
    from rollout.engine.provider import DatabaseComputeProvider

    targets: list[tuple[Any, str, str]] = [
        (tasks, "DatabaseComputeProvider", "provider rows"),
        (tasks, "load_snapshot", "snapshot"),
        (DatabaseComputeProvider, "observe", "observe"),
        (tasks, "step", "engine"),
        (tasks, "apply_decision", "apply"),
        (Applier, "_write", "bulk writes"),
    ]
    saved = []
    for owner, name, key in targets:
        original = vars(owner)[name]

        def timed(
            *args: Any, _original: Callable[..., Any] = original, _key: str = key, **kwargs: Any
        ) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                timers[_key] = timers.get(_key, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)
        saved.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def describe_phases(run: InProcessRun) -> str:
    """Milliseconds per step by phase; the snapshot's own time excludes observe's."""
    steps = len(run.step_seconds)
    ms = {key: seconds / steps * 1000 for key, seconds in run.phases.items()}
    rest = sum(run.step_seconds) / steps * 1000 - sum(
        ms.get(key, 0.0) for key in ("provider rows", "snapshot", "engine", "apply")
    )
    return (
        f"provider rows {ms.get('provider rows', 0):.1f} · snapshot "
        f"{ms.get('snapshot', 0) - ms.get('observe', 0):.1f} · observe {ms.get('observe', 0):.1f}"
        f" · engine {ms.get('engine', 0):.1f} · apply {ms.get('apply', 0):.1f} (bulk writes "
        f"{ms.get('bulk writes', 0):.1f}) · lock, save, commit {rest:.1f} ms"
    )


def run_in_process(
    world: World, label: str, capacity: int, zones: list[str], profiler: cProfile.Profile | None
) -> InProcessRun:
    """Start an upgrade and step it to the end with ``advance_once``, counting queries."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rollout.models import StartedBy, UpgradeOperation
    from rollout.services.upgrades.operations import start_os_upgrade
    from rollout.tasks.upgrades import advance_once

    scale_set = build_scale_set(world, label, capacity, zones=zones)
    now = timezone.now()
    step_queries: list[int] = []
    step_seconds: list[float] = []
    kinds: Counter[str] = Counter()
    phases: dict[str, float] = {}
    # No Celery here: whatever a step enqueues (its next look, a release trigger) is dropped.
    with mock.patch("celery.app.task.Task.apply_async"), phase_timers(phases):
        operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM, now=now)
        for _ in range(10_000):
            # DEBUG keeps the last 9,000 queries only: CaptureQueriesContext counts from there.
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                recheck = advance_once(operation.pk, now)
                if profiler is not None:
                    profiler.disable()
                step_seconds.append(time.perf_counter() - started)
            step_queries.append(len(captured.captured_queries))
            kinds.update(statement_kind(query["sql"]) for query in captured.captured_queries)
            if recheck is None:
                break
            now = max(now, recheck)
    operation = UpgradeOperation.objects.get(pk=operation.pk)
    return InProcessRun(
        label=label,
        instances=capacity,
        batches=operation.batch_count,
        status=operation.status,
        step_queries=step_queries,
        step_seconds=step_seconds,
        kinds=kinds,
        phases=phases,
    )


def bench_queries(report: Report, world: World, profile: bool) -> None:
    say()
    say("== 3. Queries per step and per batch (advance_once in-process, instant provider)")
    cases = [
        ("q10-zonal", 10, ZONES),
        ("q100-zonal", 100, ZONES),
        ("q1000-zonal", 1_000, ZONES),
        ("q1000-regional", 1_000, []),
    ]
    runs: list[InProcessRun] = []
    for label, capacity, zones in cases:
        profiler = cProfile.Profile() if profile and label == "q1000-zonal" else None
        run = run_in_process(world, label, capacity, zones, profiler)
        runs.append(run)
        per_step = sorted(run.step_queries)
        kinds = " ".join(f"{kind} {count / run.batches:.1f}" for kind, count in run.kinds.items())
        say(
            f"{label:<15} {capacity:>5} VMs {run.batches:>2} batches of ~"
            f"{round(capacity / max(run.batches, 1)):<4} {run.status:<9} "
            f"{len(run.step_queries):>3} steps; queries per step: median "
            f"{statistics.median(per_step):.0f}, max {per_step[-1]} (the plan step "
            f"{run.step_queries[0]}); per batch {run.per_batch:.1f} ({kinds}); "
            f"{statistics.mean(run.step_seconds) * 1000:.1f} ms per step in-process"
        )
        if capacity >= 1_000:
            say(f"{'':<15} per step: {describe_phases(run)}")
        if profiler is not None:
            print_profile(profiler, label)
    per_batch = [run.per_batch for run in runs]
    spread = max(per_batch) / max(min(per_batch), 1e-9)
    # "Constant" with a little room: the plan and finish steps are spread over fewer batches
    # in small scale sets, and SQLite splits bulk statements at 999 parameters.
    report.add(
        "3. queries per batch",
        " / ".join(f"{run.per_batch:.0f}" for run in runs)
        + " ("
        + " / ".join(f"{run.instances}{'z' if 'zonal' in run.label else 'r'}" for run in runs)
        + ")",
        "constant (max/min≤1.25)",
        spread <= 1.25,
    )
    max_steps = [max(run.step_queries[1:-1] or run.step_queries) for run in runs]
    report.add(
        "3. max queries per step",
        " / ".join(str(count) for count in max_steps) + " (plan, finish excluded)",
        "(shows an N+1)",
        None,
    )
    big = next(run for run in runs if run.label == "q1000-zonal")
    report.add(
        "   in-process step, 1,000",
        f"{statistics.mean(big.step_seconds) * 1000:.0f} ms × {len(big.step_seconds)} steps",
        "(where 2.'s time goes)",
        None,
    )


def print_profile(profiler: cProfile.Profile, label: str, limit: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    say(f"-- cProfile of {label}'s steps, by cumulative time (top {limit})")
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start:]:
        if line.strip():
            say("   " + line.replace(str(ROOT) + "/", "").rstrip()[:150])


# 2 and 4. Through a real Celery worker


class Worker:
    """One ``celery -A rollout worker`` subprocess; always stop it (a context manager)."""

    def __init__(self, environment: dict[str, str], log_path: Path, name: str) -> None:
        self.log_path = log_path
        flush_redis(environment["REDIS_URL"])
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery) if celery.exists() else "celery",
            "-A",
            "rollout",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            "celery",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float = WORKER_READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited ({self.process.returncode})")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.05)
        raise RuntimeError(f"the Celery worker was not ready within {timeout:.0f} s")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def task_seconds(self, since: int) -> list[float]:
        """The runtimes Celery logged for ``advance`` after byte ``since`` of the log."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return [float(seconds) for seconds in TASK_RUNTIME.findall(text)]

    def tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@dataclass
class CeleryRun:
    operation_id: int
    wall: float | None  # None: did not end in time
    status: str
    steps: int
    batches: int
    engine_seconds: float | None  # the operation's ended_at - started_at
    task_seconds: list[float]  # each advance task's runtime, from the worker's log
    problem: str = ""

    def describe_tasks(self) -> str:
        if not self.task_seconds:
            return "no task runtimes in the worker's log"
        busy = sum(self.task_seconds)
        median = statistics.median(self.task_seconds) * 1000
        rest = f"; {self.wall - busy:.2f} s outside tasks" if self.wall is not None else ""
        return (
            f"{len(self.task_seconds)} tasks ran {busy:.2f} s (median {median:.1f} ms, "
            f"max {max(self.task_seconds) * 1000:.0f} ms){rest}"
        )


def run_through_celery(scale_set: Any, timeout: float, worker: Worker) -> CeleryRun:
    """start_os_upgrade, then watch the row until the operation ends (or stalls, or times out)."""
    from django.utils import timezone

    from rollout.models import ACTIVE_STATUSES, StartedBy, UpgradeOperation
    from rollout.services.upgrades.operations import start_os_upgrade

    log_offset = worker.log_size()
    started = time.perf_counter()
    operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM)
    rows = UpgradeOperation.objects.filter(pk=operation.pk)
    deadline = started + timeout
    last_steps, last_change = -1, started
    while True:
        status, steps, next_look_at = rows.values_list("status", "step_count", "next_look_at").get()
        clock = time.perf_counter()
        if status not in ACTIVE_STATUSES:
            wall: float | None = clock - started
            problem = ""
            break
        if steps != last_steps:
            last_steps, last_change = steps, clock
        if clock > deadline:
            wall, problem = None, f"still {status} after {timeout:.0f} s ({steps} steps)"
            break
        if clock - last_change > STALL_TIMEOUT and (
            next_look_at is None or next_look_at < timezone.now() - timedelta(seconds=1)
        ):
            wall = None
            problem = (
                f"stalled at step {steps}: no step for {STALL_TIMEOUT:.0f} s, next look "
                f"{next_look_at} overdue (only the beat sweeper would re-enqueue it)"
            )
            break
        time.sleep(0.01)
    final = UpgradeOperation.objects.get(pk=operation.pk)
    engine = (final.ended_at - final.started_at).total_seconds() if final.ended_at else None
    time.sleep(0.2)  # the last task logs its runtime just after its commit
    return CeleryRun(
        operation.pk,
        wall,
        final.status,
        final.step_count,
        final.batch_count,
        engine,
        worker.task_seconds(log_offset),
        problem,
    )


def bench_instant_rollout(
    report: Report, world: World, environment: dict[str, str], tmp: Path
) -> None:
    say()
    say("== 2. A 1,000-instance rollout through Celery and Redis, instant provider")
    scale_set = build_scale_set(world, "c1000", 1_000, zones=ZONES)
    warm_up = build_scale_set(world, "c5-warm-up", 5, zones=ZONES)
    with Worker(environment, tmp / "worker-instant.log", "bench-instant") as worker:
        try:
            worker.wait_ready()
            first = run_through_celery(warm_up, timeout=30, worker=worker)
            say(f"warm-up: 5 instances {first.status} in {fmt(first.wall)} ({first.steps} steps)")
            run = run_through_celery(scale_set, timeout=INSTANT_ROLLOUT_TIMEOUT, worker=worker)
        except RuntimeError as error:
            report.problems.append(f"2.: {error}\n{worker.tail()}")
            report.add("2. 1,000 VMs via Celery", "not measured", "< 5 s", None)
            return
    if run.wall is None:
        report.problems.append(f"2.: {run.problem}; worker log in {worker.log_path}")
    per_step = (run.wall or 0) / max(run.steps, 1) * 1000
    say(
        f"1,000 instances, {run.batches} batches: {run.status} in {fmt(run.wall)} wall "
        f"(engine started→ended {fmt(run.engine_seconds)}), {run.steps} steps, "
        f"{per_step:.0f} ms per step"
    )
    say(f"worker: {run.describe_tasks()}")
    report.add(
        "2. 1,000 VMs via Celery",
        f"{fmt(run.wall)} ({run.steps} steps, {per_step:.0f} ms/step)"
        if run.wall is not None
        else f"did not finish ({run.steps} steps)",
        "< 5 s",
        run.wall is not None and run.wall < 5.0 and run.status == "Completed",
    )


def bench_scaled_rollout(
    report: Report, world: World, environment: dict[str, str], tmp: Path
) -> None:
    from orchestrator.behaviour import BehaviourModel

    say()
    say(f"== 4. A time-scaled rollout through Celery (scale {TIME_SCALE:g}, realistic timings)")
    reimage = REALISTIC.get("reimage_seconds", BehaviourModel.reimage_seconds)
    healthy_after = REALISTIC.get("healthy_after_seconds", BehaviourModel.healthy_after_seconds)
    capacity = 10
    scale_set = build_scale_set(world, "s10", capacity, zones=ZONES)
    scaled_env = {**environment, "ROLLWRIGHT_BENCH_TIMINGS": json.dumps(REALISTIC)}
    with Worker(scaled_env, tmp / "worker-scaled.log", "bench-scaled") as worker:
        try:
            worker.wait_ready()
            per_batch = (reimage + healthy_after) / TIME_SCALE
            pause = float(scale_set.pause_time_between_batches.total_seconds()) / TIME_SCALE

            def ideal_for(batches: int) -> float:
                return batches * per_batch + max(batches - 1, 0) * pause

            # The time-out needs the batch count before the start: a preview of the plan.
            timeout = ideal_for(planned_batch_count(scale_set)) * 3 + 20
            run = run_through_celery(scale_set, timeout=timeout, worker=worker)
        except RuntimeError as error:
            report.problems.append(f"4.: {error}\n{worker.tail()}")
            report.add("4. wall / ideal (10 VMs)", "not measured", "≤ 1.05", None)
            return
    if run.wall is None:
        report.problems.append(f"4.: {run.problem}; worker log in {worker.log_path}")
        report.add("4. wall / ideal (10 VMs)", "did not finish", "≤ 1.05", False)
        return
    ideal = ideal_for(run.batches)
    ratio = run.wall / ideal
    overhead = (run.wall - ideal) / max(run.batches, 1) * 1000
    say(
        f"{capacity} instances, {run.batches} batches × ({reimage:g} s reimage + "
        f"{healthy_after:g} s to healthy) / {TIME_SCALE:g} = ideal {ideal:.2f} s; "
        f"{run.status} in {run.wall:.2f} s wall (engine {fmt(run.engine_seconds)}), "
        f"{run.steps} steps: ratio {ratio:.3f}, {overhead:.0f} ms added per batch"
    )
    say(f"worker: {run.describe_tasks()}")
    say(f"critical path: {critical_path(run.operation_id, per_batch)}")
    report.add(
        f"4. wall / ideal ({capacity} VMs)",
        f"{ratio:.3f} ({run.wall:.2f} s / {ideal:.2f} s)",
        "≤ 1.05",
        ratio <= 1.05 and run.status == "Completed",
    )


def critical_path(operation_id: int, per_batch: float) -> str:
    """Where a time-scaled rollout's time beyond the ideal went, from its rows' timestamps.

    Each batch starts (StartBatch's ``now``: its reimages start then) and its last instance
    succeeds (MarkSucceeded's ``now``, the row's ``ended_at``); with no jitter it could succeed
    exactly ``per_batch`` seconds after the start, so the rest is the late wake-up (Celery's
    ETA, the task's start), and from there to the next batch's start are the steps in between.
    """
    from django.db.models import Max

    from rollout.models import UpgradeBatch, UpgradeOperation

    operation = UpgradeOperation.objects.get(pk=operation_id)
    batches = list(
        UpgradeBatch.objects.filter(operation=operation)
        .order_by("index")
        .annotate(healthy_at=Max("instance_upgrades__ended_at"))
    )
    spans: list[tuple[datetime, datetime]] = [
        (b.started_at, b.healthy_at)
        for b in batches
        if b.started_at is not None and b.healthy_at is not None
    ]
    if not spans or len(spans) != len(batches):
        return "no batch timestamps"
    ideal = timedelta(seconds=per_batch)
    late = [(healthy - started - ideal).total_seconds() * 1000 for started, healthy in spans]
    gaps = [
        (after[0] - before[1]).total_seconds() * 1000 for before, after in itertools.pairwise(spans)
    ]
    first = (spans[0][0] - operation.started_at).total_seconds() * 1000
    last = (
        (operation.ended_at - spans[-1][1]).total_seconds() * 1000
        if operation.ended_at
        else float("nan")
    )
    gap = f"{statistics.median(gaps):.0f} ms" if gaps else "-"
    return (
        f"start → batch 1 starts {first:.0f} ms; per batch (medians), its last VM is marked "
        f"healthy {statistics.median(late):.0f} ms after it could be (the wake-up), and the next "
        f"batch starts {gap} after that (MarkSucceeded, CompleteBatch, StartBatch); last "
        f"healthy → Completed {last:.0f} ms"
    )


def planned_batch_count(scale_set: Any) -> int:
    from rollout.services.upgrades.operations import policy_for

    policy = policy_for(scale_set, "automatic")
    views = [
        InstanceView(
            instance_id=str(instance.instance_id),
            zone=instance.zone or None,
            update_domain=instance.update_domain,
            fault_domain=instance.fault_domain,
            observed=Observation(image_version=OLD_VERSION),
        )
        for instance in scale_set.instances.all()
    ]
    return len(plan_batches(views, policy, NEW_VERSION).batches)


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        help="run on this database instead of a fresh SQLite file, e.g. "
        "postgresql://postgres@127.0.0.1:5432/rollwright_bench (created when missing)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help=f"a spare Redis database, flushed first (default {DEFAULT_REDIS_URL})",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process steps")
    parser.add_argument("--no-celery", action="store_true", help="skip figures 2 and 4")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so every ``finally`` stops its worker."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    began = time.perf_counter()
    bench_planning(report)

    tmp = Path(tempfile.mkdtemp(prefix="rollwright-bench-"))
    try:
        with terminate_cleanly():
            database_url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
            if database_url.startswith(("postgres://", "postgresql://")):
                try:
                    ensure_postgres_database(database_url)
                except Exception as error:
                    say(f"error: PostgreSQL at {database_url} is not usable: {error}")
                    return 2
            celery = not args.no_celery
            problem = redis_problem(args.redis_url) if celery else None
            if problem:
                say(f"error: {problem}")
                report.problems.append(problem)
                celery = False
            environment = bench_environment(database_url, args.redis_url, INSTANT)
            if not celery:
                environment["ROLLWRIGHT_BENCH_CHANNELS"] = "memory"
            say()
            say(f"database {database_url}; Redis {args.redis_url if celery else '(not used)'}")
            setup_django(environment)
            world = build_world()
            bench_queries(report, world, args.profile)
            if celery:
                for bench in (bench_instant_rollout, bench_scaled_rollout):
                    try:
                        bench(report, world, environment, tmp)
                    except Exception as error:  # report it, and go on with the next figure
                        report.problems.append(f"{bench.__name__}: {error!r}")
            else:
                for figure, target in (
                    ("2. 1,000 VMs via Celery", "< 5 s"),
                    ("4. wall / ideal (10 VMs)", "≤ 1.05"),
                ):
                    report.add(figure, "not measured", target, None)
    finally:
        if args.keep or report.problems:
            say(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report.print_table()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    say(
        f"(the benchmark took {time.perf_counter() - began:.0f} s on {os.cpu_count()} CPUs; "
        f"load average {load} at the end: other processes skew the times)"
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as interruption:
        print(f"interrupted ({interruption or 'Ctrl-C'}): the worker was stopped", file=sys.stderr)
        sys.exit(130)

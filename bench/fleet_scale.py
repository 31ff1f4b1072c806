"""Fleet scale (issue 14): many large rollouts at once, with 1, 2 and 4 workers.

Run it as ``.venv/bin/python bench/fleet_scale.py`` (``make bench`` does). It prints, and never
asserts, these figures beside their targets:

1. for W workers (``--workers 1,2,4``): S scale sets of N instances (``--scale-sets``,
   ``--instances``; 10 × 1,000 by default) with near-instant simulated VMs
   (``ROLLWRIGHT_TIME_SCALE=100000`` and zero timings: the wall time is Rollwright's own), all
   upgrades started at once: wall time, instance upgrades per second, the median and p95
   time per rollout, the median time to a rollout's first step (fair progress), and the
   server time of the fleet page and of the first scale set's live page sampled while the
   upgrades run; then the speed-up from 1 to 2 and 4 workers;
2. the time-scaled wall/ideal ratio of ``--scaled-sets`` (10) concurrent rollouts of
   ``--scaled-instances`` (100) instances at time scale 60 with realistic timings and 2
   workers: each rollout's wall time over batches × (reimage + healthy-after) / 60.

Each worker is a Celery process of its own (``--pool=solo``); the web server is one daphne.
The scale sets are created as rows by the harness (``tests.support.fleets``, as the other
benchmarks do) and the upgrades started with ``start_os_upgrade``, the service the API's
``osRollingUpgrade`` calls. PostgreSQL by default (``--database-url``; created when missing,
dropped and created again first); Redis as in ``bench/rollout_overhead.py``. A short run:
``--workers 1,2 --scale-sets 4 --instances 200 --skip-scaled``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.overhead.fleet import INSTANT, REALISTIC, ZONES, build_scale_set, build_world  # noqa: E402
from bench.overhead.report import Report, say  # noqa: E402
from tests.support import Stack, flush, scratch_rollwright, unwind_on_termination  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/rollwright_fleet_bench"
INSTANT_SCALE = 100_000.0
SCALED = 60.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", help="a spare Redis database, flushed first")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--scale-sets", type=int, default=10)
    parser.add_argument("--instances", type=int, default=1_000)
    parser.add_argument("--scaled-sets", type=int, default=10)
    parser.add_argument("--scaled-instances", type=int, default=100)
    parser.add_argument("--skip-scaled", action="store_true", help="skip figure 2")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    return parser.parse_args(argv)


def ms(values: list[float]) -> str:
    """Median / p95 in milliseconds."""
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.0f} / {percentile(values, 0.95) * 1000:.0f}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class PageSampler(threading.Thread):
    """Fetches the fleet page and a live page in turn until stopped; keeps the latencies."""

    def __init__(self, base_url: str, cookie: str, live_path: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.cookie, self.live_path = base_url, cookie, live_path
        self.fleet: list[float] = []
        self.live: list[float] = []
        self.stopping = threading.Event()

    def fetch(self, path: str) -> float:
        request = urllib.request.Request(self.base_url + path, headers={"Cookie": self.cookie})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        return time.perf_counter() - started

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.fleet.append(self.fetch("/"))
                self.live.append(self.fetch(self.live_path))
            except OSError:
                pass
            self.stopping.wait(0.2)


def run_fleet(
    env: dict[str, str], tmp: Path, workers: int, scale_sets: list[Any], timeout: float
) -> dict[str, Any]:
    """Start every upgrade at once on a stack of ``workers`` workers; wait for the ends."""
    from rollout.models import ACTIVE_STATUSES, StartedBy, UpgradeOperation
    from rollout.services.upgrades.operations import start_os_upgrade
    from tests.support.browser import session_cookie

    flush(env["REDIS_URL"])
    with Stack(env, logs=Path(os.environ.get("FLEET_BENCH_LOGS", tmp)) / f"w{workers}") as stack:
        stack.start(web=True, workers=0)
        for _ in range(workers):
            stack.add_worker(pool="solo", concurrency=1, queues=("celery",))
        sampler = PageSampler(
            stack.url, session_cookie("bench"), f"/scale-sets/{scale_sets[0].pk}/"
        )
        sampler.start()
        started = time.perf_counter()
        ids = [start_os_upgrade(s, started_by=StartedBy.PLATFORM).pk for s in scale_sets]
        rows = UpgradeOperation.objects.filter(pk__in=ids)
        while rows.filter(status__in=ACTIVE_STATUSES).exists():
            if time.perf_counter() - started > timeout:
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        sampler.stopping.set()
        sampler.join(timeout=30)
    finished = list(rows.values("status", "started_at", "ended_at", "planned_at"))
    per_rollout = [
        (r["ended_at"] - r["started_at"]).total_seconds() for r in finished if r["ended_at"]
    ]
    first_step = [
        (r["planned_at"] - r["started_at"]).total_seconds() for r in finished if r["planned_at"]
    ]
    return {
        "wall": wall,
        "completed": sum(r["status"] == "Completed" for r in finished),
        "per_rollout": per_rollout,
        "first_step": first_step,
        "fleet": sampler.fleet,
        "live": sampler.live,
    }


def bench_fleet(args: argparse.Namespace, report: Report, env: dict[str, str], tmp: Path) -> None:
    counts = [int(w) for w in args.workers.split(",") if w]
    total = args.scale_sets * args.instances
    walls: dict[int, float] = {}
    for workers in counts:
        world = build_world()
        sets = [
            build_scale_set(world, f"w{workers}-{i}", args.instances, zones=ZONES)
            for i in range(args.scale_sets)
        ]
        found = run_fleet(env, tmp, workers, sets, args.timeout)
        walls[workers] = found["wall"]
        say(
            f"W={workers}: {args.scale_sets} × {args.instances} instances: "
            f"{found['completed']} completed in {found['wall']:.1f} s, "
            f"{total / found['wall']:.0f} instance upgrades/s; per rollout median / p95 "
            f"{ms(found['per_rollout'])} ms; first step median / p95 {ms(found['first_step'])} ms; "
            f"fleet page {ms(found['fleet'])} ms, live page {ms(found['live'])} ms "
            f"({len(found['fleet'])} samples)"
        )
        label = f"{args.scale_sets}×{args.instances}, W={workers}"
        report.add(f"1. wall, {label}", f"{found['wall']:.1f} s", "< 20 s (10×1,000, W=2)", None)
        report.add(
            "   instance upgrades/s", f"{total / found['wall']:.0f}", "≥ 500 (10×1,000, W=2)", None
        )
        report.add(
            "   p95 per rollout", f"{percentile(found['per_rollout'], 0.95):.1f} s", "-", None
        )
        fleet95 = percentile(found["fleet"], 0.95) * 1000
        report.add("   fleet page p95 (busy)", f"{fleet95:.0f} ms", "< 300 ms", fleet95 < 300)
        live95 = percentile(found["live"], 0.95) * 1000
        report.add("   live page p95 (busy)", f"{live95:.0f} ms", "< 200 ms", live95 < 200)
    if 1 in walls:
        for workers in (2, 4):
            if workers in walls:
                speed = walls[1] / walls[workers]
                report.add(
                    f"1. speed-up 1 → {workers}", f"{speed:.2f}", "≥ 1.7 (2, with cores)", None
                )


def bench_scaled(args: argparse.Namespace, report: Report, env: dict[str, str], tmp: Path) -> None:
    from orchestrator.behaviour import BehaviourModel
    from rollout.models import UpgradeOperation

    timings = REALISTIC
    scaled_env = {
        **env,
        "ROLLWRIGHT_TIME_SCALE": str(SCALED),
        "ROLLWRIGHT_BENCH_TIMINGS": json.dumps(timings),
    }
    world = build_world()
    sets = [
        build_scale_set(world, f"scaled-{i}", args.scaled_instances, zones=ZONES)
        for i in range(args.scaled_sets)
    ]
    run_fleet(scaled_env, tmp, 2, sets, args.timeout)
    reimage = timings.get("reimage_seconds", BehaviourModel.reimage_seconds)
    healthy_after = timings.get("healthy_after_seconds", BehaviourModel.healthy_after_seconds)
    per_batch = (reimage + healthy_after) / SCALED
    ratios = []
    for operation in UpgradeOperation.objects.filter(scale_set__in=sets):
        if operation.ended_at is None:
            continue
        pause = operation.scale_set.pause_time_between_batches.total_seconds() / SCALED
        ideal = operation.batch_count * per_batch + max(operation.batch_count - 1, 0) * pause
        ratios.append((operation.ended_at - operation.started_at).total_seconds() / ideal)
    worst = max(ratios, default=float("nan"))
    say(
        f"scaled: {args.scaled_sets} × {args.scaled_instances} at scale {SCALED:g}: wall/ideal "
        f"median {statistics.median(ratios) if ratios else float('nan'):.3f}, max {worst:.3f}"
    )
    report.add(
        f"2. wall/ideal, {args.scaled_sets}×{args.scaled_instances}",
        f"max {worst:.3f}",
        "≤ 1.02",
        worst <= 1.02,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    extra = {"ROLLWRIGHT_BENCH_TIMINGS": json.dumps(INSTANT)}
    with (
        unwind_on_termination(),
        scratch_rollwright(
            settings="bench.settings_bench",
            database_url=args.database_url,
            fresh=True,
            redis_url=args.redis_url,
            time_scale=INSTANT_SCALE,
            extra=extra,
        ) as scratch,
    ):
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password")
        say(f"database {scratch.database.url}; {os.cpu_count()} CPUs")
        bench_fleet(args, report, dict(scratch.env), scratch.database.directory)
        if not args.skip_scaled:
            bench_scaled(args, report, dict(scratch.env), scratch.database.directory)
    report.print_table()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    say(f"(load average {load} at the end: other processes skew the times)")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())

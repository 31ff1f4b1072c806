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
each run adds its own resource group). Celery uses a Redis database of the run's own, flushed
first: ``--redis-url``, else ``$ROLLWRIGHT_BENCH_REDIS_URL``, else an idle one claimed for the
run. Settings come from ``bench/settings_bench.py``; the worker runs under the harness of
tests/support. ``--profile`` adds a cProfile of the in-process 1,000-instance rollout;
``--no-celery`` skips figures 2 and 4. The figures' code is in ``bench/overhead/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.overhead.fleet import INSTANT, TIME_SCALE, build_world  # noqa: E402
from bench.overhead.planning import bench_planning  # noqa: E402
from bench.overhead.queries import bench_queries  # noqa: E402
from bench.overhead.report import Report, say  # noqa: E402
from bench.overhead.through_celery import (  # noqa: E402
    bench_instant_rollout,
    bench_scaled_rollout,
)
from tests.support import (  # noqa: E402
    RedisDatabase,
    RedisUnavailable,
    claim_redis_database,
    scratch_rollwright,
    unwind_on_termination,
)
from tests.support.scratch import BENCH_REDIS_VARIABLE  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        help="run on this database instead of a fresh SQLite file, e.g. "
        "postgresql://postgres@127.0.0.1:5432/rollwright_bench (created when missing)",
    )
    parser.add_argument(
        "--redis-url",
        help=f"a spare Redis database, flushed first (default: ${BENCH_REDIS_VARIABLE}, else an "
        "idle database claimed for the run)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process steps")
    parser.add_argument("--no-celery", action="store_true", help="skip figures 2 and 4")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def claim_redis(args: argparse.Namespace, report: Report) -> RedisDatabase | None:
    """The run's Redis database, or None (figures 2 and 4 are skipped) when there is none."""
    if args.no_celery:
        return None
    try:
        return claim_redis_database(args.redis_url, env_var=BENCH_REDIS_VARIABLE)
    except RedisUnavailable as error:
        problem = (
            f"{error}. Start one (`make run` does, or `.venv/bin/python manage.py "
            "ensure_redis`), or pass --redis-url."
        )
        say(f"error: {problem}")
        report.problems.append(problem)
        return None


def measure(args: argparse.Namespace, report: Report) -> int:
    """Figures 3, 2 and 4 on a throw-away database; 2 on failure to set it up."""
    with contextlib.ExitStack() as cleanup:
        redis = claim_redis(args, report)
        if redis is not None:
            cleanup.enter_context(redis)
        extra = {"ROLLWRIGHT_BENCH_TIMINGS": json.dumps(INSTANT)}
        if redis is None:
            extra["ROLLWRIGHT_BENCH_CHANNELS"] = "memory"
        try:
            scratch = cleanup.enter_context(
                scratch_rollwright(
                    settings="bench.settings_bench",
                    database_url=args.database_url,
                    fresh=False,
                    redis_url=redis.url if redis else None,
                    use_redis=redis is not None,
                    time_scale=TIME_SCALE,
                    extra=extra,
                    keep=args.keep,
                )
            )
        except Exception as error:
            say(f"error: the database at {args.database_url} is not usable: {error}")
            return 2
        say()
        say(f"database {scratch.database.url}; Redis {redis.url if redis else '(not used)'}")
        say(f"migrated the bench database in {scratch.migrate_seconds:.1f} s")
        world = build_world()
        bench_queries(report, world, args.profile)
        if redis is not None:
            for bench in (bench_instant_rollout, bench_scaled_rollout):
                try:
                    bench(report, world, scratch.env, scratch.database.directory)
                except Exception as error:  # report it, and go on with the next figure
                    report.problems.append(f"{bench.__name__}: {error!r}")
        else:
            for figure, target in (
                ("2. 1,000 VMs via Celery", "< 5 s"),
                ("4. wall / ideal (10 VMs)", "≤ 1.05"),
            ):
                report.add(figure, "not measured", target, None)
        if args.keep or report.problems:
            scratch.database.keep = True
            say(f"(kept {scratch.database.directory})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    began = time.perf_counter()
    bench_planning(report)
    with unwind_on_termination():
        status = measure(args, report)
    if status:
        return status
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

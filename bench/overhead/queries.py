"""Figure 3: database queries per step and per batch, the rollout stepped in-process by
``advance_once`` with an explicit ``now`` (no Celery), with the time per step split by phase
(provider rows, snapshot, observe, engine, apply, commit) and, with ``--profile``, a cProfile."""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from bench.overhead.fleet import ZONES, build_scale_set
from bench.overhead.report import Report, say
from tests.support import ROOT


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
    import rollout.engine.step_snapshot as step_snapshot
    import rollout.services.upgrades.stepping as stepping
    from rollout.engine.apply import Applier
    from rollout.engine.provider import DatabaseComputeProvider

    targets: list[tuple[Any, str, str]] = [
        (step_snapshot, "health_suspects", "provider rows"),
        (stepping, "load_step_state", "snapshot"),
        (DatabaseComputeProvider, "observe", "observe"),
        (stepping, "step", "engine"),
        (stepping, "apply_decision", "apply"),
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
        ms.get(key, 0.0) for key in ("snapshot", "engine", "apply")
    )
    return (
        f"census {ms.get('provider rows', 0):.1f} · snapshot "
        f"{ms.get('snapshot', 0) - ms.get('observe', 0):.1f} · observe {ms.get('observe', 0):.1f}"
        f" · engine {ms.get('engine', 0):.1f} · apply {ms.get('apply', 0):.1f} (bulk writes "
        f"{ms.get('bulk writes', 0):.1f}) · lock, save, commit {rest:.1f} ms"
    )


def run_in_process(
    world: Any, label: str, capacity: int, zones: list[str], profiler: cProfile.Profile | None
) -> InProcessRun:
    """Start an upgrade and step it to the end with ``advance_once``, counting queries."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rollout.models import StartedBy, UpgradeOperation
    from rollout.services.upgrades.operations import start_os_upgrade
    from rollout.services.upgrades.stepping import advance_once

    scale_set = build_scale_set(world, label, capacity, zones=zones)
    now = timezone.now()
    step_queries: list[int] = []
    step_seconds: list[float] = []
    kinds: Counter[str] = Counter()
    phases: dict[str, float] = {}
    # No Celery here: whatever a step enqueues (its next look, a release trigger) is dropped.
    with mock.patch("rollout.services.wakeups.send"), phase_timers(phases):
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


def bench_queries(report: Report, world: Any, profile: bool) -> None:
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
    small = next(run for run in runs if run.label == "q100-zonal")
    # Issue 14: the plan step (the first) reads every instance once; every later step
    # follows the open batch.
    big_ms = statistics.mean(big.step_seconds[1:]) * 1000
    small_ms = statistics.mean(small.step_seconds[1:]) * 1000
    report.add(
        "   in-process step, 1,000",
        f"{big_ms:.1f} ms × {len(big.step_seconds) - 1} steps (plan step "
        f"{big.step_seconds[0] * 1000:.0f} ms)",
        "< 25 ms",
        big_ms < 25,
    )
    report.add(
        "   step 1,000 / step 100",
        f"{big_ms / small_ms:.2f} ({big_ms:.1f} / {small_ms:.1f} ms)",
        "≤ 1.5",
        big_ms / small_ms <= 1.5,
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

"""Figures 2 and 4: rollouts through a real Celery worker and Redis (the harness's ``Stack``).

2. a 1,000-instance rollout with an instant provider, from ``start_os_upgrade`` to Completed;
4. a 10-instance time-scaled rollout over its ideal critical path, and where the rest went.

Each figure starts its own worker (``--pool=solo``, one queue) on a flushed Redis database, and
reads every ``advance`` task's runtime from the worker's log.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.overhead.fleet import (
    NEW_VERSION,
    OLD_VERSION,
    REALISTIC,
    TIME_SCALE,
    ZONES,
    build_scale_set,
)
from bench.overhead.report import Report, fmt, say
from orchestrator.model import InstanceView, Observation
from orchestrator.planner import plan_batches
from tests.support import Stack, Worker, flush

INSTANT_ROLLOUT_TIMEOUT = 90.0
TASK_RUNTIME = re.compile(r"Task rollout\.advance\[[^\]]*\] succeeded in ([0-9.e-]+)s")
STALL_TIMEOUT = 15.0  # no step for this long: the operation is stuck (nothing re-enqueues it)


def task_seconds(worker: Worker, since: int) -> list[float]:
    """The runtimes Celery logged for ``advance`` after byte ``since`` of the worker's log."""
    return [float(seconds) for seconds in TASK_RUNTIME.findall(worker.output(since=since))]


def start_worker(stack: Stack) -> Worker:
    """The stack's one worker (solo pool, the default queue), on its flushed Redis database:
    no message is left over from an earlier run or figure."""
    flush(stack.env["REDIS_URL"])
    return stack.add_worker(pool="solo", concurrency=1, queues=("celery",))


@dataclass
class CeleryRun:
    operation_id: int
    wall: float | None  # None: did not end in time
    status: str
    steps: int
    batches: int
    engine_seconds: float | None  # the operation's ended_at - started_at
    task_runtimes: list[float]  # each advance task's runtime, from the worker's log
    problem: str = ""

    def describe_tasks(self) -> str:
        if not self.task_runtimes:
            return "no task runtimes in the worker's log"
        busy = sum(self.task_runtimes)
        median = statistics.median(self.task_runtimes) * 1000
        rest = f"; {self.wall - busy:.2f} s outside tasks" if self.wall is not None else ""
        return (
            f"{len(self.task_runtimes)} tasks ran {busy:.2f} s (median {median:.1f} ms, "
            f"max {max(self.task_runtimes) * 1000:.0f} ms){rest}"
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
        task_seconds(worker, log_offset),
        problem,
    )


def bench_instant_rollout(
    report: Report, world: Any, environment: dict[str, str], tmp: Path
) -> None:
    say()
    say("== 2. A 1,000-instance rollout through Celery and Redis, instant provider")
    scale_set = build_scale_set(world, "c1000", 1_000, zones=ZONES)
    warm_up = build_scale_set(world, "c5-warm-up", 5, zones=ZONES)
    with Stack(environment, logs=tmp / "instant") as stack:
        try:
            worker = start_worker(stack)
            first = run_through_celery(warm_up, timeout=30, worker=worker)
            say(f"warm-up: 5 instances {first.status} in {fmt(first.wall)} ({first.steps} steps)")
            run = run_through_celery(scale_set, timeout=INSTANT_ROLLOUT_TIMEOUT, worker=worker)
        except RuntimeError as error:
            report.problems.append(f"2.: {error}\n{stack.tail(25)}")
            report.add("2. 1,000 VMs via Celery", "not measured", "< 5 s", None)
            return
    if run.wall is None:
        report.problems.append(f"2.: {run.problem}; worker log in {worker.log}")
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
    report: Report, world: Any, environment: dict[str, str], tmp: Path
) -> None:
    from orchestrator.behaviour import BehaviourModel

    say()
    say(f"== 4. A time-scaled rollout through Celery (scale {TIME_SCALE:g}, realistic timings)")
    reimage = REALISTIC.get("reimage_seconds", BehaviourModel.reimage_seconds)
    healthy_after = REALISTIC.get("healthy_after_seconds", BehaviourModel.healthy_after_seconds)
    capacity = 10
    scale_set = build_scale_set(world, "s10", capacity, zones=ZONES)
    scaled_env = {**environment, "ROLLWRIGHT_BENCH_TIMINGS": json.dumps(REALISTIC)}
    with Stack(scaled_env, logs=tmp / "scaled") as stack:
        try:
            worker = start_worker(stack)
            per_batch = (reimage + healthy_after) / TIME_SCALE
            pause = float(scale_set.pause_time_between_batches.total_seconds()) / TIME_SCALE

            def ideal_for(batches: int) -> float:
                return batches * per_batch + max(batches - 1, 0) * pause

            # The time-out needs the batch count before the start: a preview of the plan.
            timeout = ideal_for(planned_batch_count(scale_set)) * 3 + 20
            run = run_through_celery(scale_set, timeout=timeout, worker=worker)
        except RuntimeError as error:
            report.problems.append(f"4.: {error}\n{stack.tail(25)}")
            report.add("4. wall / ideal (10 VMs)", "not measured", "≤ 1.05", None)
            return
    if run.wall is None:
        report.problems.append(f"4.: {run.problem}; worker log in {worker.log}")
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

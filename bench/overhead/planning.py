"""Figure 1: planning time of ``orchestrator.planner.plan_batches`` (pure, no database)."""

from __future__ import annotations

import statistics
import time

from bench.overhead.fleet import NEW_VERSION, OLD_VERSION, ZONES
from bench.overhead.report import Report, say
from orchestrator.model import InstanceView, Observation
from orchestrator.planner import plan_batches
from orchestrator.policy import UpgradeKind, effective_policy


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

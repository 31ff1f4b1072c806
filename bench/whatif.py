"""W1: how long the what-if takes to predict an upgrade of 1,000 instances (target < 1 s).

Run it as ``.venv/bin/python bench/whatif.py`` (``make bench`` does). Pure engine, no
database: a 1,000-VM scale set over 3 zones x 5 update domains (the demo's fleet-1000), its
upgrade played out by ``orchestrator.whatif.play`` in several scenarios; the median of
``--runs`` runs each, with the engine steps it took. It prints and never asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestrator.behaviour import FaultKind, FaultRule  # noqa: E402
from orchestrator.whatif import WhatIfWorld, play  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_SECONDS = 1.0


def healthy(size: int) -> WhatIfWorld:
    return WhatIfWorld.build(vms=size, zones=3, target="2.0")


def thirty_percent_fail(size: int) -> WhatIfWorld:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, share=0.3, image_version="2.0", name="bad image")
    return WhatIfWorld.build(vms=size, zones=3, target="2.0", rules=[rule])


def five_percent_flaky(size: int) -> WhatIfWorld:
    import random

    return WhatIfWorld.build(vms=size, zones=3, target="2.0", flaky=0.05, rng=random.Random(7))


SCENARIOS: dict[str, Callable[[int], WhatIfWorld]] = {
    "all healthy (Completed)": healthy,
    "30% never healthy (U5 stops it)": thirty_percent_fail,
    "5% random faults": five_percent_flaky,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"W1 what-if, {args.instances} instances, median of {args.runs} runs")
    print(f"{'scenario':<34} {'seconds':>8} {'steps':>6} {'status':>10}   target")
    for name, build in SCENARIOS.items():
        times = []
        for _ in range(args.runs):
            world = build(args.instances)
            began = time.perf_counter()
            prediction = play(world, START)
            times.append(time.perf_counter() - began)
        median = statistics.median(times)
        verdict = "met" if median < TARGET_SECONDS else "missed"
        print(
            f"{name:<34} {median:>8.3f} {prediction.steps:>6} {prediction.status!s:>10}"
            f"   < {TARGET_SECONDS:g} s ({verdict})"
        )


if __name__ == "__main__":
    main()

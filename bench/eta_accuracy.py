"""B8's figure (issue 10.6): how far the ETA the pages show is from the real end of a
1,000-instance rollout.

Run it as ``.venv/bin/python bench/eta_accuracy.py`` (``make bench`` does). It prints, and never
asserts: ``fleet-1000``'s automatic upgrade runs through a real Celery worker and Redis at
``ROLLWRIGHT_TIME_SCALE=60`` (the 5-minute health wait lasts 5 s); every estimate the engine
sent with the upgrade's events (``data.estimate.overall``, what the live page counts down to)
is compared with the upgrade's real end. The figure: the error of the estimate the page held
at the start (the plan), after the first batch, and at 25%, 50% and 75% of the run, as a share
of the time that was left (target: within 15% once a batch has completed).

Everything runs on a throw-away SQLite database (``--database-url postgresql://...``: that
PostgreSQL database, dropped and created again) and a Redis database of its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import Stack, scratch_rollwright  # noqa: E402

TIME_SCALE = 60.0
TARGET = 15.0  # % of the time left, once a batch has completed


def run(scale_set_name: str, timeout: float) -> None:
    from rollout.models import EventKind, ScaleSet, StartedBy, UpgradeOperation
    from rollout.services.upgrades.operations import start_os_upgrade

    scale_set = ScaleSet.objects.get(name=scale_set_name)
    operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM, actor="bench")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operation = UpgradeOperation.objects.get(pk=operation.pk)
        if operation.ended_at is not None:
            break
        time.sleep(0.5)
    else:
        print(f"   {scale_set_name}: the upgrade did not end within {timeout:.0f} s")
        return
    started, ended = operation.started_at, operation.ended_at
    took = (ended - started).total_seconds()
    held: list[tuple[datetime, datetime]] = []  # (since when, the upgrade's expected end)
    first_batch_done: datetime | None = None
    for event in operation.events.order_by("id"):
        estimate = (event.data or {}).get("estimate")
        if estimate and estimate.get("overall"):
            held.append((event.created_at, datetime.fromisoformat(estimate["overall"])))
        if event.kind == EventKind.BATCH_COMPLETED and first_batch_done is None:
            first_batch_done = event.created_at
    batches = operation.batches.count()
    print(
        f"B8 ETA of {scale_set_name} ({batches} batches, time x{TIME_SCALE:.0f}, through Celery):"
        f" it took {took:.1f} s, status {operation.status}"
    )
    if not held:
        print("   no estimate was sent")
        return

    def at(moment: datetime) -> tuple[datetime, datetime] | None:
        found = [pair for pair in held if pair[0] <= moment]
        return found[-1] if found else None

    errors = []
    moments = [("at the start (plan)", held[0][0])]
    if first_batch_done is not None:
        moments.append(("after the first batch", first_batch_done))
    moments += [
        (f"at {share}% of the run", started + (ended - started) * share / 100)
        for share in (25, 50, 75)
    ]
    for label, moment in moments:
        pair = at(moment)
        if pair is None:
            continue
        _, expected = pair
        left = (ended - moment).total_seconds()
        error = (expected - ended).total_seconds()
        share = 100 * abs(error) / left if left > 0 else 0.0
        errors.append((label, share))
        side = "late" if error > 0 else "early"
        print(
            f"   {label:<24} expected end off by {abs(error):5.1f} s ({side}), "
            f"{share:5.1f}% of the {left:.1f} s left"
        )
    after = [share for label, share in errors if label != "at the start (plan)"]
    if after:
        print(
            f"   worst once a batch has completed: {max(after):.1f}% of the time left"
            f"   (target: within {TARGET:.0f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="default: an idle Redis database")
    parser.add_argument("--scale-set", default="fleet-1000")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    with scratch_rollwright(
        database_url=args.database_url, redis_url=args.redis_url, time_scale=TIME_SCALE
    ) as scratch:
        from tests.support.fleets import demo_fleet

        demo_fleet(admin=True)
        with Stack(scratch.env) as stack:
            stack.start(web=False, workers=1, concurrency=2)
            run(args.scale_set, args.timeout)


if __name__ == "__main__":
    main()

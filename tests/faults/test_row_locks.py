"""Item 2 of issue 11: a step locks only its operation's row (``FOR UPDATE OF``), and a
wake-up that finds that row held is retried within a second, not left to the sweeper.

No beat runs here: a wake-up turned into a silent no-op would never be revived, so a stall
shows as a failure instead of a 5 s delay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from rollout.models import UpgradeOperation
from rollout.services.upgrades.stepping import lock_operation
from tests.faults.rollouts import in_flight_batch, start, wait_ended
from tests.support import RedisServer, Stack, use_broker, wait_until
from tests.support.fleets import Site

TIME_SCALE = 120.0  # a reimage takes 0.5 s, the health wait 0.17 s: many steps per second


@pytest.fixture
def lock_stack(settings: Any, tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    """One worker (4 threads), no beat, on the test's own Redis."""
    settings.ROLLWRIGHT_TIME_SCALE = TIME_SCALE
    stack = Stack.on_test_database(
        tmp_path / "logs", redis_url=redis_server.url(0), time_scale=TIME_SCALE
    )
    with stack, use_broker(redis_server.url(0)):
        stack.start(web=False, workers=1, concurrency=4)
        yield stack


class Holder(threading.Thread):
    """Holds an operation's row the way a step does, for ``seconds``, in its own session."""

    def __init__(self, operation_id: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.operation_id, self.seconds = operation_id, seconds
        self.locked = threading.Event()
        self.released_at = 0.0

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # the worker may hold it for a moment
                with transaction.atomic():
                    if lock_operation(self.operation_id) is not None:
                        self.locked.set()
                        time.sleep(self.seconds)
                if self.locked.is_set():
                    self.released_at = time.monotonic()
                    return
                time.sleep(0.01)
        finally:
            connection.close()


def steps(operation: UpgradeOperation) -> int:
    operation.refresh_from_db(fields=["step_count"])
    return operation.step_count


def test_a_held_rollout_does_not_stall_others_in_its_region(site: Site, lock_stack: Stack) -> None:
    """A and B in westeurope, C in northeurope; A's row held 3 s: B and C keep stepping."""
    north = Site.build(group="rg-north", where="northeurope")
    a = start(site.add_scale_set("a", 10, max_batch_instance_percent=10))
    b = start(site.add_scale_set("b", 10, max_batch_instance_percent=10))
    c = start(north.add_scale_set("c", 10, max_batch_instance_percent=10))
    for operation in (a, b, c):
        wait_until(lambda o=operation: in_flight_batch(o) is not None, 30, "batches in flight")
    holder = Holder(a.pk, 3.0)
    holder.start()
    assert holder.locked.wait(10)
    before = {"a": steps(a), "b": steps(b), "c": steps(c)}
    time.sleep(2.0)
    during = {"a": steps(a), "b": steps(b), "c": steps(c)}
    holder.join(10)
    assert during["a"] == before["a"], "A's row was held: nothing may step it"
    assert during["b"] >= before["b"] + 3, f"B stalled behind A's lock: {before} → {during}"
    assert during["c"] >= before["c"] + 3, f"C stalled: {before} → {during}"
    for operation in (a, b, c):
        wait_ended(operation, 60, alive=lock_stack.workers)


def test_a_wake_up_that_found_its_row_held_is_retried_within_a_second(
    site: Site, lock_stack: Stack
) -> None:
    """A's row held 1.5 s while its next look falls due: A steps again < 1 s after release,
    without any sweeper."""
    a = start(site.add_scale_set("a", 10, max_batch_instance_percent=10))
    wait_until(lambda: in_flight_batch(a) is not None, 30, "a batch in flight")
    holder = Holder(a.pk, 1.5)
    holder.start()
    assert holder.locked.wait(10)
    held = steps(a)
    holder.join(10)
    wait_until(lambda: steps(a) > held, 5, "A's next step after its row was released")
    delay = time.monotonic() - holder.released_at
    assert delay < 1.0, f"A waited {delay:.2f} s after its row was released"
    wait_ended(a, 60, alive=lock_stack.workers)

"""Workers die: kill -9 mid-batch, two workers on one rollout. Whatever happens, each instance
is upgraded exactly once (one new OS disk, one reimage, one success) and the rollout Completes.
"""

from __future__ import annotations

import time

from rollout.models import UpgradeOperation
from rollout.services import wakeups
from tests.faults.rollouts import assert_upgraded_exactly_once, in_flight_batch, start, wait_ended
from tests.support import Stack, wait_until
from tests.support.fleets import Site

KILLS = 20


def test_kill_9_of_the_worker_mid_batch_20_times(site: Site, fault_stack: Stack) -> None:
    """20 kill -9 of a worker, each while a different batch is being reimaged or awaited.

    Two workers take turns: the one killed starts again at once and boots while the other
    carries the rollout on (and is the next one killed), so the test waits for batches, not
    for boots. Beat's sweeper finds the wake-ups that died with a worker."""
    scale_sets = [
        site.add_scale_set(name, 100, max_batch_instance_percent=5) for name in ("k1", "k2")
    ]
    fault_stack.start(web=False, workers=2, beat=True)
    workers = fault_stack.workers
    operations: list[UpgradeOperation] = []
    killed: set[tuple[int, int]] = set()
    while len(killed) < KILLS:
        if not operations or not operations[-1].is_active:
            assert len(operations) < len(scale_sets), f"only {len(killed)} kills in 2 rollouts"
            operations.append(start(scale_sets[len(operations)]))
        operation = operations[-1]

        def fresh_batch_in_flight(operation: UpgradeOperation = operation) -> bool:
            operation.refresh_from_db()
            batch = in_flight_batch(operation)
            return not operation.is_active or (
                batch is not None and (operation.pk, batch) not in killed
            )

        wait_until(fresh_batch_in_flight, 30, "a batch in flight not killed in yet")
        batch = in_flight_batch(operation)
        if batch is None:
            continue  # that rollout ended meanwhile
        victim = workers[len(killed) % 2]
        victim.wait_ready()  # it booted while the other one worked
        victim.kill()
        killed.add((operation.pk, batch))
        victim.start(wait=False)
    for operation in operations:
        wait_ended(operation, 90, f"after {KILLS} kills", alive=workers)
        assert_upgraded_exactly_once(operation)
    assert sum(worker.starts for worker in workers) == 2 + KILLS


def test_two_workers_on_one_rollout_never_apply_a_step_twice(
    site: Site, fault_stack: Stack
) -> None:
    """Two workers of 2 threads each, and every wake-up sent three times: steps race for the
    operation's row, and each is applied once."""
    scale_set = site.add_scale_set("twins", 40, max_batch_instance_percent=10)
    fault_stack.start(web=False, workers=2, beat=True)
    operation = start(scale_set)
    workers = fault_stack.workers
    while operation.is_active:  # duplicate wake-ups all along the rollout
        for _ in range(2):
            wakeups.send(wakeups.ADVANCE, (operation.pk,))
        time.sleep(0.2)
        operation.refresh_from_db()
        assert all(worker.running for worker in workers), fault_stack.tail()
    wait_ended(operation, 60)
    assert_upgraded_exactly_once(operation)

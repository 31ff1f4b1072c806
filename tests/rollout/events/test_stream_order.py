"""L1: a scale set's events carry a sequence allocated in commit order, whichever process
(connection) writes them; database ids are not commit order.

The defect (issue 10.1): the worker's step inserts its events (ids 110-119), the web's
"cancel requested" inserts id 120 and commits first, then the step commits. A browser that
skipped every upgrade event at or below the highest id it had applied dropped the step's
events: the grid froze after a cancel. Two connections (threads) replay that order here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rollout import events
from rollout.models import Event, EventKind, ScaleSet, ScaleSetStream, UpgradeOperation
from rollout.services.upgrades.operations import cancel_upgrade, start_os_upgrade

pytestmark = pytest.mark.django_db(transaction=True)

HOLD = 0.5  # how long the worker's step keeps its transaction open after inserting


def step_events(scale_set: ScaleSet, operation: UpgradeOperation) -> list[Event]:
    return [
        events.new_event(
            EventKind.INSTANCE_CHANGED,
            scale_set=scale_set,
            operation=operation,
            instance=index,
            state="succeeded",
        )
        for index in range(5)
    ]


def in_thread(target: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def race(worker_writes: Callable[[], None], web_writes: Callable[[], None]) -> list[str]:
    """The worker inserts and holds its transaction; the web writes meanwhile. Returns who
    committed in which order."""
    inserted = threading.Event()
    committed: list[str] = []

    def worker() -> None:
        with transaction.atomic():
            worker_writes()
            inserted.set()
            time.sleep(HOLD)
        committed.append("worker")

    def web() -> None:
        inserted.wait()
        web_writes()
        committed.append("web")

    threads = [in_thread(worker), in_thread(web)]
    for thread in threads:
        thread.join(timeout=30)
    return committed


def cursor_by_id(arrivals: list[Event]) -> list[Event]:
    """What the old browser applied: events in arrival (commit) order, skipping every one at
    or below the highest id already applied."""
    applied: list[Event] = []
    cursor = 0
    for event in arrivals:
        if event.id <= cursor:
            continue
        cursor = event.id
        applied.append(event)
    return applied


@pytest.fixture
def running(web10: ScaleSet) -> UpgradeOperation:
    return start_os_upgrade(web10, actor="Platform")


def test_l1_ids_are_not_commit_order_on_postgresql(web10: ScaleSet, running: UpgradeOperation):
    """The defect, reproduced without the stream: plain inserts from two connections."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: ids follow commit order there")
    worker_rows: list[Event] = []
    web_rows: list[Event] = []

    def worker_writes() -> None:
        worker_rows.extend(Event.objects.bulk_create(step_events(web10, running)))

    def web_writes() -> None:
        row = events.new_event(EventKind.CANCEL_REQUESTED, scale_set=web10, operation=running)
        web_rows.extend(Event.objects.bulk_create([row]))

    order = race(worker_writes, web_writes)
    assert order == ["web", "worker"], "the web committed first"
    assert web_rows[0].id > max(row.id for row in worker_rows), "yet with the higher id"
    arrivals = [*web_rows, *worker_rows]  # broadcast after commit: in commit order
    applied = cursor_by_id(arrivals)
    assert len(applied) == 1, "the id cursor dropped every event of the worker's step"


def test_l1_sequences_follow_commit_order_across_connections(
    web10: ScaleSet, running: UpgradeOperation
):
    worker_rows: list[Event] = []

    def worker_writes() -> None:
        worker_rows.extend(events.record(step_events(web10, running)))

    def web_writes() -> None:
        cancel_upgrade(web10, reason="stop")

    order = race(worker_writes, web_writes)
    assert order == ["worker", "web"], "the web's writer waited for the worker's commit"
    cancel = Event.objects.get(scale_set=web10, kind=EventKind.CANCEL_REQUESTED)
    assert cancel.sequence is not None
    assert cancel.sequence > max(row.sequence or 0 for row in worker_rows)
    sequences = list(
        Event.objects.filter(scale_set=web10)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1)), "one stream, no hole, no repeat"


def test_l1_a_rolled_back_writer_leaves_no_hole(web10: ScaleSet, running: UpgradeOperation):
    before = Event.objects.filter(scale_set=web10).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record(step_events(web10, running))
        raise RuntimeError("the step failed")
    row = events.record_one(EventKind.CANCEL_REQUESTED, scale_set=web10, operation=running)
    assert row.sequence == before + 1


def test_l1_many_writers_one_stream(web10: ScaleSet, running: UpgradeOperation):
    """Eight connections write at once; the stream stays 1..N, and each writer's events are
    contiguous (numbered together, under the lock)."""
    written: list[list[int]] = []
    lock = threading.Lock()

    def writer() -> None:
        for _ in range(5):
            rows = events.record(step_events(web10, running))
            with lock:
                written.append([row.sequence or 0 for row in rows])

    threads = [in_thread(writer) for _ in range(8)]
    for thread in threads:
        thread.join(timeout=60)
    sequences = sorted(s for batch in written for s in batch)
    first = sequences[0]
    assert sequences == list(range(first, first + 8 * 5 * 5))
    for batch in written:
        assert batch == list(range(batch[0], batch[0] + len(batch)))


def test_l1_a_scale_sets_first_event_starts_its_stream(tiny3: ScaleSet, db: Any):
    ScaleSetStream.objects.filter(pk=tiny3.pk).delete()  # as before its first event
    row = events.record_one(EventKind.ENABLED, scale_set=tiny3, at=timezone.now())
    assert row.sequence == 1

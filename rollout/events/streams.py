"""One ordered stream per scale set: sequence numbers allocated in commit order.

Database ids are allocated at insert and become visible at commit, so two transactions can
commit in the opposite order of their ids (the web's "cancel requested" takes id 120 while the
worker's step, which commits later, holds ids 110-119). A browser that skipped what it had
"already seen" by id then dropped the worker's events. Sequence numbers do not have that flaw:

1. ``allocate`` increments the scale set's ``ScaleSetStream`` row with an ``UPDATE``, inside the
   transaction that writes the events; the row stays locked until that transaction ends.
2. A second writer of the same scale set (web, worker, admin, API, command) waits at its own
   ``UPDATE`` until the first commits or rolls back, then numbers after it.
3. So at any moment the committed events of a scale set are numbered 1..N without a hole, a
   snapshot read in one transaction reflects exactly the events up to the head it read, and a
   client that has applied 1..M needs exactly the events after M.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max

from rollout.models import Event, ScaleSet, ScaleSetStream, UpgradeOperation


def allocate(scale_set_id: int, count: int) -> int:
    """Reserve ``count`` sequence numbers for the scale set; return the first of them.

    Call inside the transaction that writes the events: the stream row stays locked until
    it ends, which is what makes the numbers commit in order.
    """
    rows = ScaleSetStream.objects.filter(pk=scale_set_id)
    if not rows.update(sequence=F("sequence") + count):
        try:
            # A scale set's first event: its stream starts (after any event it already has).
            last = Event.objects.filter(scale_set_id=scale_set_id).aggregate(last=Max("sequence"))[
                "last"
            ]
            with transaction.atomic():
                ScaleSetStream.objects.create(scale_set_id=scale_set_id, sequence=last or 0)
        except IntegrityError:
            pass  # another writer created it first; its lock is ours once it commits
        rows.update(sequence=F("sequence") + count)
    last = rows.values_list("sequence", flat=True).get()
    return int(last) - count + 1


def hold_references(scale_set_ids: list[int], operation_ids: list[int]) -> None:
    """PostgreSQL: take the key-share locks the events' foreign keys will need, BEFORE the
    stream's lock.

    Django's foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED), and the check
    takes a key-share lock on the scale set and operation rows. A writer holding the stream
    lock would then wait at commit for another that holds one of those rows ``FOR UPDATE``
    (a cancel, a model update) while that one waits for the stream: a deadlock. Taken first,
    the key-share locks make the other writer wait before it can hold the stream.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, ids in (
            (ScaleSet._meta.db_table, scale_set_ids),
            (UpgradeOperation._meta.db_table, operation_ids),
        ):
            if ids:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE',
                    [sorted(set(ids))],
                )


def head(scale_set_id: int) -> int:
    """The last sequence number committed (visible) for the scale set; 0 before any."""
    value = ScaleSetStream.objects.filter(pk=scale_set_id).values_list("sequence", flat=True)
    return int(value.first() or 0)


def heads(scale_set_ids: list[int] | None = None) -> dict[int, int]:
    """Every (or these) scale set's head, in one query."""
    rows = ScaleSetStream.objects.all()
    if scale_set_ids is not None:
        rows = rows.filter(pk__in=scale_set_ids)
    return {int(pk): int(sequence) for pk, sequence in rows.values_list("pk", "sequence")}


def events_after(scale_set_id: int, after: int, limit: int) -> list[Event]:
    """The scale set's events numbered after ``after``, in order; at most ``limit``."""
    return list(
        Event.objects.filter(scale_set_id=scale_set_id, sequence__gt=after)
        .select_related(None)
        .order_by("sequence")[:limit]
    )


@contextmanager
def consistent_read() -> Iterator[None]:
    """One transaction whose reads all see the same committed state (a snapshot's).

    On PostgreSQL the transaction is REPEATABLE READ, so a head read first and the rows read
    after it agree: the rows show exactly the events numbered up to that head. SQLite's read
    transactions (WAL) already see one state. Inside an outer transaction, that one decides.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield

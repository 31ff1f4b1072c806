"""What every fault test checks at the end of a rollout: it Completed, and each instance got
exactly one new OS disk on the target image (none lost, none doubled), one reimage and one
success in the event log, and no disk left kept for rollback."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from rollout.models import (
    Event,
    EventKind,
    Instance,
    InstanceUpgrade,
    OsDisk,
    RunningStatus,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from tests.support import Process
from tests.support.fleets import NEW_VERSION

IN_FLIGHT = ("reimaging", "waiting_for_health")


def start(scale_set: ScaleSet) -> UpgradeOperation:
    """A manual OS upgrade (M1) of every instance to NEW_VERSION, queued after commit."""
    return start_os_upgrade(scale_set, started_by=StartedBy.USER)


def wait_ended(
    operation: UpgradeOperation, timeout: float, why: str = "", *, alive: Sequence[Process] = ()
) -> UpgradeOperation:
    """Wait for the operation to end; fail at once when one of ``alive`` exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operation.refresh_from_db()
        if not operation.is_active:
            return operation
        for process in alive:
            assert process.running, f"{process.name} exited {why}\n{process.tail()}"
        time.sleep(0.1)
    raise AssertionError(
        f"operation {operation.pk} still {operation.status} after {timeout:g} s "
        f"({operation.successful_instance_count} upgraded) {why}"
    )


def in_flight_batch(operation: UpgradeOperation) -> int | None:
    """The index of a batch whose instances are being reimaged or awaited, if any."""
    row = (
        InstanceUpgrade.objects.filter(operation=operation, state__in=IN_FLIGHT)
        .values_list("batch__index", flat=True)
        .first()
    )
    return row


def assert_upgraded_exactly_once(operation: UpgradeOperation) -> None:
    """Completed; every instance on NEW_VERSION with exactly one OS disk created by this
    operation; one ``reimaging`` and one ``succeeded`` event per instance; one
    ``batch_started`` per batch."""
    operation.refresh_from_db()
    scale_set = operation.scale_set
    instances = Instance.objects.filter(scale_set=scale_set)
    count = instances.count()
    assert operation.status == RunningStatus.COMPLETED, operation.reasons
    assert operation.successful_instance_count == count
    new_disks = Counter(
        OsDisk.objects.filter(
            instance__scale_set=scale_set, created_at__gte=operation.started_at
        ).values_list("instance_id", flat=True)
    )
    assert len(new_disks) == count, f"{count - len(new_disks)} instances got no new disk"
    doubled = {instance: n for instance, n in new_disks.items() if n != 1}
    assert not doubled, f"instances with more than one new OS disk: {doubled}"
    attached = OsDisk.objects.filter(instance__scale_set=scale_set, state="attached")
    assert attached.count() == count
    assert set(attached.values_list("image_version", flat=True)) == {NEW_VERSION}
    assert not OsDisk.objects.filter(
        instance__scale_set=scale_set, state="kept_for_rollback"
    ).exists()
    events = Event.objects.filter(operation=operation)
    changes = Counter(
        (event.data["instance"], event.data["state"])
        for event in events.filter(kind=EventKind.INSTANCE_CHANGED)
    )
    for state in ("reimaging", "succeeded"):
        seen = Counter(instance for (instance, s) in changes if s == state)
        assert len(seen) == count, f"{count - len(seen)} instances never {state}"
        assert max(changes[(i, state)] for i in seen) == 1, f"an instance {state} twice"
    batches = Counter(e.data["batch"] for e in events.filter(kind=EventKind.BATCH_STARTED))
    assert batches and max(batches.values()) == 1, f"a batch started twice: {batches}"
    assert events.filter(kind=EventKind.UPGRADE_FINISHED).count() == 1

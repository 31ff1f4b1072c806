"""T7: an automatic upgrade bound to a maintenance window starts batches only inside it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from builders import MINUTE, NEW, T0, State, operation, policy, snapshot, web10, with_vm, world

from orchestrator.actions import CompleteBatch, Finish, Reimage, StartBatch
from orchestrator.engine import step
from orchestrator.model import InstanceView, MaintenanceWindow, RunningStatus
from orchestrator.policy import UpgradeKind

HOUR = timedelta(hours=1)
# The window of T0's day: 02:00-07:00 UTC (5 hours, Azure's minimum for the osimage scope).
TONIGHT = MaintenanceWindow(T0 + 2 * HOUR, T0 + 7 * HOUR, "02:00 UTC", "07:00 UTC")


def daily_window(now: datetime) -> MaintenanceWindow:
    """The 02:00-07:00 UTC window open at `now`, or the next one (what the edge computes)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in (-1, 0, 1):
        opens = day + timedelta(days=offset) + 2 * HOUR
        if now < opens + 5 * HOUR:
            return MaintenanceWindow(opens, opens + 5 * HOUR)
    raise AssertionError("unreachable")


def first_batch_open(instances: list[InstanceView]) -> list[InstanceView]:
    for instance_id in ("0", "3"):
        instances = with_vm(
            instances, instance_id, batch=0, state=State.REIMAGING, reimage_started_at=T0
        )
    return instances


BATCHES = (("0", "3"), ("6", "9"), ("1", "4"), ("7",), ("2", "5"), ("8",))


def test_t7_no_batch_starts_outside_the_window_and_it_looks_again_when_it_opens() -> None:
    decision = step(replace(snapshot(web10(), operation(*BATCHES)), maintenance_window=TONIGHT), T0)
    assert decision.actions == ()
    assert decision.recheck_at == TONIGHT.opens_at
    assert decision.reasons == (
        "T7: outside the maintenance window: batch 1 waits; the next window opens at 02:00 UTC",
    )


def test_t7_a_batch_starts_inside_the_window_after_u7_is_checked() -> None:
    now = TONIGHT.opens_at + MINUTE
    decision = step(
        replace(snapshot(web10(), operation(*BATCHES)), maintenance_window=TONIGHT), now
    )
    assert decision.actions[0] == StartBatch(0, now)
    assert {a.instance_id for a in decision.actions if isinstance(a, Reimage)} == {"0", "3"}
    assert any(reason.startswith("U7: 0 of 10") for reason in decision.reasons)
    assert any(
        reason.startswith("T7: batch 1 starts inside the maintenance window (it closes at 07:00")
        for reason in decision.reasons
    )


def test_t7_a_running_batch_finishes_after_the_window_closes() -> None:
    after_close = TONIGHT.closes_at + MINUTE
    instances = first_batch_open(web10())
    instances = with_vm(instances, "0", state=State.SUCCEEDED, image=NEW)
    instances = with_vm(instances, "3", state=State.SUCCEEDED, image=NEW)
    op = operation(*BATCHES, open_batch=0)
    # The edge gives the next window once this one has closed.
    tomorrow = MaintenanceWindow(TONIGHT.opens_at + 24 * HOUR, TONIGHT.closes_at + 24 * HOUR)
    decision = step(replace(snapshot(instances, op), maintenance_window=tomorrow), after_close)
    assert decision.actions == (CompleteBatch(0, after_close),)


def test_t7_the_next_batch_waits_for_the_next_window() -> None:
    after_close = TONIGHT.closes_at + MINUTE
    tomorrow = MaintenanceWindow(TONIGHT.opens_at + 24 * HOUR, TONIGHT.closes_at + 24 * HOUR)
    instances = web10()
    for instance_id in ("0", "3"):
        instances = with_vm(instances, instance_id, batch=0, state=State.SUCCEEDED, image=NEW)
    op = operation(*BATCHES, completed=1, completed_at=TONIGHT.closes_at - MINUTE)
    decision = step(replace(snapshot(instances, op), maintenance_window=tomorrow), after_close)
    assert decision.actions == ()
    assert decision.recheck_at == tomorrow.opens_at
    assert "batch 2 waits" in decision.reasons[0]


def test_t7_manual_upgrades_ignore_the_window() -> None:
    manual = operation(*BATCHES, kind=UpgradeKind.MANUAL)
    snap = snapshot(web10(), manual, effective=policy(UpgradeKind.MANUAL))
    decision = step(replace(snap, maintenance_window=TONIGHT), T0)
    assert decision.actions[0] == StartBatch(0, T0)
    assert not any(reason.startswith("T7") for reason in decision.reasons)


def test_t7_cancelling_while_waiting_for_the_window_ends_the_upgrade() -> None:
    op = operation(*BATCHES, cancel_requested=True)
    decision = step(replace(snapshot(web10(), op), maintenance_window=TONIGHT), T0)
    assert decision.finish == Finish(RunningStatus.CANCELLED, None, T0)


def test_t7_a_window_must_close_after_it_opens() -> None:
    with pytest.raises(ValueError, match="close after it opens"):
        MaintenanceWindow(T0, T0)


@pytest.mark.parametrize("seed", range(5))
def test_t7_a_whole_rollout_starts_every_batch_inside_a_window(seed: int) -> None:
    """Stepped as the edge steps it: a long rollout spreads over several nightly windows."""
    sim = world(vms=10, effective=policy(pause_time_between_batches=3 * HOUR, time_scale=1.0))
    sim.behaviour = replace(sim.behaviour, seed=seed)
    now = T0
    started: list[datetime] = []
    for _ in range(2_000):
        window = daily_window(now)
        decision = step(replace(sim.snapshot(now), maintenance_window=window), now)
        for action in decision.actions:
            if isinstance(action, StartBatch):
                assert window.is_open(now), f"batch {action.index + 1} started at {now}"
                started.append(now)
        sim.apply(decision, now)
        if decision.recheck_at is None:
            break
        now = max(now, decision.recheck_at)
    assert sim.operation.status is RunningStatus.COMPLETED
    assert len(started) == len(sim.operation.batches) == 6
    # 3-hour pauses: at most two batches fit in one 5-hour window, so it takes three nights.
    assert len({moment.date() for moment in started}) == 3

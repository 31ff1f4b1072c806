"""S2 osRollingUpgradeDeferral: notice, approval, an approval that never comes, cancel.

Rule tests over simulated whole rollouts, seeded rollouts with deferral mixed in (approvals
arriving at random moments, cancels) checked after every step, and a golden transcript.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import pytest
from builders import NEW, T0, ids, world
from test_simulation import random_world

from orchestrator.behaviour import FaultKind, FaultRule
from orchestrator.decision import Decision
from orchestrator.model import InstanceUpgradeState, RunningStatus, Snapshot
from orchestrator.policy import UpgradeKind
from orchestrator.simulation import SimulatedWorld
from orchestrator.whatif import Outcome, WhatIfWorld, play

State = InstanceUpgradeState
GOLDEN = Path(__file__).parent / "golden"


def deferred(simulated: SimulatedWorld) -> SimulatedWorld:
    simulated.policy = replace(simulated.policy, os_rolling_upgrade_deferral=True)
    return simulated


def awaiting(simulated: SimulatedWorld) -> list[str]:
    return [i for i, p in simulated.progress.items() if p.upgrade_state is State.AWAITING_APPROVAL]


def test_s2_a_batch_notifies_its_instances_and_reimages_none_before_approval() -> None:
    simulated = deferred(world())
    end = simulated.run(T0)
    assert simulated.operation.status is RunningStatus.ROLLING_FORWARD  # waiting, not ended
    first = simulated.operation.batches[0]
    assert sorted(awaiting(simulated)) == sorted(first.instance_ids)
    assert not any(call.startswith("reimage") for call in simulated.provider_calls)
    assert "waits for approval of" in simulated.transcript[-1]
    assert end == T0  # the step asked for no look of its own: nothing to poll


def test_s2_approved_instances_are_reimaged_and_the_rollout_completes() -> None:
    simulated = deferred(world())

    def approve_all(acting: SimulatedWorld, now: datetime) -> None:
        acting.approve(awaiting(acting), now)

    now = T0
    for _ in range(20):  # each batch waits, then the operator approves it
        now = simulated.run(now, before_step=approve_all)
        if simulated.operation.status.is_final:
            break
    assert simulated.operation.status is RunningStatus.COMPLETED
    assert all(p.upgrade_state is State.SUCCEEDED for p in simulated.progress.values())
    assert sum(call.startswith("reimage") for call in simulated.provider_calls) == 10


def test_s2_approving_some_reimages_only_those_the_batch_waits_for_the_rest() -> None:
    simulated = deferred(world(vms=20, zones=0, update_domains=1))
    now = simulated.run(T0)
    first = list(simulated.operation.batches[0].instance_ids)
    simulated.approve(first[:2], now)
    simulated.run(now)
    states = {i: simulated.progress[i].upgrade_state for i in first}
    assert all(states[i] is State.SUCCEEDED for i in first[:2])
    assert all(states[i] is State.AWAITING_APPROVAL for i in first[2:])
    assert simulated.operation.batches[0].completed_at is None


def test_s2_u10_cancel_releases_unapproved_instances_and_completes_the_batch() -> None:
    simulated = deferred(world(vms=20, zones=0, update_domains=1))
    now = simulated.run(T0)
    first = list(simulated.operation.batches[0].instance_ids)
    simulated.approve(first[:1], now)
    simulated.request_cancel()
    simulated.run(now)
    assert simulated.operation.status is RunningStatus.CANCELLED
    assert simulated.progress[first[0]].upgrade_state is State.SUCCEEDED
    for instance_id in first[1:]:
        progress = simulated.progress[instance_id]
        assert progress.upgrade_state is State.SKIPPED
        assert progress.failure_reason is not None and progress.failure_reason.startswith("S2")
        assert simulated.vms[instance_id].reimage_started_at is None  # never touched


def test_s2_a_manual_upgrade_is_never_deferred() -> None:
    simulated = deferred(world(kind=UpgradeKind.MANUAL))
    simulated.run(T0)
    assert simulated.operation.status is RunningStatus.COMPLETED


def test_s2_w1_the_what_if_assumes_approvals_come_at_once() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(8), image_version=NEW)
    prediction = play(WhatIfWorld.of(deferred(world(rules=[rule]))), T0)
    assert prediction.outcomes["8"] is Outcome.ROLLED_BACK
    assert prediction.count(Outcome.SUCCEEDED) >= 1


@pytest.mark.parametrize("seed", range(30))
def test_s2_seeded_rollouts_with_deferral_hold_after_every_step(seed: int) -> None:
    """Random worlds with deferral; approvals of random instances at random moments, and a
    cancel now and then. After every step: no instance is reimaged unless approved; an
    instance awaiting approval is in the open batch; the rollout ends."""
    simulated, _ = random_world(seed)
    deferred(simulated)
    rng = Random(seed)
    cancel_at = rng.choice([None, None, 3, 10])
    steps = [0]

    def act(acting: SimulatedWorld, now: datetime) -> None:
        steps[0] += 1
        waiting = awaiting(acting)
        if waiting and rng.random() < 0.7:
            acting.approve(rng.sample(waiting, k=rng.randint(1, len(waiting))), now)
        if cancel_at is not None and steps[0] == cancel_at:
            acting.request_cancel()

    def check(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        automatic = snapshot.policy.kind is UpgradeKind.AUTOMATIC
        current = snapshot.operation.current_batch
        for view in snapshot.instances:
            if automatic and view.upgrade_state in (State.REIMAGING, State.WAITING_FOR_HEALTH):
                assert view.progress.approved_at is not None, "S2: reimaged without approval"
            if view.upgrade_state is State.AWAITING_APPROVAL:
                assert current is not None and view.instance_id in current.instance_ids

    now = T0
    for _ in range(200):
        now = simulated.run(now, before_step=act, check=check)
        if simulated.operation.status.is_final:
            break
        act(simulated, now)
        now += timedelta(seconds=1)
    assert simulated.operation.status.is_final


def test_s2_golden_transcript() -> None:
    simulated = deferred(world(vms=6, zones=0, update_domains=1))
    now = simulated.run(T0)
    first = list(simulated.operation.batches[0].instance_ids)
    simulated.approve(first, now + timedelta(minutes=3))
    now = simulated.run(now + timedelta(minutes=3))
    simulated.request_cancel()
    simulated.run(now + timedelta(minutes=1))
    operation = simulated.operation
    actual = (
        "\n".join(
            ["# deferral_approve_then_cancel", *simulated.transcript, f"= {operation.status}"]
        )
        + "\n"
    )
    path = GOLDEN / "deferral_approve_then_cancel.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")

"""Whole rollouts in the simulated world, with the rules checked after every step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

import pytest
from builders import NEW, OLD, SECOND, T0, policy, world

from orchestrator.actions import (
    Finish,
    MarkFailed,
    MarkRollbackFailed,
    PlanBatches,
    Reimage,
    RestoreOsDisk,
    StartBatch,
)
from orchestrator.behaviour import FaultKind, FaultRule
from orchestrator.decision import Decision
from orchestrator.engine import step
from orchestrator.health import instance_health
from orchestrator.model import (
    HealthSource,
    InstanceUpgradeState,
    RunningStatus,
    Snapshot,
)
from orchestrator.planner import batch_size_for
from orchestrator.policy import EffectivePolicy, UpgradeKind
from orchestrator.simulation import SimulatedWorld

RULE_ID = re.compile(r"^(U\d+|T\d+|M\d+|B\d+): ")


def breaches(unhealthy: int, total: int, percent: int) -> bool:
    """ "More than N%" written out independently of the engine's helper."""
    return total > 0 and unhealthy / total > percent / 100 + 1e-12


@dataclass
class Invariants:
    """U2 U5 U7 T2 T3 M1 and the engine's own promises, checked on every step."""

    policy: EffectivePolicy
    reimaged: set[str] = field(default_factory=set)
    steps: int = 0

    def __call__(self, snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        self.steps += 1
        assert step(snapshot, now) == decision, "step is not a pure function of the snapshot"
        assert decision.recheck_at is None or decision.recheck_at >= now
        assert not decision.actions or decision.reasons, "every change says why"
        assert all(RULE_ID.match(reason) for reason in decision.reasons), decision.reasons
        operation = snapshot.operation
        assert sum(batch.is_open for batch in operation.batches) <= 1
        views = snapshot.instances_by_id
        rolling = self.policy.rolling
        open_batch = operation.current_batch
        started = None
        for action in decision.actions:
            if isinstance(action, PlanBatches):
                self.check_plan(snapshot, action)
            elif isinstance(action, StartBatch):
                assert open_batch is None, "U2: one batch at a time"
                started = operation.batches[action.index]
                assert operation.next_batch == started
                if operation.last_completed_batch is not None:
                    self.check_health_gates(snapshot, now)
            elif isinstance(action, Reimage):
                batch = started or open_batch
                assert batch is not None and action.instance_id in batch.instance_ids
                assert action.instance_id not in self.reimaged, "reimaged twice"
                assert views[action.instance_id].image_version != NEW, "T6"
                self.reimaged.add(action.instance_id)
            elif isinstance(action, RestoreOsDisk):
                assert (
                    self.policy.automatic_rollback
                    or rolling.rollback_failed_instances_on_policy_breach
                )
                if self.policy.kind is UpgradeKind.MANUAL:
                    assert operation.status is not RunningStatus.ROLLING_FORWARD or (
                        rolling.rollback_failed_instances_on_policy_breach
                    ), "M1"
            elif isinstance(action, Finish) and action.status is RunningStatus.FAULTED:
                assert action.error is not None

    def check_plan(self, snapshot: Snapshot, plan: PlanBatches) -> None:
        views = snapshot.instances_by_id
        limit = batch_size_for(len(views), self.policy.rolling.max_batch_instance_percent)
        for batch in plan.batches:
            assert 1 <= len(batch.instance_ids) <= limit  # U2
            assert len({views[i].update_domain for i in batch.instance_ids}) == 1  # T3
            zones = {views[i].zone for i in batch.instance_ids}
            assert self.policy.rolling.enable_cross_zone_upgrade or len(zones) == 1  # T2
        on_target = {i for i, view in views.items() if view.image_version == NEW}
        assert set(plan.skipped) == on_target  # T6

    def check_health_gates(self, snapshot: Snapshot, now: datetime) -> None:
        rolling = self.policy.rolling
        healthy = {
            view.instance_id: instance_health(view, snapshot.health_source, now).is_healthy
            for view in snapshot.instances
        }
        unhealthy = sum(not ok for ok in healthy.values())
        assert not breaches(unhealthy, len(healthy), rolling.max_unhealthy_instance_percent), "U7"
        upgraded = [view for view in snapshot.instances if view.upgrade_state.is_upgraded]
        bad = sum(
            view.upgrade_state.is_failure or not healthy[view.instance_id] for view in upgraded
        )
        assert not breaches(bad, len(upgraded), rolling.max_unhealthy_upgraded_instance_percent), (
            "U5"
        )


def random_world(seed: int) -> tuple[SimulatedWorld, Random]:
    rng = Random(seed)
    kind = rng.choice([UpgradeKind.AUTOMATIC, UpgradeKind.AUTOMATIC, UpgradeKind.MANUAL])
    vms = rng.randint(1, 30)
    chosen = policy(
        kind,
        disable_automatic_rollback=rng.random() < 0.25,
        time_scale=rng.choice([1.0, 60.0]),
        max_batch_instance_percent=rng.choice([5, 10, 20, 34, 50, 100]),
        max_unhealthy_instance_percent=rng.choice([5, 20, 50, 100]),
        max_unhealthy_upgraded_instance_percent=rng.choice([0, 20, 50, 100]),
        pause_time_between_batches=timedelta(seconds=rng.choice([0, 0, 90])),
        prioritize_unhealthy_instances=rng.random() < 0.3,
        enable_cross_zone_upgrade=rng.random() < 0.3,
        rollback_failed_instances_on_policy_breach=rng.random() < 0.3,
    )
    simulated = world(
        vms=vms,
        zones=rng.choice([0, 1, 2, 3]),
        update_domains=rng.randint(1, 5),
        kind=kind,
        effective=chosen,
        source=rng.choice(list(HealthSource)),
        flaky=rng.choice([0.0, 0.1, 0.3]),
        rng=rng,
        on_target={str(n) for n in range(vms) if rng.random() < 0.1},
    )
    return simulated, rng


@pytest.mark.parametrize("seed", range(40))
def test_u2_u5_u7_t2_t3_hold_through_whole_rollouts(seed: int) -> None:
    simulated, rng = random_world(seed)
    check = Invariants(simulated.policy)
    scale = simulated.policy.time_scale
    cancel_at = T0 + timedelta(seconds=rng.uniform(0, 900) / scale) if rng.random() < 0.2 else None
    pause_at = T0 + timedelta(seconds=rng.uniform(0, 900) / scale) if rng.random() < 0.2 else None
    maintenance_at = T0 + timedelta(seconds=rng.uniform(0, 600) / scale)
    maintenance = rng.random() < 0.3

    def operator(acting: SimulatedWorld, now: datetime) -> None:
        nonlocal cancel_at, pause_at, maintenance
        if cancel_at is not None and now >= cancel_at:
            acting.request_cancel()
            cancel_at = None
        if pause_at is not None and now >= pause_at:
            acting.request_pause()
            pause_at = None
        if maintenance and now >= maintenance_at:
            rule = FaultRule(FaultKind.UNHEALTHY_AFTER, 0, share=0.3, enabled_at=now, name="m")
            acting.add_rule(rule)
            maintenance = False

    now = simulated.run(T0, before_step=operator, check=check)
    for _ in range(5):
        if simulated.operation.status.is_final:
            break
        assert simulated.operation.is_paused  # B5: the only way to stop without finishing
        simulated.resume()
        now = simulated.run(now, before_step=operator, check=check)
    operation = simulated.operation
    assert simulated.finished_with_a_reason()
    assert RULE_ID.match(simulated.transcript[-1].split("s  ", 1)[1])
    if operation.status is RunningStatus.COMPLETED:
        for batch in operation.batches:
            assert batch.completed_at is not None
            for instance_id in batch.instance_ids:
                assert simulated.progress[instance_id].upgrade_state.is_terminal
    if operation.status is RunningStatus.FAULTED:
        assert operation.error is not None and operation.error.message


MEASURED = re.compile(r"^U[157]: \d+ of \d+ (upgraded )?instances unhealthy")


@pytest.mark.parametrize("seed", range(25))
def test_every_u1_u5_u7_reason_carries_its_figures_as_numbers(seed: int) -> None:
    simulated, _ = random_world(seed)
    seen: set[str] = set()

    def check(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        measured = [reason for reason in decision.reasons if MEASURED.match(reason)]
        assert len(measured) == len(decision.figures), decision
        for reason, share in zip(measured, decision.figures, strict=True):
            assert reason.startswith(f"{share.rule}: {share.describe()}")
            assert share.percent == (share.unhealthy * 100 / share.total if share.total else 0)
            seen.add(share.rule)

    simulated.run(T0, check=check)
    assert "U1" in seen


# What the live page used to read from the words to tell routine progress from milestones.
WORDED_ROUTINE = re.compile(r"^U[34]: (?!.*(not healthy|rolled back|restor))")
FAILURES = (MarkFailed, MarkRollbackFailed, RestoreOsDisk)


@pytest.mark.parametrize("seed", range(25))
def test_routine_progress_is_marked_as_data_not_left_to_the_words(seed: int) -> None:
    simulated, _ = random_world(seed)
    kinds: set[bool] = set()

    def check(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        worded = {i for i, reason in enumerate(decision.reasons) if WORDED_ROUTINE.match(reason)}
        assert set(decision.routine) <= worded, decision.reasons
        if worded - set(decision.routine):  # failures the words passed for routine
            assert any(isinstance(action, FAILURES) for action in decision.actions)
        assert list(decision.routine) == sorted(set(decision.routine))
        kinds.update(i in decision.routine for i in range(len(decision.reasons)))

    simulated.run(T0, check=check)
    assert kinds == {True, False}


def ideal_end(simulated: SimulatedWorld) -> datetime:
    """The critical path: each batch ends when its slowest VM is healthy."""
    snapshot = simulated.snapshot(T0)
    plan = step(snapshot, T0).actions[1]
    assert isinstance(plan, PlanBatches)
    behaviour, moment = simulated.behaviour, T0
    for batch in plan.batches:
        ends = []
        for instance_id in batch.instance_ids:
            done = moment + behaviour.duration(
                behaviour.reimage_seconds, instance_id, moment, "reimage"
            )
            ends.append(
                done
                + behaviour.duration(behaviour.healthy_after_seconds, instance_id, done, "healthy")
            )
        moment = max(ends)
    return moment


@pytest.mark.parametrize("time_scale", [1.0, 60.0])
def test_a_healthy_rollout_adds_no_time_to_the_critical_path(time_scale: float) -> None:
    simulated = world(vms=23, zones=3, update_domains=5, effective=policy(time_scale=time_scale))
    simulated.behaviour = type(simulated.behaviour)(seed=11, time_scale=time_scale)
    ideal = ideal_end(simulated)
    end = simulated.run(T0)
    assert simulated.operation.status is RunningStatus.COMPLETED
    assert end - T0 <= 1.05 * (ideal - T0)
    assert end == ideal


def test_u10_cancel_lets_current_batch_finish() -> None:
    simulated = world()

    def cancel_in_batch_2(acting: SimulatedWorld, now: datetime) -> None:
        if acting.operation.current_batch_index == 1:
            acting.request_cancel()

    simulated.run(T0, before_step=cancel_in_batch_2)
    operation = simulated.operation
    assert operation.status is RunningStatus.CANCELLED
    assert [batch.completed_at is not None for batch in operation.batches] == [True, True] + [
        False
    ] * 4
    assert [batch.started_at is not None for batch in operation.batches] == [True, True] + [
        False
    ] * 4
    for instance_id in operation.batches[1].instance_ids:
        assert simulated.progress[instance_id].upgrade_state is InstanceUpgradeState.SUCCEEDED
    assert simulated.transcript[-1].endswith("U10: cancelled after batch 2; no other batch starts")


def test_b5_pause_and_resume_rechecks_u7() -> None:
    simulated = world()

    def pause_in_batch_1(acting: SimulatedWorld, now: datetime) -> None:
        if acting.operation.current_batch_index == 0 and not acting.operation.pause_requested:
            acting.request_pause()

    paused_at = simulated.run(T0, before_step=pause_in_batch_1)
    assert simulated.operation.is_paused
    assert simulated.operation.status is RunningStatus.ROLLING_FORWARD
    assert [batch.completed_at is not None for batch in simulated.operation.batches][:2] == [
        True,
        False,
    ]
    # While paused, maintenance takes 3 of 10 VMs down; resuming re-checks U7 and stops.
    simulated.add_rule(
        FaultRule(FaultKind.UNHEALTHY_AFTER, 0, instance_ids=frozenset({"2", "5", "8"}))
    )
    simulated.resume()
    simulated.run(paused_at + SECOND)
    final = simulated.operation
    assert final.status is RunningStatus.FAULTED
    assert final.error is not None
    assert final.error.code == "MaxUnhealthyInstancePercentExceededInRollingUpgrade"
    assert any(
        line.endswith("B5: resumed; U7 is checked again before the next batch")
        for line in simulated.transcript
    )


def test_b5_resume_continues_when_the_scale_set_is_healthy() -> None:
    simulated = world()

    def pause_once(acting: SimulatedWorld, now: datetime) -> None:
        if acting.operation.current_batch_index == 2 and not acting.operation.pause_requested:
            acting.request_pause()

    paused_at = simulated.run(T0, before_step=pause_once)
    assert simulated.operation.is_paused
    simulated.resume()
    simulated.run(paused_at + SECOND)
    assert simulated.operation.status is RunningStatus.COMPLETED


def test_m1_manual_rollout_never_restores_an_os_disk() -> None:
    rules = [FaultRule(FaultKind.NEVER_HEALTHY, share=0.5, image_version=NEW)]
    simulated = world(
        vms=20,
        zones=0,
        update_domains=1,
        kind=UpgradeKind.MANUAL,
        rules=rules,
        effective=policy(
            UpgradeKind.MANUAL,
            max_unhealthy_upgraded_instance_percent=100,
            max_unhealthy_instance_percent=100,
        ),
    )
    end = simulated.run(T0)
    assert simulated.operation.status is RunningStatus.COMPLETED
    assert not any(call.startswith("restore_os_disk") for call in simulated.provider_calls)
    states = {p.upgrade_state for p in simulated.progress.values()}
    assert states == {InstanceUpgradeState.SUCCEEDED, InstanceUpgradeState.FAILED}
    failed = [
        i for i, p in simulated.progress.items() if p.upgrade_state is InstanceUpgradeState.FAILED
    ]
    assert len(failed) == 10
    assert all(simulated.snapshot(end).instances_by_id[i].image_version == NEW for i in failed)


def test_u9_expired_sas_token_fails_the_first_batch_and_stops() -> None:
    simulated = world()
    problem = "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"
    simulated.credential_problems = (problem,)
    simulated.run(T0)
    operation = simulated.operation
    assert operation.status is RunningStatus.FAULTED
    assert operation.error is not None and problem in operation.error.message
    assert [batch.started_at is not None for batch in operation.batches] == [True] + [False] * 5
    for instance_id in operation.batches[0].instance_ids:
        assert simulated.progress[instance_id].upgrade_state is InstanceUpgradeState.FAILED


def test_a_replayed_reimage_does_not_call_the_provider_twice() -> None:
    simulated = world()
    first = step(simulated.snapshot(T0), T0)
    simulated.apply(first, T0)
    start = step(simulated.snapshot(T0), T0)
    simulated.apply(start, T0)
    simulated.apply(start, T0)  # the same decision applied again after a crash
    assert simulated.provider_calls == ["reimage 0 2026.01.01", "reimage 3 2026.01.01"]
    assert not any(isinstance(a, Reimage) for a in step(simulated.snapshot(T0), T0).actions)


def test_instances_on_the_target_version_are_never_touched() -> None:
    simulated = world(on_target={"0", "5"})
    end = simulated.run(T0)
    touched = {call.split()[1] for call in simulated.provider_calls}
    assert touched.isdisjoint({"0", "5"})
    assert simulated.progress["0"].upgrade_state is InstanceUpgradeState.SKIPPED
    observed = simulated.snapshot(end).instances_by_id
    assert (observed["0"].image_version, observed["1"].image_version) == (NEW, NEW)
    assert simulated.vms["1"].image_version == OLD  # the kept disk's version, for a restore

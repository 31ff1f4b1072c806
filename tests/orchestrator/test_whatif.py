"""W1: the what-if plays an upgrade out through the engine and sums it up.

Rule tests on named scale sets; seeded whole rollouts checked after every step (the what-if
world's incremental snapshot is the full snapshot, and the prediction is the plain simulation's
run); golden transcripts of predictions in tests/orchestrator/golden/whatif_*.txt
(`UPDATE_GOLDEN=1` rewrites them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from builders import NEW, T0, ids, world
from test_simulation import random_world

from orchestrator.behaviour import FaultKind, FaultRule
from orchestrator.decision import Decision
from orchestrator.model import ErrorCode, RunningStatus, Snapshot
from orchestrator.policy import UpgradeKind
from orchestrator.simulation import SimulatedWorld
from orchestrator.whatif import Outcome, Prediction, WhatIfWorld, play
from orchestrator.wording import describe_duration

GOLDEN = Path(__file__).parent / "golden"


def predict(simulated: SimulatedWorld) -> Prediction:
    return play(WhatIfWorld.of(simulated), T0)


def test_w1_all_healthy_every_instance_succeeds_in_its_batch() -> None:
    prediction = predict(world())
    assert prediction.status is RunningStatus.COMPLETED
    assert prediction.stop is None and prediction.error is None
    assert prediction.count(Outcome.SUCCEEDED) == 10
    assert prediction.left_on_old_image == ()
    assert sorted(i for batch in prediction.batches for i in batch.instance_ids) == sorted(
        str(n) for n in range(10)
    )
    starts = [batch.started_after for batch in prediction.batches]
    assert all(start is not None for start in starts)
    assert starts == sorted(starts)  # type: ignore[type-var]
    assert prediction.duration == max(
        batch.completed_after for batch in prediction.batches if batch.completed_after
    )


def test_w1_u4_one_never_healthy_vm_is_predicted_rolled_back() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(8), image_version=NEW)
    prediction = predict(world(vms=20, zones=0, update_domains=5, rules=[rule]))
    assert prediction.outcomes["8"] is Outcome.ROLLED_BACK
    assert "8" in prediction.left_on_old_image
    batch = next(batch for batch in prediction.batches if "8" in batch.instance_ids)
    assert batch.count(Outcome.ROLLED_BACK) == 1


def test_w1_m1_a_manual_upgrade_keeps_the_failing_vm_on_the_new_image() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(8), image_version=NEW)
    prediction = predict(world(kind=UpgradeKind.MANUAL, rules=[rule]))
    assert prediction.outcomes["8"] is Outcome.FAILED
    assert "8" not in prediction.left_on_old_image


def test_w1_u5_stop_names_the_batch_the_code_and_the_figures() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, share=0.3, image_version=NEW, name="bad image")
    prediction = predict(world(rules=[rule]))
    stop = prediction.stop
    assert stop is not None and stop.rule == "U5"
    assert stop.error.code is ErrorCode.UNHEALTHY_UPGRADED
    assert stop.figures.exceeds and stop.figures.allowed_percent == 20
    assert prediction.status is RunningStatus.FAULTED
    ran = [batch for batch in prediction.batches if batch.started_after is not None]
    assert len(ran) == stop.after_batch
    not_run = {i for batch in prediction.batches[stop.after_batch :] for i in batch.instance_ids}
    assert not_run and not_run <= set(prediction.left_on_old_image)
    assert all(prediction.outcomes[i] is Outcome.NOT_UPGRADED for i in not_run)


def test_w1_u7_maintenance_already_under_way_is_predicted_to_stop_before_a_batch() -> None:
    down = FaultRule(
        FaultKind.UNHEALTHY_AFTER, 150, instance_ids=ids(2, 7, 12, 17, 4), enabled_at=T0
    )
    prediction = predict(world(vms=20, zones=0, update_domains=5, rules=[down]))
    stop = prediction.stop
    assert stop is not None and stop.rule == "U7"
    assert stop.error.code is ErrorCode.UNHEALTHY_DURING
    assert (stop.figures.unhealthy, stop.figures.total) == (5, 20)
    assert stop.after_batch >= 1


def test_w1_u1_too_unhealthy_to_start_plans_nothing() -> None:
    sick = FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(0, 1, 2))
    prediction = predict(world(rules=[sick]))
    assert prediction.stop is not None and prediction.stop.rule == "U1"
    assert prediction.stop.after_batch == 0
    assert prediction.batches == ()
    assert prediction.count(Outcome.NOT_UPGRADED) == 10


def test_w1_u9_an_expired_credential_fails_the_first_batch() -> None:
    simulated = world()
    what_if = WhatIfWorld.of(simulated)
    what_if.credential_problems = ("extension 'CustomScript' SAS token expired",)
    what_if.extension_names = ("CustomScript",)
    what_if.failing_extensions = ("CustomScript",)
    prediction = play(what_if, T0)
    first = prediction.batches[0]
    assert first.count(Outcome.SUCCEEDED) == 0
    assert prediction.status is RunningStatus.FAULTED
    assert all(batch.started_after is None for batch in prediction.batches[1:])


def test_w1_t6_instances_on_the_target_are_skipped_not_left_behind() -> None:
    prediction = predict(world(on_target={"4"}))
    assert prediction.outcomes["4"] is Outcome.SKIPPED
    assert "4" not in prediction.left_on_old_image


@pytest.mark.parametrize("seed", range(30))
def test_w1_the_what_if_world_is_the_simulation_after_every_step(seed: int) -> None:
    """Seeded whole rollouts (policies, zones, faults, skipped VMs drawn by the seed): after
    every step the what-if's incremental snapshot equals a full one, and the run ends exactly
    as the plain simulation's (transcript, states, end)."""
    plain, _ = random_world(seed)
    what_if = WhatIfWorld.of(plain)

    def check(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        full = SimulatedWorld.snapshot(what_if, now)
        assert snapshot.instances == full.instances
        assert snapshot.instances_by_id == full.instances_by_id

    what_if.run(T0, check=check)
    prediction = play(WhatIfWorld.of(random_world(seed)[0]), T0)
    plain.run(T0)
    assert prediction.transcript == tuple(plain.transcript)
    assert prediction.status is plain.operation.status
    final = {i: plain.progress[i].upgrade_state for i in plain.progress}
    assert {i: o for i, o in prediction.outcomes.items() if i in final} == {
        i: Outcome(o) if o in set(Outcome) else Outcome.NOT_UPGRADED for i, o in final.items()
    }
    # Every planned instance is in exactly one batch; the counts add up.
    planned = [i for batch in prediction.batches for i in batch.instance_ids]
    assert len(planned) == len(set(planned))
    assert sum(prediction.count(outcome) for outcome in Outcome) == len(prediction.outcomes)
    # A stop is predicted exactly when a health rule ends the upgrade Faulted.
    health_codes = {
        ErrorCode.UNHEALTHY_BEFORE,
        ErrorCode.UNHEALTHY_UPGRADED,
        ErrorCode.UNHEALTHY_DURING,
    }
    stopped = prediction.error is not None and prediction.error.code in health_codes
    assert (prediction.stop is not None) is (stopped and prediction.status is RunningStatus.FAULTED)


def describe(name: str, prediction: Prediction) -> str:
    lines = [f"# {name}", f"= {prediction.status} in {describe_duration(prediction.duration)}"]
    if prediction.stop is not None:
        stop = prediction.stop
        lines.append(f"stop: {stop.rule} after batch {stop.after_batch}: {stop.error.code}")
        lines.append(f"  {stop.error.message}")
    for batch in prediction.batches:
        outcomes = " ".join(f"{i}:{outcome}" for i, outcome in batch.outcomes)
        lines.append(f"batch {batch.index + 1}: {outcomes}")
    lines.append(f"left on the old image: {' '.join(prediction.left_on_old_image) or '-'}")
    return "\n".join(lines) + "\n"


GOLDEN_SCENARIOS: dict[str, Callable[[], SimulatedWorld]] = {
    "whatif_all_healthy": world,
    "whatif_thirty_percent_fail": lambda: world(
        rules=[FaultRule(FaultKind.NEVER_HEALTHY, share=0.3, image_version=NEW, name="bad")]
    ),
    "whatif_maintenance_u7": lambda: world(
        vms=20,
        zones=0,
        update_domains=5,
        rules=[
            FaultRule(
                FaultKind.UNHEALTHY_AFTER, 150, instance_ids=ids(2, 7, 12, 17, 4), enabled_at=T0
            )
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_SCENARIOS))
def test_w1_golden_prediction(name: str) -> None:
    path = GOLDEN / f"{name}.txt"
    actual = describe(name, predict(GOLDEN_SCENARIOS[name]()))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")

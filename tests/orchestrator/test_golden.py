"""Golden transcripts: the reasons of named rollouts, compared exactly.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/orchestrator`, then read
the diff of tests/orchestrator/golden/ before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from builders import NEW, T0, ids, world

from orchestrator.behaviour import FaultKind, FaultRule
from orchestrator.policy import UpgradeKind
from orchestrator.simulation import SimulatedWorld

GOLDEN = Path(__file__).parent / "golden"
SAS_EXPIRED = "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"


def all_healthy() -> SimulatedWorld:
    return world()


def one_vm_never_healthy_rolled_back() -> SimulatedWorld:
    return world(rules=[FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(8), image_version=NEW)])


def thirty_percent_fail_and_stop() -> SimulatedWorld:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, share=0.3, image_version=NEW, name="bad image")
    return world(rules=[rule])


def maintenance_makes_25_percent_unhealthy_mid_batch() -> SimulatedWorld:
    return world(vms=20, zones=0, update_domains=5)


def maintenance_starts(acting: SimulatedWorld, now: datetime) -> None:
    """30 s into batch 1, maintenance takes 5 of 20 VMs (25%) of later batches down."""
    if now >= T0 + timedelta(seconds=30) and not acting.rules:
        down = ids(2, 7, 12, 17, 4)
        acting.add_rule(FaultRule(FaultKind.UNHEALTHY_AFTER, 0, instance_ids=down, enabled_at=now))


def manual_upgrade_failing_vm_keeps_new_disk() -> SimulatedWorld:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=ids(8), image_version=NEW)
    return world(kind=UpgradeKind.MANUAL, rules=[rule])


def cancel_in_batch_2() -> SimulatedWorld:
    return world()


def cancel_when_batch_2_runs(acting: SimulatedWorld, now: datetime) -> None:
    if acting.operation.current_batch_index == 1:
        acting.request_cancel()


def expired_sas_token() -> SimulatedWorld:
    simulated = world()
    simulated.credential_problems = (SAS_EXPIRED,)
    return simulated


Hook = Callable[[SimulatedWorld, datetime], None] | None

SCENARIOS: dict[str, tuple[Callable[[], SimulatedWorld], Hook]] = {
    "all_healthy": (all_healthy, None),
    "one_vm_never_healthy_rolled_back": (one_vm_never_healthy_rolled_back, None),
    "thirty_percent_fail_and_stop": (thirty_percent_fail_and_stop, None),
    "maintenance_25_percent_mid_batch": (
        maintenance_makes_25_percent_unhealthy_mid_batch,
        maintenance_starts,
    ),
    "manual_failing_vm_keeps_new_disk": (manual_upgrade_failing_vm_keeps_new_disk, None),
    "cancel_in_batch_2": (cancel_in_batch_2, cancel_when_batch_2_runs),
    "expired_sas_token": (expired_sas_token, None),
}


def transcript(name: str) -> str:
    build, hook = SCENARIOS[name]
    simulated = build()
    simulated.run(T0, before_step=hook)
    operation = simulated.operation
    end = f"= {operation.status}"
    if operation.error is not None:
        end += f" {operation.error.code}: {operation.error.message}"
    return "\n".join([f"# {name}", *simulated.transcript, end]) + "\n"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_transcript(name: str) -> None:
    path = GOLDEN / f"{name}.txt"
    actual = transcript(name)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")

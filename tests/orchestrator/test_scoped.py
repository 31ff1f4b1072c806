"""Fleet scale: the scoped snapshot (open batch in full, the rest as aggregates) gives the same
decisions as the full one, step after step of whole rollouts with random faults."""

from __future__ import annotations

from datetime import datetime
from random import Random

import pytest
from builders import T0, policy, world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.decision import Decision
from orchestrator.engine import step
from orchestrator.model import HealthSource, Snapshot
from orchestrator.policy import UpgradeKind
from orchestrator.scoped import scope, summarize


def same_decisions(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
    scoped = scope(snapshot, now)
    assert step(scoped, now) == decision
    if snapshot.operation.started_at is not None:
        assert scoped.rest is not None
        assert len(scoped.instances) + scoped.rest.total == len(snapshot.instances)


@given(
    seed=st.integers(0, 2**16),
    vms=st.integers(1, 60),
    zones=st.sampled_from([0, 1, 3]),
    flaky=st.sampled_from([0.0, 0.1, 0.3, 0.6]),
    kind=st.sampled_from(list(UpgradeKind)),
    source=st.sampled_from(list(HealthSource)),
    rollback_on_breach=st.booleans(),
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_u5_u7_scoped_snapshot_decides_as_the_full_one(
    seed: int,
    vms: int,
    zones: int,
    flaky: float,
    kind: UpgradeKind,
    source: HealthSource,
    rollback_on_breach: bool,
) -> None:
    effective = policy(kind, rollback_failed_instances_on_policy_breach=rollback_on_breach)
    sim = world(
        vms=vms,
        zones=zones,
        update_domains=3,
        kind=kind,
        effective=effective,
        source=source,
        flaky=flaky,
        rng=Random(seed),
    )
    sim.run(T0, check=same_decisions)
    assert sim.finished_with_a_reason()


@pytest.mark.parametrize("seed", range(2))
def test_u6_scoped_snapshot_carries_about_one_batch(seed: int) -> None:
    sizes: list[int] = []

    def record(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        same_decisions(snapshot, decision, now)
        if snapshot.operation.started_at is not None:
            sizes.append(len(scope(snapshot, now).instances))

    sim = world(vms=150, zones=3, update_domains=1, flaky=0.0, rng=Random(seed))
    sim.run(T0, check=record)
    # Batches of at most 30 (U2: 20% of 150, inside one zone of 50): the next and the last
    # batch together, never the scale set's 150.
    assert sizes and max(sizes) <= 2 * 30


def test_u7_summary_counts_unhealthy_upgraded_and_failure_reasons() -> None:
    sim = world(vms=10, zones=3)
    views = sim.snapshot(T0).instances
    summary = summarize(views, HealthSource.LOAD_BALANCER_PROBE, T0)
    assert (summary.total, summary.unhealthy, summary.upgraded) == (10, 0, 0)
    assert summary.progress.pending == 0

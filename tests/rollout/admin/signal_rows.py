"""One row of each model of gates, checkpoints and notifications (G1, G2, G4) for the admin's
world, written directly as the world's other rows are."""

from __future__ import annotations

from datetime import datetime

from rollout.models import (
    CheckpointHold,
    CheckpointPolicy,
    Delivery,
    DeliveryAttempt,
    Gate,
    GateMeasurement,
    GateRun,
    NotificationTarget,
    ScaleSet,
    UpgradeOperation,
)


def add_signal_rows(scale_set: ScaleSet, operation: UpgradeOperation, at: datetime) -> None:
    gate = Gate.objects.create(
        scale_set=scale_set,
        name="error-rate",
        kind="prometheus",
        url="http://prometheus:9090",
        query="job:errors:ratio5m",
        success_condition="result < 0.01",
    )
    CheckpointPolicy.objects.create(scale_set=scale_set, checkpoints=[{"percent": 50}])
    run = GateRun.objects.create(
        operation=operation,
        batch_index=0,
        phase="before_batch",
        started_at=at,
        verdict="successful",
    )
    GateMeasurement.objects.create(
        run=run, gate=gate, gate_name=gate.name, gate_kind=gate.kind, at=at, verdict="successful"
    )
    CheckpointHold.objects.create(operation=operation, percent=50, batch_index=0, reached_at=at)
    target = NotificationTarget.objects.create(name="ops", url="https://hooks.example.org/x")
    delivery = Delivery.objects.create(
        target=target, topic="upgrade.completed", created_at=at, next_attempt_at=at
    )
    DeliveryAttempt.objects.create(delivery=delivery, number=1, at=at, duration_ms=3.0, ok=True)

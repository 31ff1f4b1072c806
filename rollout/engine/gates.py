"""The engine's edge for gates and checkpoints (G1, G4): their state into the snapshot, their
actions onto rows and events.

A new gate run is measured by the task ``rollout.run_gates`` (rollout/tasks/gates.py), woken by
name after commit; beat's sweep finds runs whose measurement is overdue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from orchestrator import actions as a
from orchestrator.gates.model import (
    Checkpoint,
    CheckpointReached,
    GatePhase,
    GateRunView,
    GateState,
    GateVerdict,
)
from rollout import events
from rollout.models import (
    CheckpointHold,
    CheckpointPolicy,
    Event,
    EventKind,
    Gate,
    GateRun,
    UpgradeOperation,
)

logger = logging.getLogger(__name__)

RUN_GATES = "rollout.run_gates"  # the task's name (rollout.tasks.gates)


def load_gate_state(operation: UpgradeOperation) -> GateState | None:
    """The snapshot's view of the gates: None when the scale set has no gate, bake time or
    checkpoint (two queries then; four with gates or checkpoints)."""
    gates = list(
        Gate.objects.filter(scale_set_id=operation.scale_set_id, enabled=True).values_list(
            "name", "interval_seconds"
        )
    )
    policy = CheckpointPolicy.objects.filter(scale_set_id=operation.scale_set_id).first()
    checkpoints = checkpoints_of(policy)
    bake = timedelta(seconds=policy.bake_seconds if policy else 0.0)
    if not gates and not checkpoints and bake <= timedelta(0):
        return None
    latest: dict[tuple[int, str], GateRunView] = {}
    for run in GateRun.objects.filter(operation=operation).order_by("id"):
        latest[(run.batch_index, run.phase)] = GateRunView(
            batch_index=run.batch_index,
            phase=GatePhase(run.phase),
            verdict=GateVerdict(run.verdict) if run.verdict else None,
            message=run.message,
            paused=run.paused_at is not None,
        )
    reached = tuple(
        CheckpointReached(hold.percent, hold.reached_at, promoted=hold.promoted_at is not None)
        for hold in CheckpointHold.objects.filter(operation=operation)
    )
    return GateState(
        gate_names=tuple(name for name, _ in gates),
        interval=timedelta(seconds=min((i for _, i in gates), default=60.0)),
        bake=bake,
        checkpoints=checkpoints,
        runs=tuple(latest.values()),
        reached=reached,
    )


def bake_time_of(operation: UpgradeOperation) -> timedelta:
    """G4: the scale set's bake time after each batch (B8's estimates wait for it)."""
    seconds = (
        CheckpointPolicy.objects.filter(scale_set_id=operation.scale_set_id)
        .values_list("bake_seconds", flat=True)
        .first()
    )
    return timedelta(seconds=seconds or 0.0)


def checkpoints_of(policy: CheckpointPolicy | None) -> tuple[Checkpoint, ...]:
    if policy is None:
        return ()
    found = []
    for item in policy.checkpoints or []:
        delay = item.get("delaySeconds")
        found.append(
            Checkpoint(
                int(item["percent"]),
                timedelta(seconds=float(delay)) if delay is not None else None,
            )
        )
    return tuple(found)


def apply_gate_action(
    operation: UpgradeOperation,
    action: a.StartGateRun | a.PauseForGate | a.ReachCheckpoint,
    now: datetime,
) -> list[Event]:
    """Rows and events of one gate action, in the step's transaction (the operation's own
    fields are saved by the step)."""
    scale_set = operation.scale_set
    match action:
        case a.StartGateRun(batch_index=index, phase=phase, at=at, until=until):
            run = GateRun.objects.create(
                operation=operation,
                batch_index=index,
                phase=phase,
                started_at=at,
                until=until,
                next_measurement_at=at,
            )
            run_id = run.pk
            transaction.on_commit(lambda: wake_run(run_id))
            return []
        case a.PauseForGate(reason=reason, batch_index=index, phase=phase):
            GateRun.objects.filter(
                operation=operation, batch_index=index, phase=phase, paused_at__isnull=True
            ).update(paused_at=now)
            operation.pause_requested = True
            operation.is_paused = True
            return [
                events.new_event(
                    EventKind.PAUSED,
                    scale_set=scale_set,
                    operation=operation,
                    at=now,
                    reason=reason,
                    engine=True,
                    gate=True,
                )
            ]
        case a.ReachCheckpoint(percent=percent, batch_index=index, delay=delay, at=at):
            CheckpointHold.objects.get_or_create(
                operation=operation,
                percent=percent,
                defaults={
                    "batch_index": index,
                    "reached_at": at,
                    "delay_seconds": delay.total_seconds() if delay is not None else None,
                },
            )
            data: dict[str, Any] = {"percent": percent, "batch": index, "hold": delay is None}
            if delay is not None:
                data["delay_seconds"] = delay.total_seconds()
            return [
                events.new_event(
                    EventKind.CHECKPOINT_REACHED,
                    scale_set=scale_set,
                    operation=operation,
                    at=now,
                    reason=f"G4: checkpoint {percent}%",
                    **data,
                )
            ]


def wake_run(run_id: int) -> None:
    """Send the measuring task by name; never raise (beat's sweep catches up)."""
    from rollout.celery import app

    try:
        app.send_task(RUN_GATES, (run_id,))
    except Exception:
        logger.warning("could not wake gate run %s", run_id, exc_info=True)

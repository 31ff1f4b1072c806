"""What gates, bake time and checkpoints do between batches (G1, G4).

`hold_before_batch` runs in the engine after U7 (and T7), just before a batch would start, and
says whether the batch must wait. In order:

1. Bake time (G4) after the last completed batch: the gates keep measuring until it ends (a
   gate run of phase `bake`); without gates the batch just waits for it.
2. Checkpoints (G4) crossed by the last batch: each waits its delay, or until promoted.
3. Gates (G1) before the batch: a run of phase `before_batch` must be successful.

A failed or erring run stops the upgrade like U5 (`ExternalGateFailed`, with the measured
values); an inconclusive one pauses it (B5) once, and a resume accepts it.
"""

from __future__ import annotations

from datetime import timedelta

from orchestrator.actions import Finish
from orchestrator.decision import Draft
from orchestrator.gates.actions import PauseForGate, ReachCheckpoint, StartGateRun
from orchestrator.gates.model import GatePhase, GateRunView, GateState, GateVerdict
from orchestrator.model import Batch, ErrorCode, ErrorInfo, RunningStatus, Snapshot
from orchestrator.wording import describe_duration, describe_time


def hold_before_batch(snapshot: Snapshot, batch: Batch, draft: Draft) -> bool:
    """True when `batch` may not start yet (the draft then says why and when to look)."""
    gates = snapshot.gates
    if gates is None:
        return False
    last = snapshot.operation.last_completed_batch
    if last is not None and _holds_for_bake(snapshot, gates, last, draft):
        return True
    if last is not None and _holds_at_checkpoint(snapshot, gates, last, draft):
        return True
    return _holds_for_gates(snapshot, gates, batch, draft)


def _holds_for_bake(snapshot: Snapshot, gates: GateState, last: Batch, draft: Draft) -> bool:
    if gates.bake <= timedelta(0) or last.completed_at is None:
        return False
    until = last.completed_at + snapshot.policy.scaled(gates.bake)
    where = f"during the bake time after batch {last.index + 1}"
    if not gates.gate_names:
        if draft.now >= until:
            return False
        draft.note(f"G4: batch {last.index + 1} bakes until {describe_time(until)}")
        draft.wake_at(until)
        return True
    run = gates.run(last.index, GatePhase.BAKE)
    if run is None:
        draft.add(
            StartGateRun(last.index, GatePhase.BAKE, draft.now, until),
            f"G4: batch {last.index + 1} bakes for {describe_duration(gates.bake)} (until "
            f"{describe_time(until)}); gates {', '.join(gates.gate_names)} keep measuring",
        )
        return True
    return _judge(snapshot, gates, run, where, draft)


def _holds_at_checkpoint(snapshot: Snapshot, gates: GateState, last: Batch, draft: Draft) -> bool:
    operation = snapshot.operation
    planned = sum(b.planned_size for b in operation.batches)
    if not planned or not gates.checkpoints:
        return False
    done = sum(b.planned_size for b in operation.batches if b.index <= last.index)
    before = done - last.planned_size
    for checkpoint in sorted(gates.checkpoints, key=lambda c: c.percent):
        # Crossed by this batch: at or past the percentage now, short of it before.
        if not (before * 100 < checkpoint.percent * planned <= done * 100):
            continue
        figures = f"{done} of {planned} instances upgraded"
        reached = gates.checkpoint_reached(checkpoint.percent)
        if reached is None:
            wait = (
                f"waits {describe_duration(checkpoint.delay)}"
                if checkpoint.delay is not None
                else "holds until an operator promotes it"
            )
            draft.add(
                ReachCheckpoint(checkpoint.percent, last.index, checkpoint.delay, draft.now),
                f"G4: checkpoint {checkpoint.percent}% reached ({figures}): the upgrade {wait}",
            )
            return True
        if reached.promoted:
            continue
        if checkpoint.delay is not None:
            ends = reached.reached_at + snapshot.policy.scaled(checkpoint.delay)
            if draft.now >= ends:
                continue
            draft.wake_at(ends)
            return True
        draft.idle = True  # a promotion wakes the operation
        return True
    return False


def _holds_for_gates(snapshot: Snapshot, gates: GateState, batch: Batch, draft: Draft) -> bool:
    if not gates.gate_names:
        return False
    run = gates.run(batch.index, GatePhase.BEFORE_BATCH)
    if run is None:
        draft.add(
            StartGateRun(batch.index, GatePhase.BEFORE_BATCH, draft.now),
            f"G1: gates {', '.join(gates.gate_names)} measure before batch {batch.index + 1}",
        )
        return True
    if _judge(snapshot, gates, run, f"before batch {batch.index + 1}", draft):
        return True
    if run.verdict is GateVerdict.SUCCESSFUL:
        draft.note(f"G1: gates successful before batch {batch.index + 1}: {run.message}")
    return False


def _judge(
    snapshot: Snapshot, gates: GateState, run: GateRunView, where: str, draft: Draft
) -> bool:
    """A run's verdict acted on; True when the batch must wait (or the upgrade stops)."""
    match run.verdict:
        case None:
            draft.wake_at(draft.now + snapshot.policy.scaled(gates.interval))
            return True
        case GateVerdict.FAILED | GateVerdict.ERROR:
            what = "failed" if run.verdict is GateVerdict.FAILED else "could not be measured"
            error = ErrorInfo(
                ErrorCode.GATE_FAILED, f"External gates {what} {where}: {run.message}"
            )
            draft.add(
                Finish(RunningStatus.FAULTED, error, draft.now),
                f"G1: gates {what} {where} ({run.message}): the upgrade stops",
            )
            return True
        case GateVerdict.INCONCLUSIVE if not run.paused:
            reason = f"G1: gates inconclusive {where} ({run.message}): paused (B5); resume to go on"
            draft.add(PauseForGate(run.batch_index, run.phase, reason), reason)
            draft.idle = True
            return True
        case GateVerdict.INCONCLUSIVE:
            draft.note(f"G1: inconclusive gates {where} accepted by the resume")
            return False
    return False

"""The actions of gates and checkpoints (G1, G4), part of `orchestrator.actions.Action`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.gates.model import GatePhase


@dataclass(frozen=True)
class StartGateRun:
    """Measure the scale set's gates: before batch `batch_index`, or during the bake time after
    it (until `until`)."""

    batch_index: int
    phase: GatePhase
    at: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class PauseForGate:
    """B5 for G1: an inconclusive gate run pauses the upgrade until an operator resumes it."""

    batch_index: int
    phase: GatePhase
    reason: str


@dataclass(frozen=True)
class ReachCheckpoint:
    """G4: the upgrade reached a checkpoint after batch `batch_index`; it waits `delay`, or
    until promoted when `delay` is None."""

    percent: int
    batch_index: int
    delay: timedelta | None
    at: datetime

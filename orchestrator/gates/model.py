"""The gates' vocabulary and the snapshot's view of them (G1, G4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class GateVerdict(StrEnum):
    """Argo Rollouts' measurement and analysis phases."""

    SUCCESSFUL = "successful"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


class GatePhase(StrEnum):
    BEFORE_BATCH = "before_batch"  # G1: after U7, before a batch starts
    BAKE = "bake"  # G4: after a batch, while the bake time runs


@dataclass(frozen=True)
class GateRunView:
    """One analysis of the gates; `verdict` None while it measures."""

    batch_index: int
    phase: GatePhase
    verdict: GateVerdict | None
    message: str = ""
    paused: bool = False  # its inconclusive verdict already paused the upgrade once


@dataclass(frozen=True)
class Checkpoint:
    """G4: at `percent` of the planned instances, wait `delay` (None: until promoted)."""

    percent: int
    delay: timedelta | None = None


@dataclass(frozen=True)
class CheckpointReached:
    percent: int
    reached_at: datetime
    promoted: bool = False


@dataclass(frozen=True)
class GateState:
    """What the engine knows of an operation's gates and checkpoints."""

    gate_names: tuple[str, ...] = ()
    interval: timedelta = timedelta(seconds=60)  # the shortest gate interval (unscaled)
    bake: timedelta = timedelta(0)
    checkpoints: tuple[Checkpoint, ...] = ()
    runs: tuple[GateRunView, ...] = ()  # the latest run per (batch, phase)
    reached: tuple[CheckpointReached, ...] = ()

    def run(self, batch_index: int, phase: GatePhase) -> GateRunView | None:
        found = [r for r in self.runs if r.batch_index == batch_index and r.phase is phase]
        return found[-1] if found else None

    def checkpoint_reached(self, percent: int) -> CheckpointReached | None:
        return next((r for r in self.reached if r.percent == percent), None)

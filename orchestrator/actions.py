"""The actions a decision lists, and what the edge does to apply each one.

Every action is applied as one row update (plus one provider call for Reimage, RestoreOsDisk
and MarkSucceeded) and one event row. The edge applies a decision's actions in order, all in
one transaction, with the same `now` it passed to `engine.step` (actions that store a time
carry it as `at`). It writes exactly the fields named here and decides nothing.

* StartOperation(at): operation.started_at=at (status stays RollingForward).
* PlanBatches(batches, skipped): one batch row per `Batch`; each instance of a batch gets a
  bookkeeping row (batch_index, state pending); each `skipped` one gets state skipped.
* StartBatch(index, at): batch.started_at=at.
* Reimage(instance_id, image_version, at): provider.reimage(instance_id, image_version, at);
  instance state reimaging, reimage_started_at=at.
* MarkWaitingForHealth(instance_id, deadline): state waiting_for_health, health_deadline.
* MarkSucceeded(instance_id): state succeeded; provider.discard_previous_os_disk(instance_id).
* RestoreOsDisk(instance_id, at, reason): provider.restore_os_disk(instance_id, at); state
  rolling_back, rollback_started_at=at, failure_reason=reason.
* MarkRolledBack(instance_id): state rolled_back.
* MarkRollbackFailed(instance_id, reason): state rollback_failed, failure_reason=reason.
* MarkFailed(instance_id, reason): state failed, failure_reason=reason (keeps the new disk).
* NotifyPendingUpgrade(instance_id, at): S2, state awaiting_approval, notified_at=at (the VM's
  metadata now carries the tag Platform.PendingOSUpgrade).
* ReleaseUnapproved(instance_id, reason): S2 with U10, state skipped, failure_reason=reason:
  the upgrade was cancelled before the instance was approved; it was never touched.
* CompleteBatch(index, at): batch.completed_at=at.
* SetPaused(paused): operation.is_paused=paused.
* SetRunningStatus(status, error): operation.status, operation.error.
* Finish(status, error, at): operation.status, operation.error, ended_at=at (is_paused=False).
* StartGateRun(batch_index, phase, at, until), PauseForGate(batch_index, phase, reason),
  ReachCheckpoint(percent, batch_index, delay, at): G1 and G4 (`orchestrator.gates.actions`;
  applied by `rollout.engine.gates`).

Reasons stored in instance rows start with their rule id ("U4: not healthy within 5 minutes
(probe unhealthy)") and name no instance, so the most common one can be aggregated (U5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from orchestrator.gates.actions import PauseForGate as PauseForGate
from orchestrator.gates.actions import ReachCheckpoint as ReachCheckpoint
from orchestrator.gates.actions import StartGateRun as StartGateRun
from orchestrator.model import Batch, ErrorInfo, RunningStatus


@dataclass(frozen=True)
class StartOperation:
    at: datetime


@dataclass(frozen=True)
class PlanBatches:
    """The whole plan, made once at start (B1 previews the same plan)."""

    batches: tuple[Batch, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class StartBatch:
    index: int
    at: datetime


@dataclass(frozen=True)
class Reimage:
    """U3: a new OS disk from the target image; data disks kept; extensions re-applied in
    provisionAfterExtensions order; custom data re-run; the previous OS disk kept."""

    instance_id: str
    image_version: str
    at: datetime


@dataclass(frozen=True)
class MarkWaitingForHealth:
    instance_id: str
    deadline: datetime


@dataclass(frozen=True)
class MarkSucceeded:
    """The instance is healthy on the new disk; the edge deletes the kept previous OS disk."""

    instance_id: str


@dataclass(frozen=True)
class RestoreOsDisk:
    """U4 rollback: put the kept previous OS disk back; the provider reports the outcome."""

    instance_id: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class MarkRolledBack:
    instance_id: str


@dataclass(frozen=True)
class MarkRollbackFailed:
    instance_id: str
    reason: str


@dataclass(frozen=True)
class MarkFailed:
    """The instance failed and keeps its new OS disk (M1, disableAutomaticRollback, U9)."""

    instance_id: str
    reason: str


@dataclass(frozen=True)
class CompleteBatch:
    index: int
    at: datetime


@dataclass(frozen=True)
class SetPaused:
    """B5: the operation is paused (True) or resumed (False)."""

    paused: bool


@dataclass(frozen=True)
class SetRunningStatus:
    """The operation goes on with another code and/or a current error (shown while running)."""

    status: RunningStatus
    error: ErrorInfo | None


@dataclass(frozen=True)
class Finish:
    """The operation ends: Completed, Cancelled or Faulted (with Azure's error, U11)."""

    status: RunningStatus
    error: ErrorInfo | None
    at: datetime


@dataclass(frozen=True)
class NotifyPendingUpgrade:
    """S2 osRollingUpgradeDeferral: the instance is told an OS upgrade is pending
    (Platform.PendingOSUpgrade) and waits for approveRollingUpgrade."""

    instance_id: str
    at: datetime


@dataclass(frozen=True)
class ReleaseUnapproved:
    """S2 with U10: cancelled while the instance awaited approval; it keeps its image."""

    instance_id: str
    reason: str


Action: TypeAlias = (
    StartOperation
    | PlanBatches
    | StartBatch
    | Reimage
    | MarkWaitingForHealth
    | MarkSucceeded
    | RestoreOsDisk
    | MarkRolledBack
    | MarkRollbackFailed
    | MarkFailed
    | NotifyPendingUpgrade
    | ReleaseUnapproved
    | CompleteBatch
    | SetPaused
    | SetRunningStatus
    | Finish
    | StartGateRun  # G1, G4: orchestrator.gates
    | PauseForGate
    | ReachCheckpoint
)

"""What the engine sees: states, one instance, the operation and its batches, the snapshot.

The snapshot is rebuilt by the edge before every `engine.step` from two sources:

* stored rows: the operation (`OperationView`), its batches (`Batch`) and, per instance, the
  operation's bookkeeping (`InstanceProgress`): exactly the fields the actions write;
* the compute provider's `Observation` of each instance at `now` (never stored by the engine:
  power, provisioning and extension states, health signals, the image on the OS disk, and a hint
  of when the observation will next change).

An instance with no bookkeeping row for the operation yet gets `InstanceProgress()` (pending,
in no batch). Enum values are the wire and display strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from orchestrator.gates.model import GateState
from orchestrator.policy import EffectivePolicy, UpgradeKind


class InstanceUpgradeState(StrEnum):
    """Where one instance is in the current operation."""

    PENDING = "pending"
    REIMAGING = "reimaging"
    WAITING_FOR_HEALTH = "waiting_for_health"
    ROLLING_BACK = "rolling_back"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    SKIPPED = "skipped"
    # S2 osRollingUpgradeDeferral: notified (Platform.PendingOSUpgrade), waits for approval.
    AWAITING_APPROVAL = "awaiting_approval"

    @property
    def is_terminal(self) -> bool:
        """Nothing more happens to the instance in this operation."""
        return self in _TERMINAL

    @property
    def is_in_progress(self) -> bool:
        """Reimaging, waiting for health or rolling back: Azure's in-progress count."""
        return self in _IN_PROGRESS

    @property
    def is_upgraded(self) -> bool:
        """U5: its upgrade finished in this operation, well or not."""
        return self in _UPGRADED

    @property
    def is_failure(self) -> bool:
        """U5: an upgraded instance that counts as unhealthy whatever its health says now."""
        return self in _FAILURES


_FAILURES = frozenset(
    {
        InstanceUpgradeState.FAILED,
        InstanceUpgradeState.ROLLED_BACK,
        InstanceUpgradeState.ROLLBACK_FAILED,
    }
)
_UPGRADED = _FAILURES | {InstanceUpgradeState.SUCCEEDED}
_TERMINAL = _UPGRADED | {InstanceUpgradeState.SKIPPED}
# Azure's "pending": not upgraded yet, including an instance notified and awaiting approval (S2).
PENDING_STATES = frozenset(
    {
        InstanceUpgradeState.PENDING,
        InstanceUpgradeState.AWAITING_APPROVAL,
    }
)
_IN_PROGRESS = frozenset(
    {
        InstanceUpgradeState.REIMAGING,
        InstanceUpgradeState.WAITING_FOR_HEALTH,
        InstanceUpgradeState.ROLLING_BACK,
    }
)


class RunningStatus(StrEnum):
    """Azure's `runningStatus.code`. Pausing (B5) is `OperationView.is_paused`, not a code."""

    ROLLING_FORWARD = "RollingForward"
    ROLLING_BACK = "RollingBack"
    CANCELLED = "Cancelled"
    COMPLETED = "Completed"
    FAULTED = "Faulted"

    @property
    def is_final(self) -> bool:
        return self in (RunningStatus.CANCELLED, RunningStatus.COMPLETED, RunningStatus.FAULTED)


class HealthSource(StrEnum):
    """Where an instance's health comes from (U8: none means power and provisioning states)."""

    NONE = "none"
    LOAD_BALANCER_PROBE = "load_balancer_probe"
    APPLICATION_HEALTH_EXTENSION = "application_health_extension"


class AppHealthState(StrEnum):
    """Application Health extension states; the binary v1.0 reports only Healthy/Unhealthy."""

    INITIALIZING = "Initializing"
    HEALTHY = "Healthy"
    UNHEALTHY = "Unhealthy"
    UNKNOWN = "Unknown"


class ErrorCode(StrEnum):
    """U11: Azure's rolling-upgrade error codes."""

    UNHEALTHY_BEFORE = "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"  # U1
    UNHEALTHY_UPGRADED = "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"  # U5
    UNHEALTHY_DURING = "MaxUnhealthyInstancePercentExceededInRollingUpgrade"  # U7
    FAILED_UPGRADED_VMS = "RollingUpgradeInProgressWithFailedUpgradedVMs"
    TIMEOUT = "RollingUpgradeTimeoutError"
    INTERNAL = "InternalExecutionError"
    GATE_FAILED = "ExternalGateFailed"  # G1: Rollwright's own, as U5's with the measured values


@dataclass(frozen=True)
class ErrorInfo:
    """An ARM `ApiError` of the operation: Azure's code and a message giving the figures."""

    code: ErrorCode
    message: str


@dataclass(frozen=True)
class Observation:
    """The compute provider's view of one instance at `now` (never stored by the engine).

    `reimage_completed_at` is when the provider finished the latest reimage (None while it runs
    or when the provider cannot tell). `next_change_at` is the provider's hint of when this
    observation will next change (the simulated provider knows; a real probe gives now + its
    interval); the engine uses hints to look again at the right moment.
    """

    image_version: str
    power_state: str = "running"
    provisioning_state: str = "Succeeded"
    extension_states: tuple[tuple[str, str], ...] = ()
    probe_healthy: bool | None = None
    app_health: AppHealthState | None = None
    reimage_completed_at: datetime | None = None
    next_change_at: datetime | None = None


@dataclass(frozen=True)
class InstanceProgress:
    """One instance's bookkeeping for the current operation: one row, written by the actions."""

    upgrade_state: InstanceUpgradeState = InstanceUpgradeState.PENDING
    batch_index: int | None = None
    reimage_started_at: datetime | None = None
    health_deadline: datetime | None = None
    rollback_started_at: datetime | None = None
    failure_reason: str | None = None
    approved_at: datetime | None = None  # S2: approveRollingUpgrade reached this instance


@dataclass(frozen=True)
class InstanceView:
    """One VM of the scale set as the engine sees it at `now`."""

    instance_id: str
    zone: str | None
    update_domain: int
    fault_domain: int
    observed: Observation
    progress: InstanceProgress = InstanceProgress()
    # protectFromScaleSetActions: an OS upgrade leaves the VM out (planned as skipped).
    protected: bool = False

    @property
    def image_version(self) -> str:
        """The image version of the VM's current OS disk."""
        return self.observed.image_version

    @property
    def upgrade_state(self) -> InstanceUpgradeState:
        return self.progress.upgrade_state


@dataclass(frozen=True)
class Batch:
    """One batch of the plan; `started_at`/`completed_at` are set by StartBatch/CompleteBatch.

    `zones` lists the availability zones of its instances (empty for a regional scale set; more
    than one only with enableCrossZoneUpgrade, T2); every instance shares `update_domain` (T3).
    """

    index: int
    instance_ids: tuple[str, ...]
    zones: tuple[str, ...] = ()
    update_domain: int | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    # How many instances the plan put in it, when a scoped step leaves `instance_ids` empty
    # (orchestrator.scoped); None: len(instance_ids).
    size: int | None = None

    @property
    def is_open(self) -> bool:
        return self.started_at is not None and self.completed_at is None

    @property
    def planned_size(self) -> int:
        return len(self.instance_ids) if self.size is None else self.size


@dataclass(frozen=True)
class OperationView:
    """The operation's row and its batches.

    `started_at` is None until the engine's StartOperation (and PlanBatches) are applied.
    `cancel_requested` and `pause_requested` are set and cleared by the operator (services);
    `is_paused`, `status` and `error` are written by the engine's actions only.
    """

    kind: UpgradeKind
    target_image_version: str
    status: RunningStatus = RunningStatus.ROLLING_FORWARD
    started_at: datetime | None = None
    batches: tuple[Batch, ...] = ()
    cancel_requested: bool = False
    pause_requested: bool = False
    is_paused: bool = False
    error: ErrorInfo | None = None

    @property
    def batch_count(self) -> int:
        return len(self.batches)

    @property
    def current_batch(self) -> Batch | None:
        """The batch started and not completed, if any."""
        return next((batch for batch in self.batches if batch.is_open), None)

    @property
    def current_batch_index(self) -> int | None:
        batch = self.current_batch
        return None if batch is None else batch.index

    @property
    def last_completed_batch(self) -> Batch | None:
        completed = [batch for batch in self.batches if batch.completed_at is not None]
        return completed[-1] if completed else None

    @property
    def next_batch(self) -> Batch | None:
        """The first batch not started yet."""
        return next((batch for batch in self.batches if batch.started_at is None), None)

    def next_batch_not_before(self, policy: EffectivePolicy) -> datetime | None:
        """pauseTimeBetweenBatches: the last batch's completion plus the scaled pause."""
        last = self.last_completed_batch
        if last is None or last.completed_at is None:
            return None
        return last.completed_at + policy.scaled(policy.rolling.pause_time_between_batches)


@dataclass(frozen=True)
class MaintenanceWindow:
    """T7: the maintenance window that is open at `now`, or else the next one to open.

    The edge computes it from the scale set's maintenance configuration (start, duration,
    recurrence, time zone) at the snapshot's `now`; the engine only compares instants. The
    labels are how people read the two times ("02:00 CET"); without them reasons give UTC.
    """

    opens_at: datetime
    closes_at: datetime
    opens_label: str = ""
    closes_label: str = ""

    def __post_init__(self) -> None:
        if self.closes_at <= self.opens_at:
            raise ValueError(
                f"a window must close after it opens: {self.opens_at} .. {self.closes_at}"
            )

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class Snapshot:
    """Everything `engine.step` decides from.

    `credential_problems` names credentials of the scale set model that have expired at `now`
    (U9), e.g. "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"; the edge computes
    them from the model.

    `maintenance_window` (T7): when set, an automatic upgrade starts batches only while it is
    open; a batch already running finishes. Manual upgrades ignore it (the edge passes None for
    them, and the engine ignores it for them too).

    `rest` (fleet scale): when set, `instances` carries only some instances in full (the open
    batch, the next and last batches, the failed and rolling-back ones, any whose health may
    not be settled) and `rest` the others as aggregates; the engine's shares and counts add
    both. None: `instances` is every instance (the plan step needs them all).
    """

    policy: EffectivePolicy
    health_source: HealthSource
    operation: OperationView
    instances: tuple[InstanceView, ...]
    credential_problems: tuple[str, ...] = ()
    maintenance_window: MaintenanceWindow | None = None
    gates: GateState | None = None  # G1, G4: None when the scale set has none
    rest: RestSummary | None = None

    @cached_property
    def instances_by_id(self) -> dict[str, InstanceView]:
        return {view.instance_id: view for view in self.instances}


@dataclass(frozen=True)
class ProgressCounts:
    """Azure's `progress` and `rollbackInfo` counts of one operation (H1)."""

    successful: int = 0
    failed: int = 0
    in_progress: int = 0
    pending: int = 0
    rolled_back: int = 0
    rollback_failed: int = 0
    skipped: int = 0


def count_progress(progresses: Iterable[InstanceProgress]) -> ProgressCounts:
    """Count instances per Azure progress bucket; failed includes rolled back ones.

    Pending counts planned instances only: an instance in no batch (added after planning) is
    not part of the operation.
    """
    by_state = dict.fromkeys(InstanceUpgradeState, 0)
    pending = 0
    for progress in progresses:
        by_state[progress.upgrade_state] += 1
        if progress.upgrade_state in PENDING_STATES and progress.batch_index is not None:
            pending += 1
    return ProgressCounts(
        successful=by_state[InstanceUpgradeState.SUCCEEDED],
        failed=sum(by_state[state] for state in _FAILURES),
        in_progress=sum(by_state[state] for state in _IN_PROGRESS),
        pending=pending,
        rolled_back=by_state[InstanceUpgradeState.ROLLED_BACK],
        rollback_failed=by_state[InstanceUpgradeState.ROLLBACK_FAILED],
        skipped=by_state[InstanceUpgradeState.SKIPPED],
    )


@dataclass(frozen=True)
class RestSummary:
    """The instances a snapshot does not carry in full, as aggregates (`Snapshot.rest`).

    `unhealthy` counts those not healthy at the snapshot's `now` (U1, U7); `upgraded` those
    upgraded in this operation (U5's denominator) and `upgraded_unhealthy` those of them failed
    or not healthy now; `progress` their Azure progress counts; `failure_reasons` how many of
    their failures (failed, rolled back, rollback failed) give each `failure_reason`.
    """

    total: int = 0
    unhealthy: int = 0
    upgraded: int = 0
    upgraded_unhealthy: int = 0
    progress: ProgressCounts = ProgressCounts()
    failure_reasons: tuple[tuple[str, int], ...] = ()


def add_progress(first: ProgressCounts, second: ProgressCounts) -> ProgressCounts:
    """Field by field sum of two progress counts."""
    return ProgressCounts(
        **{name: getattr(first, name) + getattr(second, name) for name in _PROGRESS_FIELDS}
    )


def progress_of_states(by_state: dict[InstanceUpgradeState, int], pending: int) -> ProgressCounts:
    """Azure's progress counts from instance counts per state (`pending`: planned ones only)."""
    return ProgressCounts(
        successful=by_state.get(InstanceUpgradeState.SUCCEEDED, 0),
        failed=sum(by_state.get(state, 0) for state in _FAILURES),
        in_progress=sum(by_state.get(state, 0) for state in _IN_PROGRESS),
        pending=pending,
        rolled_back=by_state.get(InstanceUpgradeState.ROLLED_BACK, 0),
        rollback_failed=by_state.get(InstanceUpgradeState.ROLLBACK_FAILED, 0),
        skipped=by_state.get(InstanceUpgradeState.SKIPPED, 0),
    )


_PROGRESS_FIELDS = (
    "successful",
    "failed",
    "in_progress",
    "pending",
    "rolled_back",
    "rollback_failed",
    "skipped",
)

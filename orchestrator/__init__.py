"""Rollwright's engine: pure Python, no Django. Snapshot in, decision out.

`engine.step(snapshot, now)` decides; the Django edge (rollout/) builds the snapshot from its
rows and the compute provider, and applies the decision's actions (see `actions`).

Modules: `policy` (Azure's upgrade policies), `model` (states and views), `actions` and
`decision` (the output), `planner` (U2 T2 T3 T6), `health` (U1 U5 U7 U8), `probes` (raw probe
results to health signals), `transitions` (one instance: U3 U4 M1 U9), `engine` (the state
machine), `clock`, `provider` (the ComputeProvider protocol), `behaviour` (the simulated
provider's fault rules, B2), `simulation` (an in-memory edge), `deferral` (S2: approval before
each instance's reimage) and `whatif` (W1: an upgrade's outcome predicted in memory).
"""

from __future__ import annotations

from orchestrator.actions import (
    Action,
    CompleteBatch,
    Finish,
    MarkFailed,
    MarkRollbackFailed,
    MarkRolledBack,
    MarkSucceeded,
    MarkWaitingForHealth,
    PlanBatches,
    Reimage,
    RestoreOsDisk,
    SetPaused,
    SetRunningStatus,
    StartBatch,
    StartOperation,
)
from orchestrator.decision import Decision
from orchestrator.engine import step
from orchestrator.model import (
    AppHealthState,
    Batch,
    ErrorCode,
    ErrorInfo,
    HealthSource,
    InstanceProgress,
    InstanceUpgradeState,
    InstanceView,
    MaintenanceWindow,
    Observation,
    OperationView,
    RunningStatus,
    Snapshot,
)
from orchestrator.planner import Plan, plan_batches
from orchestrator.policy import (
    AutomaticOSUpgradePolicy,
    EffectivePolicy,
    RollingUpgradePolicy,
    UpgradeKind,
    effective_policy,
)

__all__ = [
    "Action",
    "AppHealthState",
    "AutomaticOSUpgradePolicy",
    "Batch",
    "CompleteBatch",
    "Decision",
    "EffectivePolicy",
    "ErrorCode",
    "ErrorInfo",
    "Finish",
    "HealthSource",
    "InstanceProgress",
    "InstanceUpgradeState",
    "InstanceView",
    "MaintenanceWindow",
    "MarkFailed",
    "MarkRollbackFailed",
    "MarkRolledBack",
    "MarkSucceeded",
    "MarkWaitingForHealth",
    "Observation",
    "OperationView",
    "Plan",
    "PlanBatches",
    "Reimage",
    "RestoreOsDisk",
    "RollingUpgradePolicy",
    "RunningStatus",
    "SetPaused",
    "SetRunningStatus",
    "Snapshot",
    "StartBatch",
    "StartOperation",
    "UpgradeKind",
    "effective_policy",
    "plan_batches",
    "step",
]

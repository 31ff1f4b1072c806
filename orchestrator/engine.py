"""`step(snapshot, now) -> Decision`: the state machine of one upgrade operation.

Each step is in exactly one phase:

1. Not started: U10 (cancelled before it started), U1's pre-check, then StartOperation and
   PlanBatches (the whole plan, made once: U2, T2, T3, T6).
2. A batch is open: every instance of it moves on (`transitions`: U3, U4, M1, U9); once all
   of them are terminal, CompleteBatch.
3. RollingBack (rollbackFailedInstancesOnPolicyBreach after a U5/U7 breach): the restores move
   on; then Finish(Faulted) with the breach's error.
4. Between batches, in this order: U9 (expired credentials stop after the batch), U5, U10
   (cancel), U6 (nothing left: Completed), B5 (pause/resume), pauseTimeBetweenBatches, T7
   (an automatic upgrade bound to a maintenance window starts a batch only while it is open),
   U7 (before every batch after the first, on resume, and before the first batch of an upgrade
   that may have waited for its window), then StartBatch with one Reimage per instance.

Idempotence and crash safety: `step` is a pure function of (snapshot, now). Everything it
knows comes from the snapshot, and every action moves a row to a state in which the same action
is no longer produced: a batch is started once (its `started_at`), an instance is reimaged
once (it is `reimaging` afterwards), an operation is planned once (its `started_at`). Replaying
a snapshot whose decision was already applied yields nothing new; replaying one whose decision
was lost (the transaction rolled back after a provider call) repeats the same provider calls,
which the provider must accept as no-ops (see `provider.ComputeProvider`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from orchestrator.actions import (
    CompleteBatch,
    Finish,
    NotifyPendingUpgrade,
    PlanBatches,
    Reimage,
    RestoreOsDisk,
    SetPaused,
    SetRunningStatus,
    StartBatch,
    StartOperation,
)
from orchestrator.decision import Decision, Draft
from orchestrator.deferral import defers_approval, wait_for_approvals
from orchestrator.gates.rules import hold_before_batch
from orchestrator.health import (
    UnhealthyShare,
    instance_health,
    unhealthy_share,
    unhealthy_upgraded_share,
)
from orchestrator.model import (
    Batch,
    ErrorCode,
    ErrorInfo,
    InstanceUpgradeState,
    InstanceView,
    MaintenanceWindow,
    OperationView,
    ProgressCounts,
    RunningStatus,
    Snapshot,
    add_progress,
    count_progress,
)
from orchestrator.planner import plan_batches
from orchestrator.policy import UpgradeKind
from orchestrator.transitions import advance_instance
from orchestrator.wording import describe_duration, describe_ids, describe_time

_RULE_OF_ERROR = {
    ErrorCode.UNHEALTHY_UPGRADED: "U5",
    ErrorCode.UNHEALTHY_DURING: "U7",
}


def step(snapshot: Snapshot, now: datetime) -> Decision:
    """Decide what to do next for one operation (see the module docstring)."""
    operation = snapshot.operation
    if operation.status.is_final:
        return Decision((), None, ())
    draft = Draft(now, snapshot.policy)
    batch = operation.current_batch
    if operation.started_at is None:
        _start(snapshot, draft)
    elif (problem := _inconsistency(operation)) is not None:
        error = ErrorInfo(ErrorCode.INTERNAL, problem)
        draft.add(Finish(RunningStatus.FAULTED, error, now), f"U11: {problem}: the upgrade stops")
    elif batch is not None:
        _advance_batch(snapshot, batch, draft)
    elif operation.status is RunningStatus.ROLLING_BACK:
        _advance_policy_rollback(snapshot, draft)
    else:
        _between_batches(snapshot, draft)
    return draft.decision()


def _start(snapshot: Snapshot, draft: Draft) -> None:
    operation, policy, now = snapshot.operation, snapshot.policy, draft.now
    target = operation.target_image_version
    if operation.cancel_requested:
        draft.add(
            Finish(RunningStatus.CANCELLED, None, now),
            "U10: cancelled before it started; no instance was touched",
        )
        return
    unhealthy = frozenset(
        view.instance_id
        for view in snapshot.instances
        if not instance_health(view, snapshot.health_source, now).is_healthy
    )
    allowed = policy.rolling.max_unhealthy_instance_percent
    share = UnhealthyShare("U1", len(unhealthy), len(snapshot.instances), allowed)
    if share.exceeds:
        error = ErrorInfo(
            ErrorCode.UNHEALTHY_BEFORE,
            f"{share.describe()} before the rolling upgrade "
            "(maxUnhealthyInstancePercent); no instance was upgraded",
        )
        draft.measure(
            share,
            Finish(RunningStatus.FAULTED, error, now),
            f"U1: {share.describe()}: the upgrade does not start; no instance was touched",
        )
        return
    # prioritizeUnhealthyInstances: the planner puts these first (it ignores them otherwise).
    plan = plan_batches(snapshot.instances, policy, target, unhealthy_ids=unhealthy)
    draft.measure(
        share, StartOperation(now), f"U1: {share.describe()}: the upgrade to {target} starts"
    )
    draft.add(PlanBatches(plan.batches, plan.skipped))
    for reason in plan.reasons:
        draft.note(reason)
    if not plan.batches:
        draft.add(
            Finish(RunningStatus.COMPLETED, None, now),
            f"T6: every instance is already on {target}: nothing to upgrade",
        )


def _advance_batch(snapshot: Snapshot, batch: Batch, draft: Draft) -> None:
    views = snapshot.instances_by_id
    # An instance deleted from the scale set during the upgrade simply leaves its batch.
    members = [views[instance_id] for instance_id in batch.instance_ids if instance_id in views]
    for view in members:
        advance_instance(view, snapshot, draft)
    if not draft.actions and all(view.upgrade_state.is_terminal for view in members):
        _complete_batch(snapshot, batch, members, draft)
    elif not draft.actions:
        wait_for_approvals(snapshot, batch, members, draft)


def _complete_batch(
    snapshot: Snapshot, batch: Batch, members: list[InstanceView], draft: Draft
) -> None:
    operation, policy = snapshot.operation, snapshot.policy
    succeeded = sum(view.upgrade_state is InstanceUpgradeState.SUCCEEDED for view in members)
    failed = sum(view.upgrade_state.is_failure for view in members)
    summary = (
        f"U6: batch {batch.index + 1} of {operation.batch_count} done: "
        f"{succeeded} succeeded, {failed} failed"
    )
    pause = policy.rolling.pause_time_between_batches
    if pause and batch.index + 1 < operation.batch_count:
        summary += f"; pauseTimeBetweenBatches: the next batch waits {describe_duration(pause)}"
    draft.add(CompleteBatch(batch.index, draft.now), summary)
    if failed and not snapshot.credential_problems:
        share = _upgraded_share(snapshot, draft.now)
        if not share.exceeds:
            error = ErrorInfo(
                ErrorCode.FAILED_UPGRADED_VMS,
                f"{share.describe()}; the upgrade continues "
                f"(maxUnhealthyUpgradedInstancePercent). {_most_common_failure(snapshot)}",
            )
            draft.measure(
                share,
                SetRunningStatus(RunningStatus.ROLLING_FORWARD, error),
                f"U5: {share.describe()}: the upgrade continues "
                "(RollingUpgradeInProgressWithFailedUpgradedVMs)",
            )


def _between_batches(snapshot: Snapshot, draft: Draft) -> None:
    operation, policy, now = snapshot.operation, snapshot.policy, draft.now
    last = operation.last_completed_batch
    after = "before the first batch" if last is None else f"after batch {last.index + 1}"
    if last is not None and snapshot.credential_problems:
        _stop_for_credentials(snapshot, last, draft)
        return
    if last is not None:
        share = _upgraded_share(snapshot, now)
        if share.exceeds:
            error = ErrorInfo(
                ErrorCode.UNHEALTHY_UPGRADED,
                f"{share.describe()} (maxUnhealthyUpgradedInstancePercent). "
                f"{_most_common_failure(snapshot)}",
            )
            reason = f"U5: {share.describe()}: stopping {after}"
            _stop_for_breach(snapshot, share, error, reason, draft)
            return
    if operation.cancel_requested:
        draft.add(
            Finish(RunningStatus.CANCELLED, None, now),
            f"U10: cancelled {after}; no other batch starts",
        )
        return
    batch = operation.next_batch
    if batch is None:
        _complete_operation(snapshot, draft)
        return
    if operation.pause_requested:
        if not operation.is_paused:
            draft.add(SetPaused(True), f"B5: paused {after}; no batch starts until resumed")
        draft.idle = True
        return
    resumed = operation.is_paused
    if resumed:
        draft.add(SetPaused(False), "B5: resumed; U7 is checked again before the next batch")
    not_before = operation.next_batch_not_before(policy)
    if not_before is not None and now < not_before:
        draft.wake_at(not_before)
        return
    window = _maintenance_window(snapshot)
    if window is not None and not window.is_open(now):
        draft.note(
            f"T7: outside the maintenance window: batch {batch.index + 1} waits; the next "
            f"window opens at {window.opens_label or describe_time(window.opens_at)}"
        )
        draft.wake_at(window.opens_at)
        return
    if last is not None or resumed or window is not None:
        share = _unhealthy_share(snapshot, now)
        if share.exceeds:
            error = ErrorInfo(
                ErrorCode.UNHEALTHY_DURING,
                f"{share.describe()} during the rolling upgrade (maxUnhealthyInstancePercent)",
            )
            reason = f"U7: {share.describe()}: stopping {after}"
            _stop_for_breach(snapshot, share, error, reason, draft)
            return
        draft.measure(share, None, f"U7: {share.describe()}: batch {batch.index + 1} may start")
    if window is not None:
        draft.note(
            f"T7: batch {batch.index + 1} starts inside the maintenance window (it closes at "
            f"{window.closes_label or describe_time(window.closes_at)}; a running batch finishes)"
        )
    if hold_before_batch(snapshot, batch, draft):  # G4 bake and checkpoints, G1 gates
        return
    _start_batch(snapshot, batch, draft)


def _maintenance_window(snapshot: Snapshot) -> MaintenanceWindow | None:
    """T7 binds automatic upgrades only: a manual upgrade (M1) ignores the window."""
    if snapshot.policy.kind is not UpgradeKind.AUTOMATIC:
        return None
    return snapshot.maintenance_window


def _start_batch(snapshot: Snapshot, batch: Batch, draft: Draft) -> None:
    operation, now = snapshot.operation, draft.now
    target = operation.target_image_version
    draft.add(
        StartBatch(batch.index, now),
        f"U2: batch {batch.index + 1} of {operation.batch_count} starts: "
        f"{describe_ids(batch.instance_ids)} ({_placement(batch)})",
    )
    views = snapshot.instances_by_id
    reimaged = []
    deferred = defers_approval(snapshot)
    for instance_id in batch.instance_ids:
        view = views.get(instance_id)
        if view is not None and view.upgrade_state is InstanceUpgradeState.PENDING:
            if deferred:
                draft.add(NotifyPendingUpgrade(instance_id, now))
            else:
                draft.add(Reimage(instance_id, target, now))
            reimaged.append(instance_id)
    if deferred:
        draft.note(
            f"S2: osRollingUpgradeDeferral: {describe_ids(reimaged)} notified "
            "(Platform.PendingOSUpgrade); each is reimaged once approved (approveRollingUpgrade)"
        )
        return
    draft.note(
        f"U3: new OS disks from {target} for {describe_ids(reimaged)} (data disks kept, "
        "extensions and custom data re-run); previous OS disks kept until healthy",
        routine=True,
    )
    if snapshot.credential_problems:
        draft.note(
            f"U9: expired credentials in the model ({'; '.join(snapshot.credential_problems)}): "
            "this batch's instances will fail"
        )


def _placement(batch: Batch) -> str:
    if not batch.zones:
        zones = "regional"
    elif len(batch.zones) == 1:
        zones = f"zone {batch.zones[0]}"
    else:
        zones = f"zones {', '.join(batch.zones)}"
    return f"{zones}, update domain {batch.update_domain}"


def _stop_for_credentials(snapshot: Snapshot, last: Batch, draft: Draft) -> None:
    """U9: expired credentials fail the batch's instances; no later batch starts.

    The code is RollingUpgradeInProgressWithFailedUpgradedVMs, whose documented meaning is "a VM
    failed; the message says whether the rollout continues": that is what happened, and the
    message names the credential to renew. InternalExecutionError would blame the platform for
    what the operator can fix.
    """
    views = snapshot.instances_by_id
    members = [views[i] for i in last.instance_ids if i in views]
    failed = sum(view.upgrade_state.is_failure for view in members)
    problems = "; ".join(snapshot.credential_problems)
    message = (
        f"{failed} of {len(members)} instances of batch {last.index + 1} failed: expired "
        f"credentials in the scale set model: {problems}. Renew the credential, update the "
        "extension in the scale set model, and roll the model to every instance (the failed "
        "ones included)."
    )
    draft.add(
        Finish(RunningStatus.FAULTED, ErrorInfo(ErrorCode.FAILED_UPGRADED_VMS, message), draft.now),
        f"U9: {failed} of {len(members)} instances of batch {last.index + 1} failed with expired "
        f"credentials ({problems}): the upgrade stops",
    )


def _stop_for_breach(
    snapshot: Snapshot, share: UnhealthyShare, error: ErrorInfo, reason: str, draft: Draft
) -> None:
    """U5/U7 stop; with rollbackFailedInstancesOnPolicyBreach, failed instances first get
    their previous OS disk back (RollingBack), and Finish follows in phase 3."""
    failed = [
        view for view in snapshot.instances if view.upgrade_state is InstanceUpgradeState.FAILED
    ]
    if not (snapshot.policy.rolling.rollback_failed_instances_on_policy_breach and failed):
        draft.measure(share, Finish(RunningStatus.FAULTED, error, draft.now), reason)
        return
    rule = _RULE_OF_ERROR[error.code]
    ids = [view.instance_id for view in failed]
    draft.measure(
        share,
        SetRunningStatus(RunningStatus.ROLLING_BACK, error),
        f"{reason}; {rule}: rollbackFailedInstancesOnPolicyBreach: restoring the previous "
        f"OS disk of {len(ids)} failed instances: {describe_ids(ids)}",
    )
    for view in failed:
        stored = f"{view.progress.failure_reason}; rolled back on policy breach ({rule})"
        draft.add(RestoreOsDisk(view.instance_id, draft.now, stored))


def _advance_policy_rollback(snapshot: Snapshot, draft: Draft) -> None:
    operation = snapshot.operation
    rolling_back = [
        view
        for view in snapshot.instances
        if view.upgrade_state is InstanceUpgradeState.ROLLING_BACK
    ]
    for view in rolling_back:
        advance_instance(view, snapshot, draft)
    if rolling_back:
        return
    error = operation.error or ErrorInfo(ErrorCode.INTERNAL, "rolled back without a breach")
    rule = _RULE_OF_ERROR.get(error.code, "U11")
    counts = _progress(snapshot)
    draft.add(
        Finish(RunningStatus.FAULTED, error, draft.now),
        f"{rule}: rollbackFailedInstancesOnPolicyBreach done ({counts.rolled_back} rolled back, "
        f"{counts.rollback_failed} failed to roll back): the upgrade stops",
    )


def _complete_operation(snapshot: Snapshot, draft: Draft) -> None:
    counts = _progress(snapshot)
    operation = snapshot.operation
    draft.add(
        Finish(RunningStatus.COMPLETED, None, draft.now),
        f"U6: all {operation.batch_count} batches done: {counts.successful} upgraded, "
        f"{counts.failed} failed, {counts.skipped} skipped: the upgrade is complete",
    )


def _unhealthy_share(snapshot: Snapshot, now: datetime) -> UnhealthyShare:
    """U1, U7: every instance of the scale set counts."""
    allowed = snapshot.policy.rolling.max_unhealthy_instance_percent
    share = unhealthy_share(snapshot.instances, snapshot.health_source, now, allowed, "U7")
    rest = snapshot.rest
    if rest is None:
        return share
    return replace(
        share, unhealthy=share.unhealthy + rest.unhealthy, total=share.total + rest.total
    )


def _upgraded_share(snapshot: Snapshot, now: datetime) -> UnhealthyShare:
    allowed = snapshot.policy.rolling.max_unhealthy_upgraded_instance_percent
    share = unhealthy_upgraded_share(snapshot.instances, snapshot.health_source, now, allowed)
    rest = snapshot.rest
    if rest is None:
        return share
    return replace(
        share,
        unhealthy=share.unhealthy + rest.upgraded_unhealthy,
        total=share.total + rest.upgraded,
    )


def _progress(snapshot: Snapshot) -> ProgressCounts:
    """Azure's progress counts of every instance: those carried in full and the rest."""
    counts = count_progress(view.progress for view in snapshot.instances)
    return counts if snapshot.rest is None else add_progress(counts, snapshot.rest.progress)


def _most_common_failure(snapshot: Snapshot) -> str:
    """Azure's U5 message names the most common instance error."""
    reasons = Counter(
        view.progress.failure_reason
        for view in snapshot.instances
        if view.upgrade_state.is_failure and view.progress.failure_reason
    )
    if snapshot.rest is not None:
        reasons.update(dict(snapshot.rest.failure_reasons))
    if not reasons:
        return "No instance failed; upgraded instances became unhealthy."
    # Ties go to the reason first in text order: the same whichever instances are in full.
    count = max(reasons.values())
    reason = min(reason for reason, n in reasons.items() if n == count)
    return f"Most common failure ({count} instances): {reason}."


def _inconsistency(operation: OperationView) -> str | None:
    """InternalExecutionError: a snapshot no step could have produced."""
    earlier_open = False
    for position, batch in enumerate(operation.batches):
        if batch.index != position:
            return f"batch {batch.index} is stored at position {position}"
        if batch.completed_at is not None and batch.started_at is None:
            return f"batch {position + 1} completed without starting"
        if batch.started_at is not None and earlier_open:
            return f"batch {position + 1} started before the previous batch completed"
        earlier_open = earlier_open or batch.completed_at is None
    return None

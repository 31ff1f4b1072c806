"""U3 U4 M1 U9: one instance's way through reimage, health wait and rollback.

    pending ──Reimage──▶ reimaging ──▶ waiting_for_health ──▶ succeeded
                             │                 │
                             └── failed ───────┴──▶ rolling_back ──▶ rolled_back | rollback_failed
                                                └──▶ failed (M1, disableAutomaticRollback, U9)

Each function looks at one instance and adds at most one action for it to the draft, or a time
to look again. An instance in `reimaging` never gets a second Reimage: repeating a step on the
same snapshot cannot reimage a VM twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestrator.actions import (
    MarkFailed,
    MarkRollbackFailed,
    MarkRolledBack,
    MarkSucceeded,
    MarkWaitingForHealth,
    Reimage,
    RestoreOsDisk,
)
from orchestrator.decision import Draft
from orchestrator.deferral import advance_awaiting
from orchestrator.health import instance_health
from orchestrator.model import InstanceUpgradeState, InstanceView, Snapshot
from orchestrator.policy import UpgradeKind
from orchestrator.wording import describe_duration

_FAILED = "Failed"
_SUCCEEDED = "Succeeded"


@dataclass(frozen=True)
class Failure:
    """Why an instance failed: its rule id and a text that names no instance."""

    rule: str
    text: str

    @property
    def stored(self) -> str:
        """The `failure_reason` stored in the instance row."""
        return f"{self.rule}: {self.text}"


def advance_instance(view: InstanceView, snapshot: Snapshot, draft: Draft) -> None:
    """Move one instance of the open batch (or of a policy rollback) one step on."""
    state = view.upgrade_state
    if state is InstanceUpgradeState.PENDING:
        # The batch started but this Reimage was never applied (a partly applied decision).
        target = snapshot.operation.target_image_version
        draft.add(
            Reimage(view.instance_id, target, draft.now),
            f"U3: new OS disk from {target} for instance {view.instance_id} "
            "(its batch started without it)",
            routine=True,
        )
    elif state is InstanceUpgradeState.REIMAGING:
        _watch_reimage(view, snapshot, draft)
    elif state is InstanceUpgradeState.WAITING_FOR_HEALTH:
        _watch_health(view, snapshot, draft)
    elif state is InstanceUpgradeState.ROLLING_BACK:
        _watch_restore(view, snapshot, draft)
    elif state is InstanceUpgradeState.AWAITING_APPROVAL:
        advance_awaiting(view, snapshot, draft)


def _watch_reimage(view: InstanceView, snapshot: Snapshot, draft: Draft) -> None:
    observed, policy, now = view.observed, snapshot.policy, draft.now
    target = snapshot.operation.target_image_version
    failed = observed.provisioning_state == _FAILED
    finished = not failed and (
        observed.reimage_completed_at is not None or observed.provisioning_state == _SUCCEEDED
    )
    if (failed or finished) and snapshot.credential_problems:
        # U9 wins over U3: with expired credentials the instance ends failed, not rolled back,
        # however its reimage ended (extensions using the credential fail to provision).
        problems = "; ".join(snapshot.credential_problems)
        draft.add(
            MarkFailed(view.instance_id, f"U9: expired credentials: {problems}"),
            f"U9: instance {view.instance_id} failed: its extensions could not be provisioned "
            f"with expired credentials ({problems})",
        )
    elif failed:
        fail_instance(view, snapshot, draft, Failure("U3", _reimage_failure_text(view)))
    elif finished and observed.image_version != target:
        text = f"reimage finished on {observed.image_version}, not {target}"
        fail_instance(view, snapshot, draft, Failure("U3", text))
    elif finished:
        completed = observed.reimage_completed_at or now
        deadline = completed + policy.scaled(policy.health_wait)
        draft.add(
            MarkWaitingForHealth(view.instance_id, deadline),
            f"U4: instance {view.instance_id} reimaged on {target}: waiting up to "
            f"{describe_duration(policy.health_wait)} for it to be healthy",
            routine=True,
        )
    elif _timed_out(view.progress.reimage_started_at, snapshot, now):
        text = (
            f"reimage did not finish within {describe_duration(policy.instance_timeout)} "
            "(RollingUpgradeTimeoutError)"
        )
        fail_instance(view, snapshot, draft, Failure("U11", text))
    else:
        draft.wake_at(observed.next_change_at)
        _wake_at_timeout(view.progress.reimage_started_at, snapshot, draft)


def _reimage_failure_text(view: InstanceView) -> str:
    failed = [name for name, state in view.observed.extension_states if state == _FAILED]
    if failed:
        return f"reimage failed: extension {', '.join(failed)} Failed"
    return "reimage failed: provisioning Failed"


def _watch_health(view: InstanceView, snapshot: Snapshot, draft: Draft) -> None:
    """U4: healthy within the wait succeeds; past the deadline, the instance failed."""
    policy, now = snapshot.policy, draft.now
    health = instance_health(view, snapshot.health_source, now)
    deadline = view.progress.health_deadline
    if health.is_healthy:
        draft.add(
            MarkSucceeded(view.instance_id),
            f"U4: instance {view.instance_id} is healthy on {view.image_version}: "
            "its previous OS disk is deleted",
            routine=True,
        )
    elif deadline is None or now >= deadline:
        text = f"not healthy within {describe_duration(policy.health_wait)} ({health.reason})"
        fail_instance(view, snapshot, draft, Failure("U4", text))
    else:
        draft.wake_at(view.observed.next_change_at)
        draft.wake_at(deadline)


def fail_instance(view: InstanceView, snapshot: Snapshot, draft: Draft, failure: Failure) -> None:
    """U4: roll back with automatic rollback; otherwise (M1, disableAutomaticRollback) keep."""
    policy, instance = snapshot.policy, f"instance {view.instance_id}"
    if policy.automatic_rollback:
        draft.add(
            RestoreOsDisk(view.instance_id, draft.now, failure.stored),
            f"{failure.rule}: {instance} {failure.text}: restoring its previous OS disk "
            "(automatic rollback)",
        )
    elif policy.kind is UpgradeKind.MANUAL:
        draft.add(
            MarkFailed(view.instance_id, failure.stored),
            f"M1: {instance} {failure.text}: a manual upgrade has no automatic rollback; "
            "it keeps the new OS disk",
        )
    else:
        draft.add(
            MarkFailed(view.instance_id, failure.stored),
            f"U4: {instance} {failure.text}: disableAutomaticRollback is set; "
            "it keeps the new OS disk",
        )


def _watch_restore(view: InstanceView, snapshot: Snapshot, draft: Draft) -> None:
    observed, now = view.observed, draft.now
    instance = f"instance {view.instance_id}"
    if observed.provisioning_state == _FAILED:
        reason = "U4: restoring the previous OS disk failed (provisioning Failed)"
        draft.add(
            MarkRollbackFailed(view.instance_id, reason),
            f"U4: restoring the previous OS disk of {instance} failed (provisioning Failed)",
        )
    elif observed.provisioning_state == _SUCCEEDED:
        draft.add(
            MarkRolledBack(view.instance_id),
            f"U4: {instance} rolled back to its previous OS disk ({observed.image_version})",
        )
    elif _timed_out(view.progress.rollback_started_at, snapshot, now):
        duration = describe_duration(snapshot.policy.instance_timeout)
        draft.add(
            MarkRollbackFailed(
                view.instance_id,
                f"U11: restoring the previous OS disk did not finish within {duration} "
                "(RollingUpgradeTimeoutError)",
            ),
            f"U11: restoring the previous OS disk of {instance} did not finish within {duration}",
        )
    else:
        draft.wake_at(observed.next_change_at)
        _wake_at_timeout(view.progress.rollback_started_at, snapshot, draft)


def _timed_out(started_at: datetime | None, snapshot: Snapshot, now: datetime) -> bool:
    policy = snapshot.policy
    return started_at is not None and now >= started_at + policy.scaled(policy.instance_timeout)


def _wake_at_timeout(started_at: datetime | None, snapshot: Snapshot, draft: Draft) -> None:
    if started_at is not None:
        policy = snapshot.policy
        draft.wake_at(started_at + policy.scaled(policy.instance_timeout))

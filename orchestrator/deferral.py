"""S2 osRollingUpgradeDeferral: each instance waits for approval before its upgrade.

With `automaticOSUpgradePolicy.osRollingUpgradeDeferral = true`, an automatic upgrade starts a
batch by notifying its instances instead of reimaging them (Azure: the IMDS tag
`Platform.PendingOSUpgrade` appears on the VM), and reimages each once `approveRollingUpgrade`
reaches it (for the scale set, some of its instances, or the VM itself); the edge stores the
approval's time in the instance's progress (`approved_at`). Manual upgrades (M1) are not
deferred: the operator who starts one has approved it.

An approval that never comes: the batch waits, for as long as it takes (Azure documents no
time-out, and inventing one would upgrade a VM its owner held back). The step then asks for no
look of its own (the approval and cancel services wake the operation), and its reason says what
the batch waits for. Cancel still works (U10): the instances not approved yet are released
untouched (skipped, with the reason), the approved ones finish, and the batch completes.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.actions import Reimage, ReleaseUnapproved
from orchestrator.decision import Draft
from orchestrator.model import Batch, InstanceUpgradeState, InstanceView, Snapshot
from orchestrator.policy import UpgradeKind
from orchestrator.wording import describe_ids

CANCELLED_UNAPPROVED = "S2: the upgrade was cancelled before this instance was approved"


def defers_approval(snapshot: Snapshot) -> bool:
    policy = snapshot.policy
    return policy.os_rolling_upgrade_deferral and policy.kind is UpgradeKind.AUTOMATIC


def advance_awaiting(view: InstanceView, snapshot: Snapshot, draft: Draft) -> None:
    """An instance awaiting approval: reimaged once approved; released on cancel (U10)."""
    if view.progress.approved_at is not None:
        target = snapshot.operation.target_image_version
        draft.add(
            Reimage(view.instance_id, target, draft.now),
            f"S2: instance {view.instance_id} approved: new OS disk from {target}",
            routine=True,
        )
    elif snapshot.operation.cancel_requested:
        draft.add(
            ReleaseUnapproved(view.instance_id, CANCELLED_UNAPPROVED),
            f"U10: cancelled; instance {view.instance_id} was not approved and keeps its image",
        )


def wait_for_approvals(
    snapshot: Snapshot, batch: Batch, members: Sequence[InstanceView], draft: Draft
) -> None:
    """Nothing moved this step: when the batch only waits for approvals, say so and ask for
    no look (a VM still reimaging or waiting for health keeps its own wake-up)."""
    awaiting = [
        view.instance_id
        for view in members
        if view.upgrade_state is InstanceUpgradeState.AWAITING_APPROVAL
    ]
    if not awaiting:
        return
    draft.note(
        f"S2: batch {batch.index + 1} waits for approval of {describe_ids(awaiting)} "
        "(approveRollingUpgrade); cancel releases them (U10)"
    )
    if not draft.wake_times:
        draft.idle = True

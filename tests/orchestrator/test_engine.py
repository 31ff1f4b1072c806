"""Rule tests of `engine.step` on hand-built snapshots: the start and the open batch (between
batches: test_engine_between_batches.py; whole rollouts: test_simulation.py)."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    MINUTE,
    NEW,
    OLD,
    SECOND,
    T0,
    WEB10_BATCHES,
    State,
    operation,
    planned,
    policy,
    snapshot,
    tiny3,
    vm,
    web10,
    web10_op,
    with_vm,
)

from orchestrator.actions import (
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
    StartBatch,
    StartOperation,
)
from orchestrator.engine import step
from orchestrator.model import (
    Batch,
    ErrorCode,
    HealthSource,
    InstanceView,
    RunningStatus,
)
from orchestrator.policy import UpgradeKind


def test_u1_does_not_start_when_more_than_20_percent_unhealthy() -> None:
    instances = web10()
    for instance_id in ("1", "2", "3"):
        instances = with_vm(instances, instance_id, probe=False)
    decision = step(snapshot(instances), T0)
    assert decision.actions == (
        Finish(RunningStatus.FAULTED, decision.actions[0].error, T0),  # type: ignore[union-attr]
    )
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.error.code is ErrorCode.UNHEALTHY_BEFORE
    assert "3 of 10 instances unhealthy (30% > 20% allowed)" in finish.error.message
    assert decision.reasons == (
        "U1: 3 of 10 instances unhealthy (30% > 20% allowed): the upgrade does not start; "
        "no instance was touched",
    )
    assert decision.recheck_at is None


def test_u1_starts_with_exactly_20_percent_unhealthy_and_plans_everything() -> None:
    instances = with_vm(with_vm(web10(), "1", probe=False), "2", power="stopped")
    decision = step(snapshot(instances), T0)
    assert isinstance(decision.actions[0], StartOperation)
    plan = decision.actions[1]
    assert isinstance(plan, PlanBatches)
    assert [batch.instance_ids for batch in plan.batches] == [*map(tuple, WEB10_BATCHES)]
    assert decision.reasons[0].startswith("U1: 2 of 10 instances unhealthy (20% ≤ 20% allowed)")
    assert decision.recheck_at == T0


def test_t6_nothing_to_upgrade_completes_at_once() -> None:
    decision = step(snapshot(web10(image=NEW)), T0)
    assert decision.actions[-1] == Finish(RunningStatus.COMPLETED, None, T0)
    assert decision.reasons[-1] == f"T6: every instance is already on {NEW}: nothing to upgrade"


def test_prioritize_unhealthy_instances_are_planned_first() -> None:
    instances = with_vm(web10(), "7", probe=False)
    decision = step(snapshot(instances, effective=policy(prioritize_unhealthy_instances=True)), T0)
    plan = decision.actions[1]
    assert isinstance(plan, PlanBatches)
    assert plan.batches[0].instance_ids == ("7",)


def test_u3_first_batch_reimages_every_instance_of_the_batch() -> None:
    decision = step(snapshot(planned(web10()), web10_op()), T0)
    assert decision.actions == (
        StartBatch(0, T0),
        Reimage("0", NEW, T0),
        Reimage("3", NEW, T0),
    )
    assert decision.reasons[0] == "U2: batch 1 of 6 starts: 0, 3 (zone 1, update domain 0)"
    assert decision.reasons[1].startswith("U3: new OS disks from 2026.01.01 for 0, 3")


def reimaging(done_at: object = None, **changes: object) -> list[InstanceView]:
    instances = planned(web10())
    for instance_id in ("0", "3"):
        instances = with_vm(
            instances,
            instance_id,
            state=State.REIMAGING,
            reimage_started_at=T0,
            provisioning="Updating",
            power="starting",
            probe=None,
            next_change_at=T0 + MINUTE,
            **changes,
        )
    return instances


def test_crash_safety_replaying_a_snapshot_never_reimages_twice() -> None:
    again = snapshot(reimaging(), web10_op(open_batch=0))
    first, second = step(again, T0 + SECOND), step(again, T0 + SECOND)
    assert first == second
    assert not any(isinstance(action, (Reimage, StartBatch)) for action in first.actions)
    assert first.recheck_at == T0 + MINUTE


def test_crash_safety_a_lost_reimage_is_reissued_only_for_pending_instances() -> None:
    instances = with_vm(reimaging(), "3", state=State.PENDING, provisioning="Succeeded", probe=True)
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0)
    assert decision.actions == (Reimage("3", NEW, T0),)


def test_u4_waits_up_to_5_minutes_after_the_reimage_completes() -> None:
    instances = with_vm(
        reimaging(),
        "0",
        provisioning="Succeeded",
        power="running",
        image=NEW,
        reimage_completed_at=T0 + MINUTE,
    )
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0 + MINUTE + SECOND)
    assert decision.actions == (MarkWaitingForHealth("0", T0 + 6 * MINUTE),)


def test_u4_time_scale_shortens_deadlines_but_not_the_wording() -> None:
    done = T0 + 10 * SECOND
    instances = with_vm(
        reimaging(),
        "0",
        provisioning="Succeeded",
        power="running",
        image=NEW,
        reimage_completed_at=done,
        next_change_at=None,
    )
    fast = policy(time_scale=60)
    decision = step(snapshot(instances, web10_op(open_batch=0), effective=fast), done)
    assert decision.actions == (MarkWaitingForHealth("0", done + 5 * SECOND),)
    waiting = with_vm(
        instances, "0", state=State.WAITING_FOR_HEALTH, deadline=done + 5 * SECOND, probe=False
    )
    late = step(snapshot(waiting, web10_op(open_batch=0), effective=fast), done + 5 * SECOND)
    assert "not healthy within 5 minutes" in late.reasons[0]


def waiting(probe: bool | None, **changes: object) -> list[InstanceView]:
    instances = planned(web10())
    for instance_id in ("0", "3"):
        instances = with_vm(
            instances,
            instance_id,
            state=State.WAITING_FOR_HEALTH,
            reimage_started_at=T0,
            deadline=T0 + 6 * MINUTE,
            image=NEW,
            probe=True,
        )
    return with_vm(instances, "0", probe=probe, **changes)


def test_u4_healthy_instance_succeeds() -> None:
    decision = step(snapshot(waiting(True), web10_op(open_batch=0)), T0 + 2 * MINUTE)
    assert decision.actions == (MarkSucceeded("0"), MarkSucceeded("3"))


def test_u4_unhealthy_instance_rolls_back_after_5_minutes() -> None:
    instances = waiting(False, next_change_at=None)
    before = step(snapshot(instances, web10_op(open_batch=0)), T0 + 6 * MINUTE - SECOND)
    assert before.actions == (MarkSucceeded("3"),)
    instances = with_vm(instances, "3", state=State.SUCCEEDED)
    quiet = step(snapshot(instances, web10_op(open_batch=0)), T0 + 6 * MINUTE - SECOND)
    assert quiet.actions == ()
    assert quiet.recheck_at == T0 + 6 * MINUTE
    after = step(snapshot(instances, web10_op(open_batch=0)), T0 + 6 * MINUTE)
    assert after.actions == (
        RestoreOsDisk("0", T0 + 6 * MINUTE, "U4: not healthy within 5 minutes (probe unhealthy)"),
    )
    assert after.reasons == (
        "U4: instance 0 not healthy within 5 minutes (probe unhealthy): "
        "restoring its previous OS disk (automatic rollback)",
    )


def test_u4_restore_outcome_is_read_from_the_provider() -> None:
    restoring = with_vm(
        waiting(False),
        "0",
        state=State.ROLLING_BACK,
        provisioning="Updating",
        rollback_started_at=T0,
        next_change_at=T0 + 7 * MINUTE,
    )
    op = web10_op(open_batch=0)
    assert step(snapshot(restoring, op), T0 + 6 * MINUTE).recheck_at == T0 + 6 * MINUTE
    restored = with_vm(restoring, "0", provisioning="Succeeded", image=OLD)
    assert step(snapshot(restored, op), T0 + 7 * MINUTE).actions[0] == MarkRolledBack("0")
    broken = with_vm(restoring, "0", provisioning="Failed", power="stopped")
    assert step(snapshot(broken, op), T0 + 7 * MINUTE).actions[0] == MarkRollbackFailed(
        "0", "U4: restoring the previous OS disk failed (provisioning Failed)"
    )


def test_m1_manual_upgrade_never_rolls_back() -> None:
    op = web10_op(open_batch=0, kind=UpgradeKind.MANUAL)
    decision = step(snapshot(waiting(False), op), T0 + 6 * MINUTE)
    assert decision.actions == (
        MarkFailed("0", "U4: not healthy within 5 minutes (probe unhealthy)"),
        MarkSucceeded("3"),
    )
    assert decision.reasons[0] == (
        "M1: instance 0 not healthy within 5 minutes (probe unhealthy): a manual upgrade has no "
        "automatic rollback; it keeps the new OS disk"
    )


def test_u4_disable_automatic_rollback_keeps_the_new_disk() -> None:
    kept = policy(disable_automatic_rollback=True)
    decision = step(
        snapshot(waiting(False), web10_op(open_batch=0), effective=kept), T0 + 6 * MINUTE
    )
    assert isinstance(decision.actions[0], MarkFailed)
    assert "disableAutomaticRollback is set; it keeps the new OS disk" in decision.reasons[0]


def test_u3_failed_reimage_rolls_back_at_once() -> None:
    instances = with_vm(
        reimaging(), "0", provisioning="Failed", extensions=(("CustomScript", "Failed"),)
    )
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0 + MINUTE)
    assert decision.actions == (
        RestoreOsDisk("0", T0 + MINUTE, "U3: reimage failed: extension CustomScript Failed"),
    )


def test_u11_a_stuck_reimage_times_out() -> None:
    stuck = with_vm(reimaging(), "0", next_change_at=None)
    op = web10_op(open_batch=0)
    assert step(snapshot(stuck, op), T0 + 29 * MINUTE).recheck_at == T0 + 29 * MINUTE + 30 * SECOND
    decision = step(snapshot(stuck, op), T0 + 30 * MINUTE)
    restore = decision.actions[0]
    assert isinstance(restore, RestoreOsDisk)
    assert (
        restore.reason
        == "U11: reimage did not finish within 30 minutes (RollingUpgradeTimeoutError)"
    )


def test_u7_current_batch_finishes_even_when_maintenance_hits_other_instances() -> None:
    instances = waiting(True)
    for instance_id in ("2", "5", "8"):
        instances = with_vm(instances, instance_id, power="stopped")
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0 + 2 * MINUTE)
    assert decision.actions == (MarkSucceeded("0"), MarkSucceeded("3"))


def test_u10_cancel_during_a_batch_lets_it_go_on() -> None:
    op = web10_op(open_batch=0, cancel_requested=True)
    decision = step(snapshot(waiting(True), op), T0 + MINUTE)
    assert decision.actions == (MarkSucceeded("0"), MarkSucceeded("3"))


def test_u10_cancel_before_start_touches_nothing() -> None:
    decision = step(snapshot(web10(), operation(started=False, cancel_requested=True)), T0)
    assert decision.actions == (Finish(RunningStatus.CANCELLED, None, T0),)


def test_u9_expired_credentials_fail_the_reimaged_instances() -> None:
    problem = "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"
    instances = with_vm(reimaging(), "0", provisioning="Succeeded", power="running", image=NEW)
    decision = step(snapshot(instances, web10_op(open_batch=0), credential_problems=[problem]), T0)
    assert decision.actions == (MarkFailed("0", f"U9: expired credentials: {problem}"),)


def test_u8_without_a_health_source_the_default_signal_is_waited_for() -> None:
    instances = [
        vm(
            "0",
            update_domain=0,
            probe=None,
            batch=0,
            state=State.WAITING_FOR_HEALTH,
            image=NEW,
            deadline=T0 + 5 * MINUTE,
            extensions=(("CustomScript", "Creating"),),
            next_change_at=T0 + MINUTE,
        ),
        *tiny3(batch=1)[1:2],
        *tiny3(batch=2)[2:],
    ]
    op = operation(("0",), ("1",), ("2",), open_batch=0)
    quiet = step(snapshot(instances, op, source=HealthSource.NONE), T0)
    assert (quiet.actions, quiet.recheck_at) == ((), T0 + MINUTE)
    timed_out = step(snapshot(instances, op, source=HealthSource.NONE), T0 + 5 * MINUTE)
    assert "not healthy within 5 minutes (extension CustomScript Creating)" in timed_out.reasons[0]


def test_finished_operation_decides_nothing() -> None:
    decision = step(snapshot(web10(), web10_op(done=6, status=RunningStatus.COMPLETED)), T0)
    assert (decision.actions, decision.recheck_at, decision.reasons) == ((), None, ())


def test_u11_inconsistent_snapshot_faults_with_internal_execution_error() -> None:
    op = operation(("0",), ("1",), open_batch=0)
    broken = replace(op, batches=(op.batches[0], Batch(1, ("1",), started_at=T0)))
    decision = step(snapshot(planned(web10()), broken), T0)
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.error.code is ErrorCode.INTERNAL
    assert finish.error.message == "batch 2 started before the previous batch completed"


def test_an_instance_deleted_during_its_batch_leaves_the_batch() -> None:
    instances = [view for view in planned(web10(), done=1) if view.instance_id != "3"]
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0)
    assert decision.actions == (CompleteBatch(0, T0),)
    assert decision.reasons == ("U6: batch 1 of 6 done: 1 succeeded, 0 failed",)


def test_u9_expired_credentials_fail_an_instance_whose_extension_failed_without_rollback() -> None:
    problem = "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"
    instances = with_vm(
        reimaging(),
        "0",
        provisioning="Failed",
        power="running",
        image=NEW,
        extensions=(("CustomScript", "Failed"),),
    )
    decision = step(snapshot(instances, web10_op(open_batch=0), credential_problems=[problem]), T0)
    assert decision.actions == (MarkFailed("0", f"U9: expired credentials: {problem}"),)


def test_recheck_is_the_earliest_hint_or_deadline_of_the_batch() -> None:
    instances = with_vm(waiting(False, next_change_at=T0 + 3 * MINUTE), "3", probe=None)
    instances = with_vm(instances, "3", next_change_at=T0 + 2 * MINUTE)
    decision = step(snapshot(instances, web10_op(open_batch=0)), T0 + MINUTE)
    assert (decision.actions, decision.recheck_at) == ((), T0 + 2 * MINUTE)
    late_hints = with_vm(instances, "3", next_change_at=T0 + 9 * MINUTE)
    late_hints = with_vm(late_hints, "0", next_change_at=T0 + 9 * MINUTE)
    assert step(snapshot(late_hints, web10_op(open_batch=0)), T0 + MINUTE).recheck_at == (
        T0 + 6 * MINUTE
    )


def test_routine_progress_is_marked_as_such_and_milestones_are_not() -> None:
    healthy = step(snapshot(waiting(True), web10_op(open_batch=0)), T0 + 2 * MINUTE)
    assert (len(healthy.reasons), healthy.routine) == (2, (0, 1))
    batch = step(snapshot(planned(web10(), done=1), web10_op(done=1)), T0 + MINUTE)
    assert [reason[:2] for reason in batch.reasons] == ["U7", "U2", "U3"]
    assert batch.routine == (2,)  # the reimages; U7's check and U2's batch are milestones
    rollback = step(
        snapshot(waiting(False, next_change_at=None), web10_op(open_batch=0)), T0 + 6 * MINUTE
    )
    assert isinstance(rollback.actions[0], RestoreOsDisk)
    assert rollback.reasons[1].startswith("U4: instance 3 is healthy")
    assert rollback.routine == (1,)  # the rollback of instance 0 is a milestone

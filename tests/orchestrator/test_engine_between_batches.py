"""Rule tests of `engine.step` between batches (U5 U6 U7 U9 U10 B5), and the figures every
U1/U5/U7 decision carries as numbers beside its reasons (the edges read those, never words)."""

from __future__ import annotations

from datetime import timedelta

from builders import (
    MINUTE,
    NEW,
    OLD,
    T0,
    State,
    planned,
    policy,
    snapshot,
    web10,
    web10_op,
    with_vm,
)

from orchestrator.actions import (
    CompleteBatch,
    Finish,
    Reimage,
    RestoreOsDisk,
    SetPaused,
    SetRunningStatus,
    StartBatch,
    StartOperation,
)
from orchestrator.engine import step
from orchestrator.health import UnhealthyShare
from orchestrator.model import ErrorCode, RunningStatus


def test_u6_batch_completes_when_every_instance_is_terminal() -> None:
    instances = planned(web10(), done=1)
    op = web10_op(done=0, open_batch=0)
    decision = step(snapshot(instances, op), T0 + 2 * MINUTE)
    assert decision.actions == (CompleteBatch(0, T0 + 2 * MINUTE),)
    assert decision.reasons == ("U6: batch 1 of 6 done: 2 succeeded, 0 failed",)
    assert decision.recheck_at == T0 + 2 * MINUTE


def test_u7_next_batch_starts_after_checking_the_whole_scale_set() -> None:
    decision = step(snapshot(planned(web10(), done=1), web10_op(done=1)), T0 + MINUTE)
    assert decision.actions == (
        StartBatch(1, T0 + MINUTE),
        Reimage("6", NEW, T0 + MINUTE),
        Reimage("9", NEW, T0 + MINUTE),
    )
    assert (
        decision.reasons[0]
        == "U7: 0 of 10 instances unhealthy (0% ≤ 20% allowed): batch 2 may start"
    )


def test_u7_stops_before_the_next_batch_when_more_than_20_percent_unhealthy() -> None:
    instances = planned(web10(), done=1)
    for instance_id in ("2", "5", "8"):
        instances = with_vm(instances, instance_id, power="stopped")
    decision = step(snapshot(instances, web10_op(done=1)), T0 + MINUTE)
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.status is RunningStatus.FAULTED
    assert finish.error.code is ErrorCode.UNHEALTHY_DURING
    assert decision.reasons == (
        "U7: 3 of 10 instances unhealthy (30% > 20% allowed): stopping after batch 1",
    )


def test_u5_stops_when_more_than_20_percent_of_upgraded_instances_are_unhealthy() -> None:
    instances = with_vm(
        planned(web10(), done=1),
        "0",
        state=State.ROLLED_BACK,
        image=OLD,
        failure="U4: not healthy within 5 minutes (probe unhealthy)",
    )
    decision = step(snapshot(instances, web10_op(done=1)), T0 + MINUTE)
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.error.code is ErrorCode.UNHEALTHY_UPGRADED
    assert finish.error.message == (
        "1 of 2 upgraded instances unhealthy (50% > 20% allowed) "
        "(maxUnhealthyUpgradedInstancePercent). Most common failure (1 instances): "
        "U4: not healthy within 5 minutes (probe unhealthy)."
    )
    assert decision.reasons == (
        "U5: 1 of 2 upgraded instances unhealthy (50% > 20% allowed): stopping after batch 1",
    )


def test_u5_failures_within_the_limit_continue_and_say_so() -> None:
    instances = with_vm(planned(web10(), done=6), "8", state=State.ROLLED_BACK, image=OLD)
    decision = step(snapshot(instances, web10_op(done=5, open_batch=5)), T0 + MINUTE)
    assert isinstance(decision.actions[0], CompleteBatch)
    status = decision.actions[1]
    assert isinstance(status, SetRunningStatus) and status.error is not None
    assert status.status is RunningStatus.ROLLING_FORWARD
    assert status.error.code is ErrorCode.FAILED_UPGRADED_VMS
    assert decision.reasons[1] == (
        "U5: 1 of 10 upgraded instances unhealthy (10% ≤ 20% allowed): the upgrade continues "
        "(RollingUpgradeInProgressWithFailedUpgradedVMs)"
    )


def test_u6_last_batch_done_completes_the_upgrade() -> None:
    decision = step(snapshot(planned(web10(), done=6), web10_op(done=6)), T0 + MINUTE)
    assert decision.actions == (Finish(RunningStatus.COMPLETED, None, T0 + MINUTE),)
    assert decision.reasons == (
        "U6: all 6 batches done: 10 upgraded, 0 failed, 0 skipped: the upgrade is complete",
    )
    assert decision.recheck_at is None


def test_rollback_failed_instances_on_policy_breach_restores_kept_disks_before_finishing() -> None:
    chosen = policy(
        disable_automatic_rollback=True, rollback_failed_instances_on_policy_breach=True
    )
    instances = with_vm(
        planned(web10(), done=1),
        "0",
        state=State.FAILED,
        probe=False,
        failure="U4: not healthy within 5 minutes (probe unhealthy)",
    )
    decision = step(snapshot(instances, web10_op(done=1), effective=chosen), T0 + MINUTE)
    status, restore = decision.actions
    assert isinstance(status, SetRunningStatus) and status.status is RunningStatus.ROLLING_BACK
    assert status.error is not None and status.error.code is ErrorCode.UNHEALTHY_UPGRADED
    assert restore == RestoreOsDisk(
        "0",
        T0 + MINUTE,
        "U4: not healthy within 5 minutes (probe unhealthy); rolled back on policy breach (U5)",
    )
    assert "rollbackFailedInstancesOnPolicyBreach" in decision.reasons[0]
    rolling_back = with_vm(
        instances,
        "0",
        state=State.ROLLING_BACK,
        provisioning="Updating",
        next_change_at=T0 + 2 * MINUTE,
    )
    op = web10_op(done=1, status=RunningStatus.ROLLING_BACK, error=status.error)
    assert step(snapshot(rolling_back, op, effective=chosen), T0 + MINUTE).actions == ()
    rolled_back = with_vm(rolling_back, "0", state=State.ROLLED_BACK, provisioning="Succeeded")
    final = step(snapshot(rolled_back, op, effective=chosen), T0 + 2 * MINUTE)
    assert final.actions == (Finish(RunningStatus.FAULTED, status.error, T0 + 2 * MINUTE),)
    assert final.reasons[0].startswith("U5: rollbackFailedInstancesOnPolicyBreach done")


def test_u10_cancel_before_the_next_batch_finishes_cancelled() -> None:
    decision = step(snapshot(planned(web10(), done=2), web10_op(done=2, cancel_requested=True)), T0)
    assert decision.actions == (Finish(RunningStatus.CANCELLED, None, T0),)
    assert decision.reasons == ("U10: cancelled after batch 2; no other batch starts",)


def test_b5_pause_finishes_the_batch_then_waits_without_recheck() -> None:
    op = web10_op(done=1, pause_requested=True)
    decision = step(snapshot(planned(web10(), done=1), op), T0)
    assert decision.actions == (SetPaused(True),)
    assert decision.recheck_at is None
    assert decision.reasons == ("B5: paused after batch 1; no batch starts until resumed",)
    still = step(
        snapshot(planned(web10(), done=1), web10_op(done=1, pause_requested=True, is_paused=True)),
        T0,
    )
    assert (still.actions, still.recheck_at) == ((), None)


def test_b5_resume_rechecks_u7() -> None:
    instances = planned(web10(), done=1)
    for instance_id in ("2", "5", "8"):
        instances = with_vm(instances, instance_id, probe=False)
    decision = step(snapshot(instances, web10_op(done=1, is_paused=True)), T0)
    assert decision.actions[0] == SetPaused(False)
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.error.code is ErrorCode.UNHEALTHY_DURING


def test_pause_time_between_batches_delays_the_next_batch() -> None:
    chosen = policy(pause_time_between_batches=timedelta(minutes=10), time_scale=2)
    op = web10_op(done=1)
    early = step(snapshot(planned(web10(), done=1), op, effective=chosen), T0 + MINUTE)
    assert (early.actions, early.recheck_at) == ((), T0 + 5 * MINUTE)
    on_time = step(snapshot(planned(web10(), done=1), op, effective=chosen), T0 + 5 * MINUTE)
    assert on_time.actions[0] == StartBatch(1, T0 + 5 * MINUTE)


def test_u9_no_batch_starts_after_the_first_one_failed_on_expired_credentials() -> None:
    problem = "extension 'CustomScript' SAS token expired 2026-01-01T00:00Z"
    instances = planned(web10())
    for instance_id in ("0", "3"):
        instances = with_vm(instances, instance_id, state=State.FAILED, image=NEW)
    decision = step(snapshot(instances, web10_op(done=1), credential_problems=[problem]), T0)
    finish = decision.finish
    assert finish is not None and finish.error is not None
    assert finish.status is RunningStatus.FAULTED
    assert finish.error.code is ErrorCode.FAILED_UPGRADED_VMS
    assert problem in finish.error.message
    assert finish.error.message.startswith("2 of 2 instances of batch 1 failed")


def test_u11_error_codes_carry_figures() -> None:
    before = web10()
    for instance_id in ("1", "2", "3"):
        before = with_vm(before, instance_id, probe=False)
    during = planned(web10(), done=1)
    for instance_id in ("2", "5", "8"):
        during = with_vm(during, instance_id, probe=False)
    upgraded = with_vm(planned(web10(), done=1), "0", state=State.FAILED, probe=False)
    cases = [
        (snapshot(before), ErrorCode.UNHEALTHY_BEFORE, "3 of 10 instances unhealthy (30% > 20%"),
        (snapshot(during, web10_op(done=1)), ErrorCode.UNHEALTHY_DURING, "3 of 10 instances"),
        (
            snapshot(upgraded, web10_op(done=1)),
            ErrorCode.UNHEALTHY_UPGRADED,
            "1 of 2 upgraded instances unhealthy (50% > 20% allowed)",
        ),
    ]
    for case, code, figures in cases:
        finish = step(case, T0).finish
        assert finish is not None and finish.error is not None
        assert finish.error.code is code
        assert figures in finish.error.message


def test_u1_the_start_carries_the_measured_share_as_numbers() -> None:
    instances = with_vm(with_vm(web10(), "1", probe=False), "2", power="stopped")
    decision = step(snapshot(instances), T0)
    assert isinstance(decision.actions[0], StartOperation)
    assert decision.figures == (UnhealthyShare("U1", 2, 10, 20),)
    (share,) = decision.figures
    assert (share.percent, share.exceeds, share.upgraded_only) == (20.0, False, False)


def test_u1_a_refused_start_carries_the_share_that_refused_it() -> None:
    instances = web10()
    for instance_id in ("1", "2", "3"):
        instances = with_vm(instances, instance_id, probe=False)
    decision = step(snapshot(instances), T0)
    (share,) = decision.figures
    assert share == UnhealthyShare("U1", 3, 10, 20)
    assert (share.percent, share.exceeds) == (30.0, True)


def test_u7_every_later_batch_carries_the_scale_sets_share() -> None:
    instances = with_vm(planned(web10(), done=1), "8", probe=False)
    chosen = policy(max_unhealthy_instance_percent=50)
    decision = step(snapshot(instances, web10_op(done=1), effective=chosen), T0 + MINUTE)
    assert isinstance(decision.actions[0], StartBatch)
    assert decision.figures == (UnhealthyShare("U7", 1, 10, 50),)
    assert decision.figures[0].percent == 10.0


def test_u7_a_stop_carries_the_share_that_stopped_it() -> None:
    instances = planned(web10(), done=1)
    for instance_id in ("2", "5", "8"):
        instances = with_vm(instances, instance_id, power="stopped")
    decision = step(snapshot(instances, web10_op(done=1)), T0 + MINUTE)
    assert decision.finish is not None
    assert decision.figures == (UnhealthyShare("U7", 3, 10, 20),)
    assert decision.figures[0].exceeds is True


def test_u5_a_stop_carries_the_upgraded_share_only() -> None:
    instances = with_vm(planned(web10(), done=1), "0", state=State.ROLLED_BACK, image=OLD)
    decision = step(snapshot(instances, web10_op(done=1)), T0 + MINUTE)
    assert decision.finish is not None
    (share,) = decision.figures
    assert share == UnhealthyShare("U5", 1, 2, 20)
    assert (share.percent, share.exceeds, share.upgraded_only) == (50.0, True, True)


def test_u5_continuing_with_failures_carries_the_upgraded_share() -> None:
    instances = with_vm(planned(web10(), done=6), "8", state=State.ROLLED_BACK, image=OLD)
    decision = step(snapshot(instances, web10_op(done=5, open_batch=5)), T0 + MINUTE)
    assert decision.figures == (UnhealthyShare("U5", 1, 10, 20),)


def test_a_share_of_nothing_is_zero_percent() -> None:
    assert UnhealthyShare("U5", 0, 0, 20).percent == 0.0
    assert UnhealthyShare("U7", 1, 3, 20).percent == 100 / 3


def test_decisions_without_a_measure_carry_no_figures() -> None:
    u6 = step(snapshot(planned(web10(), done=1), web10_op(done=0, open_batch=0)), T0)
    assert u6.reasons and u6.figures == ()
    u10 = step(snapshot(planned(web10(), done=2), web10_op(done=2, cancel_requested=True)), T0)
    assert u10.figures == ()

from __future__ import annotations

from datetime import timedelta

from builders import T0, operation, policy

from orchestrator.model import (
    InstanceProgress,
    InstanceUpgradeState,
    RunningStatus,
    count_progress,
)

State = InstanceUpgradeState


def test_h1_progress_counts_follow_azures_buckets() -> None:
    rows = [
        InstanceProgress(State.SUCCEEDED, 0),
        InstanceProgress(State.FAILED, 0),
        InstanceProgress(State.ROLLED_BACK, 1),
        InstanceProgress(State.ROLLBACK_FAILED, 1),
        InstanceProgress(State.REIMAGING, 2),
        InstanceProgress(State.WAITING_FOR_HEALTH, 2),
        InstanceProgress(State.ROLLING_BACK, 2),
        InstanceProgress(State.PENDING, 3),
        InstanceProgress(State.PENDING, None),  # joined the scale set after planning
        InstanceProgress(State.SKIPPED),
    ]
    counts = count_progress(rows)
    assert (counts.successful, counts.failed, counts.in_progress, counts.pending) == (1, 3, 3, 1)
    assert (counts.rolled_back, counts.rollback_failed, counts.skipped) == (1, 1, 1)


def test_states_and_codes_use_the_wire_strings() -> None:
    assert [state.value for state in State] == [
        "pending",
        "reimaging",
        "waiting_for_health",
        "rolling_back",
        "succeeded",
        "failed",
        "rolled_back",
        "rollback_failed",
        "skipped",
        "awaiting_approval",
    ]
    assert [status.value for status in RunningStatus] == [
        "RollingForward",
        "RollingBack",
        "Cancelled",
        "Completed",
        "Faulted",
    ]
    assert {status for status in RunningStatus if status.is_final} == {
        RunningStatus.CANCELLED,
        RunningStatus.COMPLETED,
        RunningStatus.FAULTED,
    }


def test_operation_derives_its_current_and_next_batch_from_the_batch_rows() -> None:
    op = operation(("0",), ("1",), ("2",), completed=1, open_batch=1)
    assert (op.batch_count, op.current_batch_index) == (3, 1)
    assert op.last_completed_batch is op.batches[0]
    assert op.next_batch is op.batches[2]
    assert operation(("0",), started=False).current_batch is None
    assert operation(("0",)).last_completed_batch is None


def test_next_batch_not_before_is_completion_plus_the_scaled_pause() -> None:
    chosen = policy(pause_time_between_batches=timedelta(minutes=1), time_scale=60)
    op = operation(("0",), ("1",), completed=1)
    assert op.next_batch_not_before(chosen) == T0 + timedelta(seconds=1)
    assert operation(("0",)).next_batch_not_before(chosen) is None

"""B8: the expected end of each batch and of the upgrade (`orchestrator.eta`), computed once,
on the server; the page only counts down to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.eta import (
    BatchTimes,
    Estimate,
    batch_estimate,
    estimate,
    expected_ends,
    gap_estimate,
)

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
S = timedelta(seconds=1)


def test_b8_before_any_batch_ends_the_plans_estimate_is_used() -> None:
    batches = [BatchTimes(i, None, None) for i in range(3)]
    assert batch_estimate(batches, 20 * S) == (20 * S, 0)
    ends, overall = expected_ends(batches, T0, 20 * S, 0 * S)
    assert ends == {0: T0 + 20 * S, 1: T0 + 40 * S, 2: T0 + 60 * S}
    assert overall == T0 + 60 * S


def test_b8_observed_batches_replace_the_plan() -> None:
    batches = [
        BatchTimes(0, T0, T0 + 8 * S),
        BatchTimes(1, T0 + 10 * S, T0 + 22 * S),
        BatchTimes(2, T0 + 22 * S, None),
        BatchTimes(3, None, None),
    ]
    duration, observed = batch_estimate(batches, 60 * S)
    assert (duration, observed) == (10 * S, 2)
    ends, overall = expected_ends(batches, T0 + 25 * S, duration, 5 * S)
    assert ends == {2: T0 + 32 * S, 3: T0 + 47 * S}
    assert overall == T0 + 47 * S


def test_b8_a_running_batch_that_overruns_ends_now_at_the_earliest() -> None:
    batches = [BatchTimes(0, T0, None), BatchTimes(1, None, None)]
    ends, _ = expected_ends(batches, T0 + 100 * S, 10 * S, 0 * S)
    assert ends == {0: T0 + 100 * S, 1: T0 + 110 * S}


def test_b5_no_estimate_for_later_batches_while_paused() -> None:
    batches = [BatchTimes(0, T0, None), BatchTimes(1, None, None)]
    ends, overall = expected_ends(batches, T0, 10 * S, 0 * S, paused=True)
    assert (ends, overall) == ({0: T0 + 10 * S}, None)


def test_b8_a_batch_has_a_duration_once_it_completed() -> None:
    assert BatchTimes(0, T0, T0 + 8 * S).duration == 8 * S
    assert BatchTimes(0, T0, None).duration is None
    assert BatchTimes(0, None, None).duration is None


def test_b8_the_estimate_gives_the_batch_duration_its_source_and_the_ends() -> None:
    batches = [
        BatchTimes(0, T0, T0 + 8 * S),
        BatchTimes(1, T0 + 10 * S, T0 + 22 * S),
        BatchTimes(2, T0 + 22 * S, None),
        BatchTimes(3, None, None),
    ]
    assert estimate(batches, T0 + 25 * S, 60 * S, 5 * S) == Estimate(
        batch_duration=10 * S,
        observed_batches=2,
        ends={2: T0 + 32 * S, 3: T0 + 47 * S},
        end=T0 + 47 * S,
        gap=5 * S,  # the pause: the gaps measured (2 s, 0 s) are shorter
    )


def test_b8_b5_a_paused_upgrade_has_no_end() -> None:
    batches = [BatchTimes(0, T0, T0 + 8 * S), BatchTimes(1, None, None)]
    found = estimate(batches, T0 + 9 * S, 20 * S, 0 * S, paused=True)
    assert (found.ends, found.end, found.observed_batches) == ({}, None, 1)


def test_b8_a_finished_plan_has_nothing_to_expect() -> None:
    found = estimate([BatchTimes(0, T0, T0 + 8 * S)], T0 + 9 * S, 20 * S, 0 * S)
    assert (found.ends, found.end) == ({}, None)


def test_b8_the_gaps_measured_between_batches_are_expected_again() -> None:
    """Issue 10.6: at 60x time the steps between batches took a third of a 1,000-instance
    rollout; an estimate without them was 2x optimistic."""
    batches = [
        BatchTimes(0, T0 + 1 * S, T0 + 5 * S),
        BatchTimes(1, T0 + 7 * S, T0 + 11 * S),
        BatchTimes(2, None, None),
        BatchTimes(3, None, None),
    ]
    assert gap_estimate(batches, 0 * S, started_at=T0) == (1 + 2) / 2 * S
    found = estimate(batches, T0 + 11 * S, 60 * S, 0 * S, started_at=T0)
    assert found.batch_duration == 4 * S
    assert found.gap == 1.5 * S
    assert found.ends == {2: T0 + 16.5 * S, 3: T0 + 22 * S}
    assert found.end == T0 + 23.5 * S  # and the step that ends the upgrade


def test_b8_without_a_measured_gap_the_pause_is_the_gap() -> None:
    batches = [BatchTimes(0, None, None), BatchTimes(1, None, None)]
    assert gap_estimate(batches, 3 * S) == 3 * S
    assert gap_estimate([BatchTimes(0, T0, T0 + S), BatchTimes(1, T0 + 2 * S, None)], 3 * S) == (
        3 * S
    )

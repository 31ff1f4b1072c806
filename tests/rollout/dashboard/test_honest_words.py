"""Issue 10.4, honest words on the server: ``display.outcome_of`` and the vocabulary the
browser composes the same words from."""

from __future__ import annotations

import pytest

from rollout.dashboard.display import outcome_of, status_of, vocabulary
from rollout.dashboard.messages import Counts
from rollout.models import RunningStatus


def counts(**given: int) -> Counts:
    values = dict.fromkeys(
        ("successful", "failed", "in_progress", "pending", "rolled_back", "rollback_failed"), 0
    )
    values.update(given)
    return {**values, "skipped": 0}  # type: ignore[typeddict-item]


def test_honest_words_completed_without_failures_is_completed() -> None:
    assert outcome_of(RunningStatus.COMPLETED, counts(successful=10)) == ("completed", "Completed")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"failed": 1, "rolled_back": 1}, "Completed with failures: 1 rolled back"),
        ({"failed": 2}, "Completed with failures: 2 failed"),
        (
            {"failed": 4, "rolled_back": 2, "rollback_failed": 1},
            "Completed with failures: 1 failed, 2 rolled back, 1 rollback failed",
        ),
    ],
)
def test_honest_words_completed_with_failures_says_so_with_the_counts(
    given: dict[str, int], words: str
) -> None:
    assert outcome_of(RunningStatus.COMPLETED, counts(successful=5, **given)) == (
        "completed-failures",
        words,
    )


def test_honest_words_cancelled_and_faulted_keep_their_colour_and_add_the_counts() -> None:
    found = outcome_of(RunningStatus.CANCELLED, counts(successful=3, failed=1, rolled_back=1))
    assert found == ("cancelled", "Cancelled: 1 rolled back")
    found = outcome_of(RunningStatus.FAULTED, counts(failed=2, rolled_back=2))
    assert found == ("faulted", "Faulted: 2 rolled back")


def test_honest_words_a_running_upgrade_reads_as_before() -> None:
    operation = {
        "status": RunningStatus.ROLLING_FORWARD,
        "is_paused": False,
        "pause_requested": False,
        "cancel_requested": False,
        "counts": counts(failed=1, rolled_back=1),
    }
    assert status_of(operation) == ("rolling", "Rolling forward")  # type: ignore[arg-type]


def test_honest_words_the_browser_reads_the_same_words() -> None:
    words = vocabulary()
    assert words["troubled"]["Completed"] == {
        "hook": "completed-failures",
        "label": "Completed with failures",
    }
    labels = {segment["key"]: segment["label"] for segment in words["segments"]}
    assert [labels[key] for key in words["failure_segments"]] == [
        "failed",
        "rolled back",
        "rollback failed",
    ]

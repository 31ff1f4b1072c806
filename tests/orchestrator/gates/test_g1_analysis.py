"""G1: conditions and Argo's analysis arithmetic, without Django."""

from __future__ import annotations

import pytest

from orchestrator.gates.analysis import Limits, Tally, judge_gate, judge_measurement, worst
from orchestrator.gates.conditions import ConditionError, evaluate, parse
from orchestrator.gates.model import GateVerdict

S, F, I, E = (  # noqa: E741  # Argo's four verdicts, as a table reads them
    GateVerdict.SUCCESSFUL,
    GateVerdict.FAILED,
    GateVerdict.INCONCLUSIVE,
    GateVerdict.ERROR,
)


@pytest.mark.parametrize(
    ("condition", "names", "expected"),
    [
        ("result < 0.01", {"result": 0.002}, True),
        ("result < 0.01", {"result": 0.5}, False),
        ("result >= 0.99 and result <= 1", {"result": 0.995}, True),
        ('result.status == "ok"', {"result": {"status": "ok"}}, True),
        ('result["checks"][0] == "db"', {"result": {"checks": ["db"]}}, True),
        ("status == 200 or not result", {"status": 500, "result": None}, True),
        ("len(results) > 2", {"results": [1, 2, 3]}, True),
        ("0.5 < result < 2 * 0.5", {"result": 0.75}, True),
        ("result in [1, 2]", {"result": 3}, False),
    ],
)
def test_g1_conditions(condition, names, expected):
    assert evaluate(condition, names) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "__import__('os')",
        "result.__class__",
        "open('x')",
        "lambda: 1",
        "result <",
        "[x for x in y]",
    ],
)
def test_g1_conditions_refuse_anything_else(condition):
    with pytest.raises(ConditionError):
        parse(condition)


def test_g1_a_condition_on_a_missing_key_is_an_error_measurement():
    verdict, why = judge_measurement('result.status == "ok"', "", {"result": {}})
    assert verdict is E
    assert "cannot be evaluated" in why


def test_g1_measurement_verdicts_as_argo():
    assert judge_measurement("result < 1", "", {"result": 0})[0] is S
    assert judge_measurement("result < 1", "", {"result": 2})[0] is F
    assert judge_measurement("result < 1", "result > 5", {"result": 3})[0] is I
    assert judge_measurement("result < 1", "result > 5", {"result": 6})[0] is F
    assert judge_measurement("", "result > 5", {"result": 3})[0] is S


def tally(*verdicts: GateVerdict) -> Tally:
    found = Tally()
    for verdict in verdicts:
        found = found.add(verdict, str(verdict))
    return found


def test_g1_a_gate_fails_once_failures_exceed_the_limit():
    limits = Limits(count=5, failure_limit=1)
    assert judge_gate(tally(S, F), limits, finished=False) is None
    assert judge_gate(tally(S, F, F), limits, finished=False) is F


def test_g1_errors_in_a_row_beyond_the_limit_err_and_a_result_resets_them():
    limits = Limits(count=10, consecutive_error_limit=2)
    assert judge_gate(tally(E, E), limits, finished=False) is None
    assert judge_gate(tally(E, E, E), limits, finished=False) is E
    assert tally(E, E, S).consecutive_errors == 0


def test_g1_nothing_but_errors_is_never_a_success():
    assert judge_gate(tally(E), Limits(count=1, consecutive_error_limit=4), finished=False) is E
    assert judge_gate(Tally(), Limits(), finished=True) is E


def test_g1_inconclusive_beyond_its_limit_once_the_count_is_in():
    limits = Limits(count=3, inconclusive_limit=1)
    assert judge_gate(tally(I, S), limits, finished=False) is None
    assert judge_gate(tally(I, S, S), limits, finished=False) is S
    assert judge_gate(tally(I, I, S), limits, finished=False) is I


def test_g1_the_run_takes_its_worst_gate():
    assert worst([S, I, E]) is E
    assert worst([S, F, E]) is F
    assert worst([]) is S


def test_g1_tallies_survive_their_stored_form():
    found = tally(S, E, I, F)
    assert Tally.from_data(found.as_data()) == found


def test_g4_checkpoints_follow_the_batch_that_reaches_them():
    from datetime import timedelta

    from orchestrator.gates.model import Checkpoint
    from orchestrator.gates.timing import checkpoint_stops, waits_of

    at_20, at_50 = Checkpoint(20, timedelta(minutes=10)), Checkpoint(50)
    sizes = (2, 2, 2, 2, 2)
    assert checkpoint_stops(sizes, (at_20, at_50)) == {0: (at_20,), 2: (at_50,)}
    assert checkpoint_stops(sizes, (Checkpoint(100),)) == {}
    waits = waits_of(sizes, timedelta(minutes=5), (at_20, at_50))
    assert (waits.bake, waits.delays, waits.holds) == (
        timedelta(minutes=20),
        timedelta(minutes=10),
        1,
    )

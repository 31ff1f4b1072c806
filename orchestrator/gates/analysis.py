"""Argo Rollouts' analysis arithmetic (G1): one measurement's verdict, and a gate's verdict
from its measurements so far.

A measurement is *successful* when the success condition holds, *failed* when the failure
condition holds (or, with a success condition only, when it does not), *inconclusive* when
both conditions exist and neither holds (or there was no data), and *error* when it could not
be taken (unreachable, timeout, a bad answer): never success. A gate then fails as soon as its
failed measurements exceed ``failure_limit``, errs when its errors in a row exceed
``consecutive_error_limit``, and once all ``count`` measurements are in (or the bake time is
over) is inconclusive when its inconclusive ones exceed ``inconclusive_limit``, else
successful.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from orchestrator.gates.conditions import ConditionError, evaluate
from orchestrator.gates.model import GateVerdict

SEVERITY = {
    GateVerdict.SUCCESSFUL: 0,
    GateVerdict.INCONCLUSIVE: 1,
    GateVerdict.ERROR: 2,
    GateVerdict.FAILED: 3,
}


@dataclass(frozen=True)
class Limits:
    count: int = 1
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = 4


@dataclass(frozen=True)
class Tally:
    """One gate's measurements so far in one run."""

    measured: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    last: str = ""  # the last measurement's words, with its value
    values: tuple[str, ...] = field(default=())

    def add(self, verdict: GateVerdict, words: str) -> Tally:
        is_error = verdict is GateVerdict.ERROR
        return replace(
            self,
            measured=self.measured + 1,
            successful=self.successful + (verdict is GateVerdict.SUCCESSFUL),
            failed=self.failed + (verdict is GateVerdict.FAILED),
            inconclusive=self.inconclusive + (verdict is GateVerdict.INCONCLUSIVE),
            errors=self.errors + is_error,
            consecutive_errors=self.consecutive_errors + 1 if is_error else 0,
            last=words,
            values=(*self.values, words)[-5:],
        )

    def as_data(self) -> dict[str, Any]:
        return {
            "measured": self.measured,
            "successful": self.successful,
            "failed": self.failed,
            "inconclusive": self.inconclusive,
            "errors": self.errors,
            "consecutive_errors": self.consecutive_errors,
            "last": self.last,
            "values": list(self.values),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Tally:
        return cls(
            measured=int(data.get("measured", 0)),
            successful=int(data.get("successful", 0)),
            failed=int(data.get("failed", 0)),
            inconclusive=int(data.get("inconclusive", 0)),
            errors=int(data.get("errors", 0)),
            consecutive_errors=int(data.get("consecutive_errors", 0)),
            last=str(data.get("last", "")),
            values=tuple(data.get("values", ())),
        )


def judge_measurement(
    success_condition: str, failure_condition: str, names: Mapping[str, Any]
) -> tuple[GateVerdict, str]:
    """One measurement's verdict and why (a condition that cannot be evaluated is an error)."""
    try:
        if failure_condition and evaluate(failure_condition, names):
            return GateVerdict.FAILED, f"failure condition {failure_condition} holds"
        if success_condition:
            if evaluate(success_condition, names):
                return GateVerdict.SUCCESSFUL, f"{success_condition} holds"
            if failure_condition:
                return (
                    GateVerdict.INCONCLUSIVE,
                    f"neither {success_condition} nor {failure_condition}",
                )
            return GateVerdict.FAILED, f"{success_condition} does not hold"
        if failure_condition:
            return GateVerdict.SUCCESSFUL, f"failure condition {failure_condition} does not hold"
    except ConditionError as error:
        return GateVerdict.ERROR, str(error)
    return GateVerdict.SUCCESSFUL, "no condition"


def judge_gate(tally: Tally, limits: Limits, *, finished: bool) -> GateVerdict | None:
    """The gate's verdict, or None while it keeps measuring. ``finished``: no more measurement
    will be taken (the bake time is over); otherwise ``limits.count`` decides."""
    if tally.failed > limits.failure_limit:
        return GateVerdict.FAILED
    if tally.consecutive_errors > limits.consecutive_error_limit:
        return GateVerdict.ERROR
    if not finished and tally.measured < limits.count:
        return None
    if tally.inconclusive > limits.inconclusive_limit:
        return GateVerdict.INCONCLUSIVE
    if tally.measured == 0 or tally.errors == tally.measured:
        return GateVerdict.ERROR  # nothing was measured: never a success
    return GateVerdict.SUCCESSFUL


def worst(verdicts: Iterable[GateVerdict]) -> GateVerdict:
    """The run's verdict: its worst gate's (failed > error > inconclusive > successful)."""
    return max(verdicts, key=SEVERITY.__getitem__, default=GateVerdict.SUCCESSFUL)

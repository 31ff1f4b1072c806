"""Measuring gates (G1): one HTTP request per gate, then the run's tallies and verdict.

1. ``measure_run`` claims a due run by a conditional UPDATE of its next measurement time (two
   workers never measure it at once), and measures every enabled gate of the scale set with
   no transaction open.
2. In one transaction it writes each measurement (a row and a ``gate_measured`` event: value,
   condition, verdict), updates the run's tallies, and judges each gate (Argo's arithmetic,
   ``orchestrator.gates.analysis``).
3. Once every gate is judged (or one fails or errs), the run ends with the worst verdict and
   the measured values, and the upgrade is woken to act on it; otherwise the next measurement
   is due after the shortest gate interval (time-scaled).

An unreachable URL, a timeout, an answer that is not what was expected, or a condition that
cannot be evaluated is an *error* measurement, never a success.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orchestrator.gates.analysis import Limits, Tally, judge_gate, judge_measurement, worst
from orchestrator.gates.model import GatePhase, GateVerdict
from rollout import events
from rollout.models import (
    ACTIVE_STATUSES,
    EventKind,
    Gate,
    GateKind,
    GateMeasurement,
    GateRun,
    UpgradeOperation,
)
from rollout.services import wakeups

ANSWER_LIMIT = 500


@dataclass(frozen=True)
class Measured:
    verdict: GateVerdict
    message: str
    value: float | None = None
    answer: str = ""


def measure(gate: Gate) -> Measured:
    """One measurement of one gate (network I/O; call with no transaction open)."""
    if gate.forced_verdict:
        verdict = GateVerdict(gate.forced_verdict)
        return Measured(verdict, f"forced to {verdict} by the rehearsal (B2)")
    try:
        if gate.kind == GateKind.PROMETHEUS:
            return measure_prometheus(gate)
        return measure_http(gate)
    except requests.Timeout:
        return Measured(GateVerdict.ERROR, f"no answer within {gate.timeout_seconds:g} s")
    except requests.RequestException as error:
        return Measured(GateVerdict.ERROR, f"unreachable: {type(error).__name__}")


def measure_prometheus(gate: Gate) -> Measured:
    """An instant query (``GET /api/v1/query``): ``result`` is the first sample's value,
    ``results`` every sample's; no sample is inconclusive (no data)."""
    response = requests.get(
        gate.url.rstrip("/") + "/api/v1/query",
        params={"query": gate.query},
        timeout=gate.timeout_seconds,
    )
    text = response.text[:ANSWER_LIMIT]
    try:
        body = response.json()
    except ValueError:
        return Measured(GateVerdict.ERROR, f"HTTP {response.status_code}, not JSON", answer=text)
    if body.get("status") != "success":
        why = body.get("error") or f"HTTP {response.status_code}"
        return Measured(GateVerdict.ERROR, f"Prometheus: {why}", answer=text)
    data = body.get("data") or {}
    try:
        if data.get("resultType") == "scalar":
            values = [float(data["result"][1])]
        elif data.get("resultType") == "vector":
            values = [float(sample["value"][1]) for sample in data["result"]]
        else:
            return Measured(GateVerdict.ERROR, f"unexpected {data.get('resultType')}", answer=text)
    except (KeyError, IndexError, TypeError, ValueError):
        return Measured(GateVerdict.ERROR, "a sample without a number", answer=text)
    if not values:
        return Measured(
            GateVerdict.INCONCLUSIVE, "no data: the query returned no sample", answer=text
        )
    value = values[0]
    verdict, why = judge_measurement(
        gate.success_condition, gate.failure_condition, {"result": value, "results": values}
    )
    return Measured(verdict, f"result = {value:g}: {why}", value=value, answer=text)


def measure_http(gate: Gate) -> Measured:
    """A GET: ``status`` is the HTTP status, ``result`` the JSON answer (None if not JSON).
    Without conditions a 2xx answer succeeds and any other fails."""
    response = requests.get(gate.url, timeout=gate.timeout_seconds, allow_redirects=False)
    text = response.text[:ANSWER_LIMIT]
    try:
        result: Any = response.json()
    except ValueError:
        result = None
    status = response.status_code
    if not gate.success_condition and not gate.failure_condition:
        ok = 200 <= status < 300
        verdict = GateVerdict.SUCCESSFUL if ok else GateVerdict.FAILED
        return Measured(verdict, f"HTTP {status}", value=float(status), answer=text)
    verdict, why = judge_measurement(
        gate.success_condition, gate.failure_condition, {"status": status, "result": result}
    )
    value = result if isinstance(result, int | float) and not isinstance(result, bool) else None
    return Measured(verdict, f"HTTP {status}: {why}", value=value, answer=text)


def limits_of(gate: Gate, phase: str) -> Limits:
    limits = Limits(
        count=max(gate.count, 1),
        failure_limit=gate.failure_limit,
        inconclusive_limit=gate.inconclusive_limit,
        consecutive_error_limit=gate.consecutive_error_limit,
    )
    # G4: during bake time the gates measure until it ends, whatever their count.
    return replace(limits, count=10**9) if phase == GatePhase.BAKE else limits


def measure_run(run_id: int, now: datetime | None = None) -> datetime | None:
    """Take the run's due measurements; return when the next one is due (None: ended, not
    due, or another worker has it)."""
    explicit = now is not None
    now = now or timezone.now()
    run = GateRun.objects.select_related("operation__scale_set").filter(pk=run_id).first()
    if run is None or run.ended_at is not None:
        return None
    if run.next_measurement_at is None or run.next_measurement_at > now:
        return run.next_measurement_at
    gates = list(Gate.objects.filter(scale_set_id=run.operation.scale_set_id, enabled=True))
    lease = now + timedelta(seconds=sum(g.timeout_seconds for g in gates) + 30)
    claimed = GateRun.objects.filter(
        pk=run_id, ended_at__isnull=True, next_measurement_at=run.next_measurement_at
    ).update(next_measurement_at=lease)
    if not claimed:
        return None
    if run.operation.status not in ACTIVE_STATUSES:
        _end(run, None, "the upgrade ended", now)
        return None
    measured = [(gate, measure(gate)) for gate in gates]
    return record(run, measured, now if explicit else timezone.now())


def record(run: GateRun, measured: list[tuple[Gate, Measured]], now: datetime) -> datetime | None:
    """Step 2 and 3 of the module docstring, in one transaction."""
    with transaction.atomic():
        run = (
            GateRun.objects.select_for_update(of=("self",))
            .select_related("operation__scale_set")
            .get(pk=run.pk)
        )
        if run.ended_at is not None:
            return None
        operation = run.operation
        tallies = dict(run.tallies or {})
        verdicts: dict[str, GateVerdict | None] = {}
        finished = run.until is not None and now >= run.until
        rows, new_events = [], []
        for gate, result in measured:
            condition = gate.success_condition or gate.failure_condition
            tally = Tally.from_data(tallies.get(gate.name, {}))
            tally = tally.add(result.verdict, result.message)
            tallies[gate.name] = tally.as_data()
            verdicts[gate.name] = judge_gate(tally, limits_of(gate, run.phase), finished=finished)
            rows.append(
                GateMeasurement(
                    run=run,
                    gate=gate,
                    gate_name=gate.name,
                    gate_kind=gate.kind,
                    at=now,
                    value=result.value,
                    answer=result.answer,
                    condition=condition,
                    verdict=result.verdict,
                    message=result.message,
                )
            )
            new_events.append(
                events.new_event(
                    EventKind.GATE_MEASURED,
                    scale_set=operation.scale_set,
                    operation=operation,
                    at=now,
                    reason=f"G1: {gate.name} {result.verdict}: {result.message}",
                    gate=gate.name,
                    gate_kind=gate.kind,
                    phase=run.phase,
                    batch=run.batch_index,
                    value=result.value,
                    condition=condition,
                    verdict=result.verdict,
                    message=result.message,
                    measurement=tally.measured,
                    gate_verdict=verdicts[gate.name],  # the gate's, once judged (G2: gate.failed)
                )
            )
        GateMeasurement.objects.bulk_create(rows)
        run.tallies = tallies
        decided = [v for v in verdicts.values() if v is not None]
        stops = any(v in (GateVerdict.FAILED, GateVerdict.ERROR) for v in decided)
        if not measured or stops or len(decided) == len(verdicts):
            verdict = worst(decided) if measured else GateVerdict.SUCCESSFUL
            message = "; ".join(
                f"{name}: {verdicts[name] or 'measuring'} ({tallies[name]['last']})"
                for name in verdicts
            )
            events.record(new_events)
            _end(run, verdict, message or "no gate enabled", now)
            return None
        interval = min(g.interval_seconds for g, _ in measured)
        step = timedelta(seconds=interval) / settings.ROLLWRIGHT_TIME_SCALE
        run.next_measurement_at = now + step
        if run.until is not None:
            run.next_measurement_at = min(run.next_measurement_at, run.until)
        run.save(update_fields=["tallies", "next_measurement_at"])
        events.record(new_events)
        return run.next_measurement_at


def _end(run: GateRun, verdict: GateVerdict | None, message: str, now: datetime) -> None:
    """End the run and wake its upgrade, which acts on the verdict (orchestrator.gates)."""
    run.verdict = verdict or ""
    run.message = message
    run.ended_at = now
    run.next_measurement_at = None
    run.save(update_fields=["verdict", "message", "ended_at", "next_measurement_at", "tallies"])
    if verdict is not None:
        UpgradeOperation.objects.filter(
            pk=run.operation_id, status__in=ACTIVE_STATUSES, is_paused=False
        ).update(next_look_at=now)
        wakeups.advance_operation(run.operation_id)


def overdue_runs(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    grace = timedelta(seconds=settings.ROLLWRIGHT_SWEEP_SECONDS)
    return list(
        GateRun.objects.filter(
            ended_at__isnull=True, next_measurement_at__lte=now - grace
        ).values_list("pk", flat=True)
    )


def describe_answer(answer: str) -> str:
    try:
        return json.dumps(json.loads(answer))[:ANSWER_LIMIT]
    except ValueError:
        return answer

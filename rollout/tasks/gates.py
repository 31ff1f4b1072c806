"""Celery entry points of gates (G1): measure a run, sweep up overdue runs."""

from __future__ import annotations

from celery import shared_task

from rollout.engine.gates import RUN_GATES, wake_run
from rollout.services import wakeups
from rollout.services.gates.measuring import measure_run, overdue_runs

SWEEP = "rollout.sweep_gate_runs"


@shared_task(name=RUN_GATES, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_gates(run_id: int) -> None:
    """Take the run's due measurements; the next is queued for its time."""
    again = measure_run(run_id)
    if again is not None:
        wakeups.send(RUN_GATES, (run_id,), again)


@shared_task(name=SWEEP, ignore_result=True)
def sweep_gate_runs() -> int:
    """Wake every run whose measurement is overdue (a lost wake-up, a killed worker)."""
    runs = overdue_runs()
    for run_id in runs:
        wake_run(run_id)
    return len(runs)

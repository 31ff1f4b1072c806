"""G1: external gates before each batch, against a real HTTP server and a fake Prometheus."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from rollout.models import (
    Event,
    EventKind,
    Gate,
    GateMeasurement,
    GateRun,
    InstanceUpgrade,
    RunningStatus,
    StartedBy,
)
from rollout.services import ServiceError
from rollout.services.gates.config import save_gate
from rollout.services.upgrades.operations import resume_upgrade, start_os_upgrade
from tests.rollout.conftest import automatic
from tests.rollout.gates.drive import drive
from tests.support.receivers import FakeServer, prometheus_answer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


def prometheus(values: list[float | None]) -> FakeServer:
    """A fake Prometheus answering ``/api/v1/query`` with the values in turn (the last one
    again once they run out)."""
    answers = list(values)

    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path != "/api/v1/query" or not query.get("query"):
            return 400, {"status": "error", "errorType": "bad_data", "error": "no query"}
        value = answers.pop(0) if len(answers) > 1 else answers[0]
        return 200, prometheus_answer(value)

    return FakeServer(answer)


def error_rate_gate(scale_set, url: str, **values: Any) -> Gate:
    gate, _ = save_gate(
        scale_set,
        "error-rate",
        {
            "kind": "prometheus",
            "url": url,
            "query": 'sum(rate(http_requests_total{code=~"5.."}[5m]))',
            "success_condition": "result < 0.01",
            **values,
        },
        actor="test",
    )
    return gate


def test_g1_a_passing_prometheus_gate_lets_every_batch_start(web10):
    with prometheus([0.002]) as server:
        error_rate_gate(web10, server.url)
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    runs = GateRun.objects.filter(operation=operation)
    assert runs.count() == operation.batch_count
    assert set(runs.values_list("verdict", flat=True)) == {"successful"}
    assert all("query=sum" in path for path in server.requests)
    measured = Event.objects.filter(kind=EventKind.GATE_MEASURED, operation=operation)
    assert measured.count() == operation.batch_count
    first = measured.first()
    assert first is not None
    assert (first.data["value"], first.data["condition"], first.data["verdict"]) == (
        0.002,
        "result < 0.01",
        "successful",
    )
    reasons = [
        r for e in Event.objects.filter(kind=EventKind.DECISION) for r in e.data.get("reasons", [])
    ]
    assert any(r.startswith("G1: gates successful before batch 2") for r in reasons)


def test_g1_a_failed_gate_stops_the_upgrade_with_the_measured_value(web10):
    with prometheus([0.002, 0.002, 0.5]) as server:
        error_rate_gate(web10, server.url)
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.FAULTED
    assert operation.error_code == "ExternalGateFailed"
    assert "result = 0.5" in operation.error_message
    assert "before batch 3" in operation.error_message
    # Batches 1 and 2 ran; batch 3 never started.
    assert operation.batches.filter(started_at__isnull=False).count() == 2
    failed = Event.objects.get(kind=EventKind.GATE_MEASURED, data__gate_verdict="failed")
    assert (failed.data["value"], failed.data["verdict"]) == (0.5, "failed")


def test_g1_an_unreachable_gate_is_an_error_never_a_success(web10):
    with prometheus([0.0]) as server:
        closed = server.url  # nothing listens there once the server stops
    error_rate_gate(web10, closed, consecutive_error_limit=2, count=1)
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    drive(operation, timezone.now())
    assert operation.status == RunningStatus.FAULTED
    assert operation.error_code == "ExternalGateFailed"
    assert "could not be measured" in operation.error_message
    assert "unreachable" in operation.error_message
    assert not InstanceUpgrade.objects.filter(operation=operation, state="succeeded").exists()
    assert set(GateMeasurement.objects.values_list("verdict", flat=True)) == {"error"}


def test_g1_errors_within_the_limit_are_tolerated(web10):
    # Two answers that are not Prometheus', then good ones: 2 errors in a row <= the limit 2.
    # As in Argo, errors are measurements too: 3 measurements, 2 errors and 1 success.
    answers = iter([(503, {"status": "error", "error": "overloaded"})] * 2)

    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        return next(answers, (200, prometheus_answer(0.0)))

    with FakeServer(answer) as server:
        error_rate_gate(web10, server.url, consecutive_error_limit=2, count=3)
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    first = GateRun.objects.filter(operation=operation).order_by("id").first()
    assert first is not None
    assert first.tallies["error-rate"]["errors"] == 2
    assert first.tallies["error-rate"]["measured"] == 3
    assert first.verdict == "successful"


def test_g1_inconclusive_pauses_the_upgrade_and_a_resume_goes_on(web10):
    with prometheus([0.05, 0.001]) as server:
        error_rate_gate(web10, server.url, failure_condition="result > 0.1")
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        now = drive(operation, timezone.now())
        assert operation.is_paused and operation.pause_requested
        assert operation.batches.filter(started_at__isnull=False).count() == 0
        paused = Event.objects.get(kind=EventKind.PAUSED, operation=operation)
        assert paused.reason.startswith("G1: gates inconclusive before batch 1")
        assert "neither result < 0.01 nor result > 0.1" in paused.reason
        resume_upgrade(web10, actor="test")
        drive(operation, max(now, timezone.now()))
    assert operation.status == RunningStatus.COMPLETED


def test_g1_an_http_check_reads_the_json_answer(web10):
    with FakeServer(lambda path, query: (200, {"status": "ok", "errors": 0})) as server:
        save_gate(
            web10,
            "smoke",
            {
                "kind": "http",
                "url": f"{server.url}/health",
                "success_condition": 'result.status == "ok" and result.errors == 0',
            },
            actor="test",
        )
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED


def test_g1_an_http_check_without_conditions_fails_on_a_non_2xx(web10):
    with FakeServer(lambda path, query: (503, {"status": "down"})) as server:
        save_gate(web10, "smoke", {"kind": "http", "url": f"{server.url}/health"}, actor="test")
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.error_code == "ExternalGateFailed"
    assert "smoke: failed (HTTP 503)" in operation.error_message


def test_g1_the_rehearsal_forces_a_verdict_without_asking(web10):
    gate = error_rate_gate(web10, "http://127.0.0.1:9/", forced_verdict="failed")
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    drive(operation, timezone.now())
    assert operation.error_code == "ExternalGateFailed"
    assert "forced to failed by the rehearsal" in operation.error_message
    assert GateMeasurement.objects.get().gate == gate


def test_g1_a_bad_gate_is_refused_and_nothing_changes(web10):
    with pytest.raises(ServiceError) as refused:
        error_rate_gate(web10, "http://prometheus:9090", success_condition="__import__('os')")
    assert refused.value.target == "properties.successCondition"
    with pytest.raises(ServiceError) as refused:
        error_rate_gate(web10, "prometheus:9090")
    assert refused.value.target == "properties.url"
    assert not Gate.objects.exists()
    assert not Event.objects.filter(kind=EventKind.GATE_CHANGED).exists()


def test_g1_a_disabled_gate_does_not_hold(web10):
    error_rate_gate(web10, "http://127.0.0.1:9/", enabled=False)
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    assert not GateRun.objects.exists()

"""G3: /metrics in Prometheus' text format, from the database and from the processes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from rollout.metrics import runtime
from rollout.models import FaultKind, FaultRule, StartedBy
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic
from tests.rollout.engine.test_advance import run_to_end

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


def scrape(client: Client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_g3_a_finished_rollout_in_the_metrics(web10, client, django_capture_on_commit_callbacks):
    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[8], created_at=timezone.now()
    )
    before = scrape(client)
    steps_before = before.get(("rollwright_engine_step_duration_seconds_count", ()), 0)
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    with django_capture_on_commit_callbacks(execute=True):  # the step durations' observers
        run_to_end(operation, timezone.now())
    samples = scrape(client)
    assert samples[("rollwright_upgrades", (("kind", "automatic"), ("status", "Completed")))] == 1
    assert samples[("rollwright_batch_duration_seconds_count", ())] == operation.batch_count
    assert samples[("rollwright_batch_duration_seconds_bucket", (("le", "+Inf"),))] == (
        operation.batch_count
    )
    # U4: 10 instances waited for health; instance 8 until its deadline (300 s, 5 s at the
    # time scale of 60: durations are wall clock), then rolled back.
    assert samples[("rollwright_health_wait_seconds_count", ())] == 10
    assert samples[("rollwright_health_wait_seconds_sum", ())] >= 5.0
    assert samples[("rollwright_rollbacks_total", (("outcome", "rolled_back"),))] == 1
    steps = samples[("rollwright_engine_step_duration_seconds_count", ())]
    assert steps - steps_before == operation.step_count
    assert ("rollwright_engine_queue_lag_seconds_count", ()) in samples
    assert samples[("rollwright_overdue_operations", ())] == 0


def test_g3_instances_by_upgrade_state_while_running(web10, client):
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    from rollout.tasks.upgrades import advance_once

    now = timezone.now()
    for _ in range(3):
        now = max(now, advance_once(operation.pk, now) or now)
    samples = scrape(client)
    states = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "rollwright_upgrade_instances"
    }
    assert sum(states.values()) == 10
    assert states["reimaging"] + states["waiting_for_health"] >= 1
    assert states["pending"] >= 1


def test_g3_websocket_clients_are_counted_across_processes(client):
    before = scrape(client).get(("rollwright_websocket_clients", (("page", "fleet"),)), 0)
    runtime.websocket_opened("fleet")
    try:
        after = scrape(client)[("rollwright_websocket_clients", (("page", "fleet"),))]
        assert after == before + 1
    finally:
        runtime.websocket_closed("fleet")


def test_g3_the_token_protects_the_metrics(client, settings):
    settings.ROLLWRIGHT_METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    scrape(client, HTTP_AUTHORIZATION="Bearer scrape-me")


def test_g3_without_a_token_only_allowed_addresses_scrape(client, settings):
    settings.ROLLWRIGHT_METRICS_ALLOW = ["10.0.0.9"]
    response = client.get("/metrics")
    assert response.status_code == 403
    assert b"ROLLWRIGHT_METRICS_ALLOW" in response.content
    scrape(client, REMOTE_ADDR="10.0.0.9")

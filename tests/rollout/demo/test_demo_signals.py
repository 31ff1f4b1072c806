"""G1, G2 in the demo: web-10's gate against the demo Prometheus, and the webhook receiver."""

from __future__ import annotations

import pytest

from rollout.demo.signals import seed_signals
from rollout.models import Gate, NotificationTarget
from rollout.services.notifications.delivery import encode, sign

pytestmark = pytest.mark.django_db


def test_g1_g2_the_demo_has_a_gate_and_a_webhook_and_seeding_twice_changes_nothing(demo):
    seed_signals("rollwright-demo")
    assert seed_signals("rollwright-demo") == {}
    gate = Gate.objects.get()
    assert (gate.scale_set.name, gate.kind, gate.success_condition) == (
        "web-10",
        "prometheus",
        "result < 0.01",
    )
    assert NotificationTarget.objects.get().url.endswith("/demo/webhooks/")


def test_g1_the_demo_prometheus_answers_prometheus_shape(client, settings):
    settings.DEBUG = True
    body = client.get("/demo/prometheus/api/v1/query", {"query": "up"}).json()
    assert body["status"] == "success"
    assert float(body["data"]["result"][0]["value"][1]) < 0.01
    assert client.get("/demo/prometheus/api/v1/query").status_code == 400


def test_g2_the_demo_receiver_checks_signatures_and_lists_deliveries(admin_client, settings):
    from rollout.demo.signals import DEMO_SECRET

    settings.DEBUG = True
    body = encode({"topic": "upgrade.started", "scaleSet": {"name": "web-10"}, "reason": "go"})
    headers = {
        "X-Rollwright-Timestamp": "1764680000",
        "X-Rollwright-Signature": sign(DEMO_SECRET, "1764680000", body),
        "X-Rollwright-Topic": "upgrade.started",
    }
    ok = admin_client.post(
        "/demo/webhooks/", body, content_type="application/json", headers=headers
    )
    assert ok.status_code == 204
    forged = {**headers, "X-Rollwright-Signature": "sha256=00"}
    bad = admin_client.post(
        "/demo/webhooks/", body, content_type="application/json", headers=forged
    )
    assert bad.status_code == 401
    page = admin_client.get("/demo/webhooks/")
    assert b"upgrade.started" in page.content and b"invalid" in page.content


def test_the_demo_endpoints_are_absent_in_production(client, settings):
    settings.DEBUG = False
    assert client.get("/demo/prometheus/api/v1/query", {"query": "up"}).status_code == 404

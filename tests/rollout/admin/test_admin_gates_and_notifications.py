"""G1, G2, G4 in the admin: every write through the services (validated, audited); deliveries
with their attempts, gate runs with their measurements."""

from __future__ import annotations

import pytest

from rollout.models import Event, EventKind, Gate, NotificationTarget

pytestmark = pytest.mark.django_db

GATE_FORM = {
    "name": "error-rate",
    "kind": "prometheus",
    "url": "http://prometheus:9090",
    "query": "job:errors:ratio5m",
    "success_condition": "result < 0.01",
    "failure_condition": "",
    "timeout_seconds": "10",
    "interval_seconds": "60",
    "count": "1",
    "failure_limit": "0",
    "inconclusive_limit": "0",
    "consecutive_error_limit": "4",
    "enabled": "on",
    "forced_verdict": "",
}


@pytest.mark.parametrize(
    "model",
    ["gate", "checkpointpolicy", "gaterun", "checkpointhold", "notificationtarget", "delivery"],
)
def test_g1_g2_g4_changelists_answer(admin_client, model):
    assert admin_client.get(f"/admin/rollout/{model}/").status_code == 200


def test_g1_a_gate_added_in_the_admin_is_checked_and_audited(admin_client, web10):
    bad = {**GATE_FORM, "scale_set": web10.pk, "success_condition": "result <"}
    response = admin_client.post("/admin/rollout/gate/add/", bad)
    assert response.status_code == 200
    assert b"cannot read" in response.content
    assert not Gate.objects.exists()
    response = admin_client.post("/admin/rollout/gate/add/", {**GATE_FORM, "scale_set": web10.pk})
    assert response.status_code == 302
    assert Gate.objects.get().scale_set == web10
    event = Event.objects.get(kind=EventKind.GATE_CHANGED)
    assert (event.actor_name, event.data["change"]) == ("admin", "created")


def test_g2_a_notification_target_added_in_the_admin_is_checked_and_audited(admin_client):
    form = {"name": "ops", "kind": "webhook", "url": "ftp://x", "secret": "s", "enabled": "on"}
    response = admin_client.post("/admin/rollout/notificationtarget/add/", form)
    assert response.status_code == 200
    assert not NotificationTarget.objects.exists()
    form["url"] = "https://hooks.example.org/rollwright"
    form["topics"] = ["upgrade.faulted", "gate.failed"]
    response = admin_client.post("/admin/rollout/notificationtarget/add/", form)
    assert response.status_code == 302
    assert NotificationTarget.objects.get().topics == ["upgrade.faulted", "gate.failed"]
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_TARGET_CHANGED).exists()

"""G1, G4 on the dashboard: the Gates tab shows and changes gates and checkpoints through the
services, and Promote lets a held upgrade go on; a refusal is a message, nothing changes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rollout.models import CheckpointHold, CheckpointPolicy, Event, EventKind, Gate, StartedBy
from rollout.services.gates.config import set_checkpoints
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic
from tests.rollout.gates.drive import drive

pytestmark = pytest.mark.django_db

GATE = {
    "name": "smoke",
    "kind": "http",
    "url": "https://app.example.org/healthz",
    "success_condition": 'result.status == "ok"',
    "timeout_seconds": "10",
    "interval_seconds": "60",
    "count": "1",
    "failure_limit": "0",
    "inconclusive_limit": "0",
    "consecutive_error_limit": "4",
    "forced_verdict": "",
    "reason": "smoke test before each batch",
}


def test_g1_a_gate_is_added_shown_and_deleted_on_the_gates_tab(admin_client, web10):
    page = admin_client.get(f"/scale-sets/{web10.pk}/gates/")
    assert page.status_code == 200
    assert b"No gate" in page.content
    response = admin_client.post(f"/scale-sets/{web10.pk}/gates/set/", GATE)
    assert response.status_code == 302
    gate = Gate.objects.get()
    assert (gate.name, gate.success_condition) == ("smoke", 'result.status == "ok"')
    page = admin_client.get(f"/scale-sets/{web10.pk}/gates/")
    assert b"smoke (HTTP check)" in page.content
    admin_client.post(f"/scale-sets/{web10.pk}/gates/smoke/remove/", {"reason": "done"})
    assert not Gate.objects.exists()
    assert Event.objects.filter(kind=EventKind.GATE_CHANGED).count() == 2


def test_g1_a_refused_gate_is_a_message_and_nothing_changes(admin_client, web10):
    bad = {**GATE, "success_condition": "result.__class__"}
    response = admin_client.post(
        f"/scale-sets/{web10.pk}/gates/set/", bad, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["target"] == "properties.successCondition"
    assert not Gate.objects.exists()


def test_g4_checkpoints_are_set_and_promote_lets_the_upgrade_go_on(admin_client, web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0
    admin_client.post(
        f"/scale-sets/{web10.pk}/checkpoints/", {"checkpoints": "50", "bake_seconds": "0"}
    )
    assert CheckpointPolicy.objects.get().checkpoints == [{"percent": 50}]
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    now = drive(operation, timezone.now())
    page = admin_client.get(f"/scale-sets/{web10.pk}/gates/")
    assert b"Held at the 50% checkpoint" in page.content
    response = admin_client.post(f"/scale-sets/{web10.pk}/upgrade/promote/", {"reason": "ok"})
    assert response.status_code == 302
    assert CheckpointHold.objects.get().promoted_by_name == "admin"
    drive(operation, max(now, timezone.now()))
    assert operation.status == "Completed"


def test_g4_a_reader_sees_the_tab_but_no_controls(client, web10, django_user_model):
    from tests.support.fleets import grant

    reader = django_user_model.objects.create_user("reader", password="x")
    grant(reader, "Reader")
    client.force_login(reader)
    set_checkpoints(web10, [{"percent": 50}], 0, actor="test")
    page = client.get(f"/scale-sets/{web10.pk}/gates/")
    assert page.status_code == 200
    assert b"gate-form" not in page.content
    response = client.post(f"/scale-sets/{web10.pk}/upgrade/promote/", {})
    assert response.status_code == 403

"""G1, G4 in the API: gates and the checkpoint policy as Rollwright extension resources under
a scale set, and promote; refusals in ARM's envelope, changing nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rollout.models import CheckpointHold, Event, EventKind, Gate, StartedBy
from rollout.services.gates.config import set_checkpoints
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.api.conftest import VMSS, body_of, error_of
from tests.rollout.conftest import automatic
from tests.rollout.gates.drive import drive

pytestmark = pytest.mark.django_db

GATES = f"{VMSS}/web10/providers/Rollwright/gates"
POLICY = f"{VMSS}/web10/providers/Rollwright/checkpointPolicies/default"
ERROR_RATE = {
    "properties": {
        "kind": "prometheus",
        "url": "http://prometheus:9090",
        "query": "job:http_errors:ratio5m",
        "successCondition": "result < 0.01",
        "count": 3,
        "intervalSeconds": 30,
    }
}


def test_g1_a_gate_is_created_read_listed_replaced_and_deleted(arm, web10):
    created = arm("PUT", f"{GATES}/error-rate", ERROR_RATE)
    assert created.status_code == 201, created.content
    body = body_of(created)
    assert body["id"].endswith(
        "/virtualMachineScaleSets/web10/providers/Rollwright/gates/error-rate"
    )
    assert body["type"] == "Rollwright/gates"
    assert body["properties"]["count"] == 3
    assert body["properties"]["consecutiveErrorLimit"] == 4  # Argo's default
    assert body_of(arm("GET", f"{GATES}/error-rate")) == body
    assert [g["name"] for g in body_of(arm("GET", GATES))["value"]] == ["error-rate"]
    replaced = arm(
        "PUT", f"{GATES}/error-rate", {"properties": {"kind": "http", "url": "http://x/h"}}
    )
    assert replaced.status_code == 200
    assert body_of(replaced)["properties"]["count"] == 1  # left out: back to its default
    assert arm("DELETE", f"{GATES}/error-rate").status_code == 200
    assert arm("DELETE", f"{GATES}/error-rate").status_code == 204
    assert error_of(arm("GET", f"{GATES}/error-rate"))["code"] == "ResourceNotFound"
    changes = Event.objects.filter(kind=EventKind.GATE_CHANGED).values_list("data", flat=True)
    assert [c["change"] for c in changes] == ["created", "changed", "deleted"]


def test_g1_a_bad_gate_gets_an_arm_error_and_nothing_changes(arm, web10):
    bad = {"properties": {**ERROR_RATE["properties"], "successCondition": "open('/etc/passwd')"}}
    response = arm("PUT", f"{GATES}/error-rate", bad)
    assert response.status_code == 400
    assert error_of(response)["target"] == "properties.successCondition"
    response = arm("PUT", f"{GATES}/error-rate", {"properties": {"kind": "ssh", "url": "x"}})
    assert response.status_code == 400
    response = arm(
        "PUT",
        f"{GATES}/error-rate",
        {"properties": {**ERROR_RATE["properties"], "timeoutSeconds": "5"}},
    )
    assert response.status_code == 400
    assert not Gate.objects.exists()


def test_g1_a_reader_may_not_change_gates(viewer_arm, web10):
    response = viewer_arm("PUT", f"{GATES}/error-rate", ERROR_RATE)
    assert response.status_code == 403
    assert error_of(response)["code"] == "AuthorizationFailed"
    assert viewer_arm("GET", GATES).status_code == 200


def test_g4_the_checkpoint_policy_and_promote(arm, web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0
    policy = {"properties": {"checkpoints": [{"percent": 50}], "bakeSeconds": 0}}
    assert arm("PUT", POLICY, policy).status_code == 200
    assert body_of(arm("GET", POLICY))["properties"]["checkpoints"] == [{"percent": 50}]
    promote = f"{VMSS}/web10/rollingUpgrades/promote"
    assert error_of(arm("POST", promote))["code"] == "Conflict"
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    now = drive(operation, timezone.now())
    response = arm("POST", promote)
    assert response.status_code == 200
    assert body_of(response) == {"percent": 50, "promotedBy": "operator"}
    assert CheckpointHold.objects.get().promoted_at is not None
    drive(operation, max(now, timezone.now()))
    assert operation.status == "Completed"


def test_g4_bad_checkpoints_get_an_arm_error(arm, web10):
    set_checkpoints(web10, [{"percent": 20}], 0, actor="test")
    response = arm("PUT", POLICY, {"properties": {"checkpoints": [{"percent": 0}]}})
    assert response.status_code == 400
    assert body_of(arm("GET", POLICY))["properties"]["checkpoints"] == [{"percent": 20}]

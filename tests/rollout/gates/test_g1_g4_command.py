"""G1, G4 from the command line: ``gates`` sets, lists, deletes, sets checkpoints and promotes
through the services; a refusal exits with its code and changes nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rollout.models import CheckpointPolicy, Event, EventKind, Gate, StartedBy
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic
from tests.rollout.gates.drive import drive

pytestmark = pytest.mark.django_db

WHERE = ["-g", "rg-test", "-n", "web10"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("gates", *args, stdout=out)
    return out.getvalue()


def test_g1_gates_are_set_listed_and_deleted(web10):
    out = run(
        "set",
        "error-rate",
        *WHERE,
        "--kind",
        "prometheus",
        "--url",
        "http://prom:9090",
        "--query",
        "job:errors:ratio5m",
        "--success",
        "result < 0.01",
        "--count",
        "3",
    )
    assert out.startswith("Created error-rate (Prometheus query): result < 0.01, 3 x every 60 s")
    run("set", "error-rate", *WHERE, "--disable")
    assert Gate.objects.get().enabled is False
    listed = json.loads(run("list", *WHERE, "--json"))
    assert listed[0]["properties"]["successCondition"] == "result < 0.01"
    run("delete", "error-rate", *WHERE, "--reason", "not needed")
    assert not Gate.objects.exists()
    assert Event.objects.filter(kind=EventKind.GATE_CHANGED, actor_name="command line").count() == 3


def test_g1_a_refused_gate_exits_with_its_code(web10):
    with pytest.raises(CommandError, match="InvalidParameter"):
        run("set", "x", *WHERE, "--kind", "prometheus", "--url", "http://prom:9090")
    assert not Gate.objects.exists()


def test_g4_checkpoints_and_promote(web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0
    out = run("checkpoints", *WHERE, "--at", "20:600", "--at", "50", "--bake", "120")
    assert out == (
        "Checkpoints: 20% (wait 600 s), 50% (hold until promoted); bake time 120 s after each "
        "batch.\n"
    )
    assert CheckpointPolicy.objects.get().bake_seconds == 120
    with pytest.raises(CommandError, match="Conflict"):
        run("promote", *WHERE)
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    now = drive(operation, timezone.now())
    assert run("promote", *WHERE, "--reason", "fine") == "Promoted past the 50% checkpoint.\n"
    drive(operation, max(now, timezone.now()))
    assert operation.status == "Completed"

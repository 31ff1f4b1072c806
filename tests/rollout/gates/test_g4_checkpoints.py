"""G4: checkpoints (a delay, or a hold until promoted) and bake time with gates measuring."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.models import (
    CheckpointHold,
    Delivery,
    Event,
    EventKind,
    GateRun,
    NotificationTarget,
    RunningStatus,
    StartedBy,
)
from rollout.services import ServiceError
from rollout.services.gates.config import promote, save_gate, set_checkpoints
from rollout.services.notifications.targets import save_target
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic
from tests.rollout.gates.drive import drive
from tests.support.receivers import FakeServer, prometheus_answer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


def started_batches(operation) -> int:
    return operation.batches.filter(started_at__isnull=False).count()


def test_g4_a_checkpoint_holds_until_promoted(web10):
    save_target(NotificationTarget(name="ops", url="http://127.0.0.1:9/hook"), actor="test")
    set_checkpoints(web10, [{"percent": 50}], 0, actor="test")
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    now = drive(operation, timezone.now())
    assert operation.is_active and not operation.is_paused
    assert operation.next_look_at is None  # waiting for a person
    hold = CheckpointHold.objects.get(operation=operation)
    planned = operation.batch_count
    done = operation.batches.filter(completed_at__isnull=False)
    upgraded = sum(len(b.instance_upgrades.all()) for b in done)
    assert upgraded * 2 >= 10 and started_batches(operation) == hold.batch_index + 1 < planned
    reached = Event.objects.get(kind=EventKind.CHECKPOINT_REACHED)
    assert reached.data["hold"] is True
    assert Delivery.objects.filter(topic="approval.awaited").count() == 1
    promote(web10, actor="test", reason="metrics look fine")
    drive(operation, max(now, timezone.now()))
    assert operation.status == RunningStatus.COMPLETED
    hold.refresh_from_db()
    assert hold.promoted_by_name == "test"
    assert Event.objects.filter(kind=EventKind.PROMOTED, reason="metrics look fine").exists()


def test_g4_promote_without_a_hold_is_refused(web10):
    with pytest.raises(ServiceError) as refused:
        promote(web10, actor="test")
    assert refused.value.status == 409


def test_g4_a_checkpoint_with_a_delay_goes_on_by_itself(web10):
    set_checkpoints(web10, [{"percent": 30, "delaySeconds": 600}], 0, actor="test")
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    hold = CheckpointHold.objects.get(operation=operation)
    after = operation.batches.get(index=hold.batch_index + 1)
    assert after.started_at is not None
    # 600 s at the time scale of 60: the next batch started at least 10 s after the checkpoint.
    assert after.started_at - hold.reached_at >= timedelta(seconds=10)


def test_g4_bake_time_without_gates_waits_after_each_batch(web10):
    set_checkpoints(web10, [], 300, actor="test")
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    batches = list(operation.batches.order_by("index"))
    for previous, following in itertools.pairwise(batches):
        assert following.started_at - previous.completed_at >= timedelta(seconds=5)


def test_g4_gates_keep_measuring_during_bake_and_a_failure_stops_the_upgrade(web10):
    # Good for the first 4 answers, then the error rate climbs: the bake after batch 1 sees it.
    answers = iter([0.0] * 4)

    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        return 200, prometheus_answer(next(answers, 0.2))

    with FakeServer(answer) as server:
        save_gate(
            web10,
            "error-rate",
            {
                "kind": "prometheus",
                "url": server.url,
                "query": "job:errors:ratio5m",
                "success_condition": "result < 0.01",
                "interval_seconds": 60,
            },
            actor="test",
        )
        set_checkpoints(web10, [], 600, actor="test")
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.FAULTED
    assert operation.error_code == "ExternalGateFailed"
    assert "during the bake time after batch 1" in operation.error_message
    bake = GateRun.objects.get(operation=operation, phase="bake")
    assert bake.verdict == "failed"
    assert bake.tallies["error-rate"]["measured"] == 4  # 3 good ones, then the failure
    assert started_batches(operation) == 1


def test_g4_a_bake_with_good_gates_completes(web10):
    with FakeServer(lambda path, query: (200, prometheus_answer(0.0))) as server:
        save_gate(
            web10,
            "error-rate",
            {
                "kind": "prometheus",
                "url": server.url,
                "query": "job:errors:ratio5m",
                "success_condition": "result < 0.01",
                "interval_seconds": 100,
            },
            actor="test",
        )
        set_checkpoints(web10, [], 300, actor="test")
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        drive(operation, timezone.now())
    assert operation.status == RunningStatus.COMPLETED
    bakes = GateRun.objects.filter(operation=operation, phase="bake")
    assert bakes.count() == operation.batch_count - 1
    assert all(run.tallies["error-rate"]["measured"] >= 3 for run in bakes)


def test_g4_bad_checkpoints_are_refused(web10):
    with pytest.raises(ServiceError) as refused:
        set_checkpoints(web10, [{"percent": 120}], 0, actor="test")
    assert refused.value.target == "properties.checkpoints[0].percent"
    with pytest.raises(ServiceError):
        set_checkpoints(web10, [{"percent": 20}, {"percent": 20}], 0, actor="test")
    with pytest.raises(ServiceError):
        set_checkpoints(web10, [], -1, actor="test")


def test_g4_the_preview_shows_gates_bake_time_and_checkpoints(web10):
    from rollout.services.upgrades.preview import preview_upgrade

    before = preview_upgrade(web10)
    save_gate(
        web10,
        "smoke",
        {"kind": "http", "url": "http://127.0.0.1:9/health"},
        actor="test",
    )
    set_checkpoints(
        web10, [{"percent": 20, "delaySeconds": 600}, {"percent": 50}], 300, actor="test"
    )
    preview = preview_upgrade(web10)
    batches = len(preview.plan.batches)
    assert preview.nominal_duration - before.nominal_duration == timedelta(
        seconds=300 * (batches - 1) + 600
    )
    assert preview.gate_notes[0] == "G1: gates smoke are measured before each batch (after U7)"
    assert any(n.startswith("G4: each batch but the last bakes 5 min") for n in preview.gate_notes)
    assert any("checkpoint 50%" in n and "promotes" in n for n in preview.gate_notes)


def test_g4_the_eta_waits_for_the_bake_time(web10):
    from rollout.engine.estimates import estimate_of
    from rollout.engine.provider import DatabaseComputeProvider

    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    from rollout.tasks.upgrades import advance_once

    now = timezone.now()
    advance_once(operation.pk, now)  # planned, batch 1 started
    operation.refresh_from_db()
    behaviour = DatabaseComputeProvider(web10).behaviour
    batches = list(operation.batches.all())
    plain = estimate_of(operation, batches, behaviour, now)
    set_checkpoints(web10, [], 600, actor="test")
    baked = estimate_of(operation, batches, behaviour, now)
    assert plain is not None and baked is not None
    gaps = operation.batch_count - 1
    later = datetime.fromisoformat(baked["overall"]) - datetime.fromisoformat(plain["overall"])
    assert later == gaps * timedelta(seconds=600) / 60  # time scale 60

"""The read models behind the pages: the live snapshot, B8's estimates, the fleet's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from orchestrator.health import UnhealthyShare
from rollout.dashboard.fleet import attention, fleet_rows
from rollout.dashboard.history import replay_data
from rollout.dashboard.live import scale_set_snapshot
from rollout.engine.estimates import estimate_of
from rollout.engine.provider import behaviour_model
from rollout.models import (
    Event,
    EventKind,
    FaultKind,
    FaultRule,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import NEW_VERSION, automatic
from tests.rollout.dashboard.test_dashboard_pages import run_to_end

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.mark.django_db
class TestLiveSnapshot:
    def test_without_an_upgrade_every_instance_is_idle(self, web10):
        snapshot = scale_set_snapshot(web10)
        assert snapshot["operation"] is None and snapshot["batches"] == []
        assert [(c["id"], c["state"]) for c in snapshot["instances"]][:2] == [
            ("0", "idle"),
            ("1", "idle"),
        ]
        assert {s["rule"]: (s["unhealthy"], s["total"]) for s in snapshot["shares"]} == {
            "U5": (0, 0),
            "U7": (0, 10),
        }

    def test_mid_rollout_it_has_the_plan_the_states_and_an_estimate(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 60.0
        operation = start_os_upgrade(web10, started_by=StartedBy.USER)
        now = timezone.now()
        advance_once(operation.pk, now)  # plan
        advance_once(operation.pk, now)  # batch 1 starts: reimaging
        snapshot = scale_set_snapshot(web10, now)
        assert snapshot["operation"] is not None
        assert snapshot["operation"]["current_batch"] == 0
        first = snapshot["batches"][0]
        states = {c["id"]: c["state"] for c in snapshot["instances"]}
        assert {states[i] for i in first["instances"]} == {"reimaging"}
        assert sum(state == "pending" for state in states.values()) == 10 - len(first["instances"])
        assert set(snapshot["estimate"]["batches"]) == {
            str(b["index"]) for b in snapshot["batches"]
        }
        assert snapshot["estimate"]["overall"] is not None
        assert snapshot["timing"]["health_wait_seconds"] == pytest.approx(5.0)

    def test_its_sequence_is_the_streams_head_and_bounds_its_log(self, web10):
        operation = start_os_upgrade(web10)
        advance_once(operation.pk, timezone.now())
        snapshot = scale_set_snapshot(web10)
        sequences = list(
            Event.objects.filter(scale_set=web10)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, len(sequences) + 1)), "numbered without a hole"
        assert snapshot["sequence"] == sequences[-1]
        assert all(event["sequence"] <= snapshot["sequence"] for event in snapshot["events"])
        logged = [event["sequence"] for event in snapshot["events"]]
        assert logged == sorted(logged)

    def test_u5_the_share_counts_rolled_back_instances(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        FaultRule.objects.create(
            scale_set=web10,
            kind=FaultKind.NEVER_HEALTHY,
            instance_ids=[8],
            image_version=NEW_VERSION,
            created_at=timezone.now(),
        )
        ScaleSet.objects.filter(pk=web10.pk).update(enable_automatic_os_upgrade=True)
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        now = timezone.now()
        for _ in range(500):
            recheck = advance_once(operation.pk, now)
            if recheck is None:
                break
            now = max(now, recheck)
        snapshot = scale_set_snapshot(web10, now)
        states = {c["id"]: c["state"] for c in snapshot["instances"]}
        assert states["8"] == "rolled_back"
        u5 = next(s for s in snapshot["shares"] if s["rule"] == "U5")
        assert (u5["unhealthy"], u5["total"], u5["allowed_percent"]) == (1, 10, 20)
        assert snapshot["estimate"] is None  # B8: nothing to expect once it has ended
        assert any(e["kind"] == "instance_changed" for e in snapshot["events"])


@pytest.mark.django_db
class TestFigures:
    """U1 U5 U7 reach the page as the engine's numbers, whatever the reasons' words."""

    def test_decision_events_carry_the_engines_figures(self, web10):
        operation = start_os_upgrade(web10)
        advance_once(operation.pk, timezone.now())  # U1, then the plan
        (decision,) = Event.objects.filter(
            operation=operation, kind=EventKind.DECISION, data__has_key="reasons"
        )
        assert decision.data["figures"] == {
            "U1": {
                "rule": "U1",
                "scope": "scale_set",
                "unhealthy": 0,
                "total": 10,
                "percent": 0.0,
                "allowed_percent": 20,
                "exceeds": False,
            }
        }

    def test_the_gauges_show_what_the_engine_measured_not_what_it_said(
        self, web10, settings, monkeypatch
    ):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        monkeypatch.setattr(UnhealthyShare, "describe", lambda share: "(reworded)")
        FaultRule.objects.create(
            scale_set=web10,
            kind=FaultKind.NEVER_HEALTHY,
            instance_ids=[8],
            image_version=NEW_VERSION,
            created_at=timezone.now(),
        )
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        now = timezone.now()
        while (recheck := advance_once(operation.pk, now)) is not None:
            now = max(now, recheck)
        shares = {share["scope"]: share for share in scale_set_snapshot(web10, now)["shares"]}

        def last(rule: str) -> Event:
            found = Event.objects.filter(operation=operation, data__figures__has_key=rule)
            event = found.order_by("-id").first()
            assert event is not None and "(reworded)" in " ".join(event.data["reasons"])
            return event

        u7, u5 = last("U7"), last("U5")
        assert shares["scale_set"] == {
            **u7.data["figures"]["U7"],
            "measured_at": u7.created_at.isoformat(),
        }
        assert (shares["scale_set"]["rule"], shares["scale_set"]["total"]) == ("U7", 10)
        assert u5.data["figures"]["U5"] == {
            "rule": "U5",
            "scope": "upgraded",
            "unhealthy": 1,
            "total": 10,
            "percent": 10.0,
            "allowed_percent": 20,
            "exceeds": False,
        }
        # U5 as the engine would measure it now: the same figures.
        assert shares["upgraded"] == {**u5.data["figures"]["U5"], "measured_at": None}

    def test_decision_events_mark_routine_progress_as_data(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        operation = start_os_upgrade(web10)
        run_to_end(operation.pk)
        decisions = Event.objects.filter(operation=operation, data__has_key="reasons")
        routine = [
            reason
            for event in decisions
            for index, reason in enumerate(event.data["reasons"])
            if index in event.data.get("routine", [])
        ]
        assert routine and all(reason[:3] in ("U3:", "U4:") for reason in routine)
        healthy = [reason for reason in routine if "is healthy" in reason]
        assert len(healthy) == 10  # every instance's U4 success is routine progress

    def test_before_any_decision_the_scale_sets_share_is_measured_now(self, web10):
        start_os_upgrade(web10)
        shares = {share["scope"]: share for share in scale_set_snapshot(web10)["shares"]}
        assert shares["scale_set"]["measured_at"] is None
        assert (shares["scale_set"]["rule"], shares["scale_set"]["total"]) == ("U7", 10)


@pytest.mark.django_db
class TestEstimates:
    """B8 is estimated once, on the server: each step that plans, starts or completes a batch
    sends the new estimate with its events, and the snapshot carries the current one."""

    def test_b8_steps_that_move_batches_carry_the_new_estimate(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        behaviour = behaviour_model()
        # The plan's batch: reimage and health at their slowest jitter (the slowest VM ends it).
        slowest = 1 + behaviour.jitter
        nominal = (behaviour.reimage_seconds + behaviour.healthy_after_seconds) * slowest / 600.0
        operation = start_os_upgrade(web10)
        run_to_end(operation.pk)
        moved = Event.objects.filter(operation=operation).filter(
            Q(kind__in=[EventKind.BATCH_STARTED, EventKind.BATCH_COMPLETED])
            | Q(data__has_key="plan")
        )
        estimates = [(event.kind, event.data["estimate"]) for event in moved.order_by("id")]
        operation.refresh_from_db()
        assert len(estimates) == 1 + 2 * operation.batch_count
        kind, planned = estimates[0]
        assert kind == EventKind.DECISION
        assert planned["batch_seconds"] == pytest.approx(nominal, abs=1e-6)
        assert planned["observed_batches"] == 0
        assert set(planned["batches"]) == {str(i) for i in range(operation.batch_count)}
        assert planned["overall"] == max(planned["batches"].values())
        completed = [data for kind, data in estimates if kind == EventKind.BATCH_COMPLETED]
        assert [data["observed_batches"] for data in completed] == list(
            range(1, operation.batch_count + 1)
        )
        assert (completed[-1]["batches"], completed[-1]["overall"]) == ({}, None)

    def test_b8_the_snapshot_has_the_estimate_at_its_moment(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 60.0
        operation = start_os_upgrade(web10)
        now = timezone.now()
        advance_once(operation.pk, now)  # plan
        advance_once(operation.pk, now)  # batch 1 starts
        operation.refresh_from_db()
        snapshot = scale_set_snapshot(web10, now)
        batches = list(operation.batches.order_by("index"))
        expected = estimate_of(operation, batches, behaviour_model(), now)
        assert snapshot["estimate"] == expected
        assert expected is not None and expected["computed_at"] == now.isoformat()

    def test_b5_while_paused_no_later_batch_has_an_end(self, web10):
        operation = start_os_upgrade(web10)
        now = timezone.now()
        advance_once(operation.pk, now)  # plan
        advance_once(operation.pk, now)  # batch 1 starts
        UpgradeOperation.objects.filter(pk=operation.pk).update(pause_requested=True)
        estimate = scale_set_snapshot(web10, now)["estimate"]
        assert estimate is not None
        assert (set(estimate["batches"]), estimate["overall"]) == ({"0"}, None)

    def test_b3_a_replay_starts_from_idle_instances_and_the_policys_limits(self, web10, settings):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        operation = start_os_upgrade(web10)
        run_to_end(operation.pk)
        start = replay_data(operation)["start"]
        assert [cell["state"] for cell in start["instances"]] == ["idle"] * 10
        assert {share["scope"]: share["allowed_percent"] for share in start["shares"]} == {
            "upgraded": 20,
            "scale_set": 20,
        }
        assert start["estimate"] is None and start["operation"] is None
        assert start["timing"]["health_wait_seconds"] == pytest.approx(0.5)


@pytest.mark.django_db
class TestFleetRows:
    def test_a_running_upgrade_carries_its_progress(self, web10):
        """The row's counts are the operation's, kept current by every engine step: the page
        fetches the row again rather than counting instance states itself."""
        operation = start_os_upgrade(web10)
        advance_once(operation.pk, timezone.now())
        (row,) = fleet_rows(ids=[web10.pk])
        assert row["operation"] is not None
        assert row["operation"]["counts"]["pending"] == 10
        operation.refresh_from_db()
        assert row["operation"]["batch_count"] == operation.batch_count > 0

    def test_e2_a_refused_enablement_needs_attention(self, tiny3):
        (row,) = fleet_rows(ids=[tiny3.pk])
        assert row["refusal"] and "health" in row["refusal"].lower()
        assert [item["severity"] for item in attention([row])] == ["info"]

"""The dashboard's buttons: CSRF-protected POSTs through the services, operators only (B7)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from rollout.models import (
    Event,
    EventKind,
    FaultKind,
    FaultRule,
    RunningStatus,
    ScaleSet,
    StartedBy,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.dashboard.conftest import JSON

pytestmark = pytest.mark.django_db


def url(name: str, scale_set: ScaleSet, *args: int) -> str:
    return reverse(f"dashboard:{name}", args=[scale_set.pk, *args])


class TestAutoUpgradeToggle:
    def test_e1_an_operator_turns_auto_upgrade_on_with_a_reason(self, operator_client, web10):
        response = operator_client.post(
            url("auto_upgrade", web10), {"enable": "on", "reason": "patch Tuesdays"}, **JSON
        )
        assert response.status_code == 200
        assert response.json()["ok"] is True
        web10.refresh_from_db()
        assert web10.enable_automatic_os_upgrade is True
        event = Event.objects.get(kind=EventKind.ENABLED)
        assert (event.actor_name, event.reason) == ("olivia", "patch Tuesdays")

    def test_e2_a_refusal_names_the_property_and_changes_nothing(self, operator_client, tiny3):
        response = operator_client.post(url("auto_upgrade", tiny3), {"enable": "on"}, **JSON)
        assert response.status_code == 400
        body = response.json()
        assert body["ok"] is False
        assert "health" in body["message"].lower()
        assert body["target"]
        tiny3.refresh_from_db()
        assert tiny3.enable_automatic_os_upgrade is False
        assert not Event.objects.filter(kind=EventKind.ENABLED).exists()

    def test_e2_a_plain_form_post_shows_the_refusal_next_to_the_toggle(
        self, operator_client, tiny3
    ):
        response = operator_client.post(url("auto_upgrade", tiny3), {"enable": "on"}, follow=True)
        page = response.content.decode()
        assert response.redirect_chain[-1][0] == url("scale_set", tiny3)
        assert 'class="refusal" data-refusal role="alert" >' in page
        assert "health" in page.split('data-refusal role="alert" >')[1].split("</p>")[0].lower()

    def test_turning_it_off_is_always_allowed(self, operator_client, web10):
        ScaleSet.objects.filter(pk=web10.pk).update(enable_automatic_os_upgrade=True)
        response = operator_client.post(url("auto_upgrade", web10), {"enable": "off"}, **JSON)
        assert response.json()["ok"] is True
        web10.refresh_from_db()
        assert web10.enable_automatic_os_upgrade is False


class TestOnlyOperatorsAct:
    def test_a_viewer_gets_403_and_nothing_changes(self, viewer_client, web10):
        response = viewer_client.post(url("auto_upgrade", web10), {"enable": "on"})
        assert response.status_code == 403
        response = viewer_client.post(url("start", web10), {"kind": "manual"})
        assert response.status_code == 403
        web10.refresh_from_db()
        assert web10.enable_automatic_os_upgrade is False
        assert not UpgradeOperation.objects.exists()

    def test_an_anonymous_post_is_sent_to_the_login_page(self, client, web10):
        response = client.post(url("start", web10), {"kind": "manual"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("dashboard:login"))
        assert not UpgradeOperation.objects.exists()

    def test_a_post_without_the_csrf_token_is_refused(self, operator: User, web10):
        client = Client(enforce_csrf_checks=True)
        client.force_login(operator)
        response = client.post(url("start", web10), {"kind": "manual"})
        assert response.status_code == 403
        assert not UpgradeOperation.objects.exists()

    def test_a_get_is_not_an_action(self, operator_client, web10):
        assert operator_client.get(url("start", web10)).status_code == 405


class TestUpgradeButtons:
    def test_m1_start_is_a_manual_upgrade_by_the_user(self, operator_client, operator, web10):
        response = operator_client.post(
            url("start", web10), {"kind": "manual", "reason": "November"}, **JSON
        )
        assert response.json()["ok"] is True
        operation = UpgradeOperation.objects.get()
        assert (operation.kind, operation.started_by) == (UpgradeKind.MANUAL, StartedBy.USER)
        assert operation.started_by_user == operator
        started = Event.objects.get(kind=EventKind.UPGRADE_STARTED)
        assert (started.actor_name, started.reason) == ("olivia", "November")

    def test_the_automatic_kind_needs_auto_upgrade_on(self, operator_client, web10):
        response = operator_client.post(url("start", web10), {"kind": "automatic"}, **JSON)
        assert response.status_code == 409
        assert "auto-upgrade on" in response.json()["message"]
        assert not UpgradeOperation.objects.exists()

    def test_u4_the_automatic_kind_runs_what_the_platform_runs(self, operator_client, web10):
        ScaleSet.objects.filter(pk=web10.pk).update(enable_automatic_os_upgrade=True)
        operator_client.post(url("start", web10), {"kind": "automatic"}, **JSON)
        operation = UpgradeOperation.objects.get()
        assert operation.kind == UpgradeKind.AUTOMATIC
        assert operation.automatic_rollback is True

    def test_a_second_start_is_refused_with_the_services_message(self, operator_client, web10):
        start_os_upgrade(web10)
        response = operator_client.post(url("start", web10), {"kind": "manual"}, **JSON)
        assert response.status_code == 409
        assert "already in progress" in response.json()["message"]

    def test_b5_pause_then_resume_then_u10_cancel(self, operator_client, web10):
        operation = start_os_upgrade(web10)
        for name in ("pause", "resume", "cancel"):
            response = operator_client.post(url(name, web10), {"reason": f"{name} it"}, **JSON)
            assert response.json()["ok"] is True, response.json()
        operation.refresh_from_db()
        assert operation.cancel_requested is True
        kinds = list(
            Event.objects.exclude(kind=EventKind.UPGRADE_STARTED).values_list("kind", "reason")
        )
        assert kinds == [
            (EventKind.PAUSE_REQUESTED, "pause it"),
            (EventKind.RESUMED, "resume it"),
            (EventKind.CANCEL_REQUESTED, "cancel it"),
        ]

    def test_cancel_without_an_upgrade_says_so(self, operator_client, web10):
        response = operator_client.post(url("cancel", web10), {}, **JSON)
        assert response.status_code == 409
        assert "no OS upgrade" in response.json()["message"]


class TestFaultRuleButtons:
    def test_b2_an_operator_adds_a_rule_and_the_audit_trail_says_who_and_why(
        self, operator_client, web10
    ):
        response = operator_client.post(
            url("add_fault_rule", web10),
            {"kind": "never_healthy", "instance_ids": "3, 7", "reason": "U4 rehearsal"},
        )
        assert response.status_code == 302
        assert response["Location"] == url("rehearsal", web10)
        rule = FaultRule.objects.get()
        assert (rule.kind, rule.instance_ids) == (FaultKind.NEVER_HEALTHY, [3, 7])
        event = Event.objects.get(kind=EventKind.FAULT_RULE_ADDED)
        assert (event.actor_name, event.reason) == ("olivia", "U4 rehearsal")
        assert event.data["description"] == "never healthy: instances 3, 7"

    def test_a_share_is_given_in_percent(self, operator_client, web10):
        operator_client.post(
            url("add_fault_rule", web10), {"kind": "never_healthy", "share_percent": "30"}
        )
        assert FaultRule.objects.get().share == pytest.approx(0.3)

    def test_a_bad_rule_is_refused_with_a_message(self, operator_client, web10):
        response = operator_client.post(
            url("add_fault_rule", web10), {"kind": "healthy_after", "instance_ids": "3"}, **JSON
        )
        assert response.status_code == 400
        assert "seconds" in json.loads(response.content)["message"]
        assert not FaultRule.objects.exists()

    def test_an_operator_removes_a_rule(self, operator_client, web10):
        operator_client.post(url("add_fault_rule", web10), {"kind": "reimage_fails"})
        rule = FaultRule.objects.get()
        response = operator_client.post(
            url("remove_fault_rule", web10, rule.pk), {"reason": "done"}, **JSON
        )
        assert response.json()["ok"] is True
        assert not FaultRule.objects.exists()
        removed = Event.objects.get(kind=EventKind.FAULT_RULE_REMOVED)
        assert (removed.reason, removed.data["rule"]) == ("done", rule.pk)

    def test_a_viewer_cannot_add_rules(self, viewer_client, web10):
        response = viewer_client.post(url("add_fault_rule", web10), {"kind": "reimage_fails"})
        assert response.status_code == 403
        assert not FaultRule.objects.exists()


def test_operation_status_stays_with_the_engine(operator_client, web10):
    """The buttons only ask; the engine decides (the status is untouched by a cancel)."""
    operation = start_os_upgrade(web10)
    operator_client.post(url("cancel", web10), {}, **JSON)
    operation.refresh_from_db()
    assert operation.status == RunningStatus.ROLLING_FORWARD

"""L3: changes made in the admin go through the services: pushed live (broadcast after
commit, in the scale set's stream) and audited (B7)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rollout.models import FaultKind, FaultRule
from tests.rollout.admin.conftest import World, admin_url, run_action
from tests.support.broadcasts import assert_live_and_audited, collect_broadcasts

pytestmark = pytest.mark.django_db


def test_l3_a_fault_rule_added_in_the_admin_is_live_and_audited(
    admin_client: Client,
    admin_user: User,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    collected = collect_broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(FaultRule, "add"),
            {
                "scale_set": world.web.pk,
                "kind": FaultKind.NEVER_HEALTHY,
                "instance_ids": "[1]",
                "zone": "",
                "seconds": "",
                "image_version": "",
                "reason": "rehearse from the admin",
                "share_percent": "",
            },
        )
    assert response.status_code == 302, response.content[:500]
    payload = assert_live_and_audited(
        collected, "fault_rule_added", world.web.pk, admin_user.username
    )
    assert payload["data"]["instance_ids"] == [1]


def test_l3_a_fault_rule_removed_in_the_admin_is_live_and_audited(
    admin_client: Client,
    admin_user: User,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    rule = FaultRule.objects.filter(scale_set=world.web).first()
    assert rule is not None
    collected = collect_broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(FaultRule, "changelist"),
            {"action": "remove_rules", "_selected_action": [rule.pk]},
        )
    assert not FaultRule.objects.filter(pk=rule.pk).exists()
    payload = assert_live_and_audited(
        collected, "fault_rule_removed", world.web.pk, admin_user.username
    )
    assert payload["data"]["rule"] == rule.pk


def test_l3_auto_upgrade_enabled_in_the_admin_is_live_and_audited(
    admin_client: Client,
    admin_user: User,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    collected = collect_broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, "enable_auto_upgrade_action", world.web)
    assert_live_and_audited(collected, "auto_upgrade_enabled", world.web.pk, admin_user.username)

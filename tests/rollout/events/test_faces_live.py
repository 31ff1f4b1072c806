"""L3: the command line and the dashboard's actions go through the same services: each
change is pushed live (broadcast after commit, in the scale set's stream) and audited (B7)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from rollout.models import ScaleSet
from rollout.services.upgrades.operations import start_os_upgrade
from tests.support.broadcasts import assert_live_and_audited, collect_broadcasts
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_l3_pause_resume_and_cancel_from_the_command_line_are_live_and_audited(
    web10: ScaleSet, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    start_os_upgrade(web10, actor="Platform")
    collected = collect_broadcasts(monkeypatch)
    where = ["-g", web10.resource_group.name, "-n", web10.name]
    with django_capture_on_commit_callbacks(execute=True):
        cli("rolling_upgrade", "pause", *where, "--reason", "freeze")
    with django_capture_on_commit_callbacks(execute=True):
        cli("rolling_upgrade", "resume", *where)
    with django_capture_on_commit_callbacks(execute=True):
        cli("rolling_upgrade", "cancel", *where)
    paused = collected.of("pause_requested")[0]
    assert paused["reason"] == "freeze"
    for kind in ("pause_requested", "resumed", "cancel_requested"):
        payload = collected.of(kind)[0]
        assert payload["scale_set"] == web10.pk and payload["sequence"] is not None
        assert payload["actor"] == paused["actor"], "the command line, audited as itself"
    sequences = [p["sequence"] for p in collected.payloads]
    assert sequences == sorted(sequences)


def test_l3_a_dashboard_action_is_live_and_audited(
    web10: ScaleSet, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    user = User.objects.create_user("dora", password="x")
    grant(user, "Contributor")
    client = Client()
    client.force_login(user)
    collected = collect_broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/scale-sets/{web10.pk}/auto-upgrade/",
            {"enable": "on", "reason": "from the page"},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 200, response.content
    assert_live_and_audited(collected, "auto_upgrade_enabled", web10.pk, "dora", "from the page")

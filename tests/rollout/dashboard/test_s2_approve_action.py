"""S2 in the dashboard: the Approve buttons (one instance, approve-all), for operators only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rollout.models import Event, EventKind, StartedBy
from rollout.services.upgrades.approvals import awaiting_approval
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import automatic
from tests.rollout.dashboard.conftest import JSON

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0
    scale_set = automatic(web10)
    scale_set.os_rolling_upgrade_deferral = True
    scale_set.save()
    now = timezone.now()
    operation = start_os_upgrade(scale_set, started_by=StartedBy.PLATFORM, now=now)
    for _ in range(10):
        if advance_once(operation.pk, now) is None:
            break
    assert awaiting_approval(scale_set)
    return scale_set


def test_s2_operator_approves_one_instance_then_the_rest(operator_client, waiting):
    url = reverse("dashboard:approve", args=[waiting.pk])
    first, *rest = awaiting_approval(waiting)
    answer = operator_client.post(url, {"instance_ids": first, "reason": "checked"}, **JSON)
    assert answer.json()["ok"] is True
    assert first not in awaiting_approval(waiting)
    answer = operator_client.post(url, {"instance_ids": "", "reason": ""}, **JSON)
    assert answer.json()["ok"] is (bool(rest))
    assert awaiting_approval(waiting) == []
    event = Event.objects.filter(kind=EventKind.UPGRADE_APPROVED).first()
    assert event is not None and event.actor_id is not None and event.reason == "checked"


def test_s2_the_live_page_offers_approval_to_operators_only(
    operator_client, viewer_client, waiting
):
    page = reverse("dashboard:scale_set", args=[waiting.pk])
    operator_html = operator_client.get(page).content.decode()
    assert 'id="approval-card"' in operator_html and "Approve all" in operator_html
    viewer_html = viewer_client.get(page).content.decode()
    assert "Approve all" not in viewer_html
    url = reverse("dashboard:approve", args=[waiting.pk])
    refused = viewer_client.post(url, {"instance_ids": ""}, **JSON)
    assert refused.status_code == 403
    assert awaiting_approval(waiting)

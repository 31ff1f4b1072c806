"""Issue 10.9: an expected refusal is a page, not a traceback. A viewer's 403 says why and where
to go (templates/403.html), in the product's layout; the server log has one line for it and no
traceback. The admin names its rows in English ("upgrade batches") and fault rules' shares in
%, as the dashboard does; /favicon.ico answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollout.models import FaultKind, FaultRule, ScaleSet, UpgradeBatch

pytestmark = pytest.mark.django_db

PASSWORD = "rollwright-test"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.exc_info]


@pytest.fixture
def hidden(demo: dict[str, ScaleSet]) -> ScaleSet:
    return demo["web-10"]


@pytest.fixture
def outsider(db: Any) -> Client:
    """A user with no role anywhere."""
    user = User.objects.create_user("olga", password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


def test_r1_a_scale_set_the_user_may_not_see_answers_a_403_page_without_a_traceback(
    outsider: Client, hidden: ScaleSet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = outsider.get(reverse("dashboard:scale_set", args=[hidden.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html and f"the scale set {hidden.name}" in html
    assert 'class="topbar"' in html  # the product's page, with its way back
    assert tracebacks(caplog) == []
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        f"Forbidden (Permission denied): /scale-sets/{hidden.pk}/"
    ]


def test_r1_a_viewers_plain_form_post_answers_a_403_page_without_a_traceback(
    viewer_client: Client, demo: dict[str, ScaleSet], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api5 = demo["api-5"]
    response = viewer_client.post(reverse("dashboard:pause", args=[api5.pk]), {"reason": ""})
    assert response.status_code == 403
    html = response.content.decode()
    assert "AuthorizationFailed" in html or "does not have authorization" in html
    assert "Back to the fleet" in html
    assert tracebacks(caplog) == []


def test_the_admin_says_upgrade_batches() -> None:
    assert UpgradeBatch._meta.verbose_name_plural == "upgrade batches"


def test_b2_the_admin_lists_a_fault_rules_share_in_percent(
    admin_client: Client, demo: dict[str, ScaleSet]
) -> None:
    FaultRule.objects.create(
        scale_set=demo["web-10"],
        kind=FaultKind.NEVER_HEALTHY,
        share=0.25,
        created_at=timezone.now(),
    )
    response = admin_client.get(reverse("admin:rollout_faultrule_changelist"))
    html = response.content.decode()
    assert "25%" in html
    assert ">0.25<" not in html


def test_the_favicon_is_served(client: Client) -> None:
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")

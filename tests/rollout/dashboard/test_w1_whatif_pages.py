"""W1 on the Preview and Rehearsal pages: the predicted outcome, its stop and its batches."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rollout.dashboard import whatif as whatif_page
from rollout.models import FaultKind, FaultRule
from tests.rollout.conftest import NEW_VERSION

pytestmark = pytest.mark.django_db


def page(client, name: str, pk: int, **query: str) -> str:
    response = client.get(reverse(f"dashboard:{name}", args=[pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def test_w1_preview_page_predicts_the_u5_stop_and_each_batch(operator_client, web10):
    FaultRule.objects.create(
        scale_set=web10,
        kind=FaultKind.NEVER_HEALTHY,
        share=0.3,
        image_version=NEW_VERSION,
        created_at=timezone.now(),
    )
    html = page(operator_client, "preview", web10.pk, kind="automatic")
    assert "Predicted outcome (W1)" in html
    assert 'data-whatif-status="Faulted"' in html
    assert 'data-whatif-stop="U5"' in html
    assert "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade" in html
    assert 'data-outcome="rolled_back"' in html
    assert "never: the upgrade stops first" in html
    assert "data-whatif-left" in html


def test_w1_rehearsal_page_shows_what_the_rules_would_do(viewer_client, web10):
    FaultRule.objects.create(
        scale_set=web10,
        kind=FaultKind.NEVER_HEALTHY,
        instance_ids=[3],
        image_version=NEW_VERSION,
        created_at=timezone.now(),
    )
    html = page(viewer_client, "rehearsal", web10.pk, kind="manual")
    assert "Predicted outcome (W1)" in html
    assert 'data-instance="3" data-outcome="failed"' in html
    assert "3 would fail" in html


def test_w1_a_large_scale_set_is_predicted_on_request(operator_client, web10, monkeypatch):
    monkeypatch.setattr(whatif_page, "AUTOMATIC_UP_TO", 5)
    html = page(operator_client, "preview", web10.pk)
    assert "Predict the outcome" in html and "data-whatif-status" not in html
    html = page(operator_client, "preview", web10.pk, simulate="1")
    assert 'data-whatif-status="Completed"' in html

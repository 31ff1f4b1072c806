"""L3: changes made over the ARM API go through the services: pushed live (broadcast after
commit, in the scale set's stream) and audited (B7), as the API's caller."""

from __future__ import annotations

import pytest

from tests.rollout.api.conftest import VMSS
from tests.support.broadcasts import assert_live_and_audited, collect_broadcasts

pytestmark = pytest.mark.django_db


def test_l3_start_and_cancel_over_the_api_are_live_and_audited(
    arm, operator, web10, monkeypatch, django_capture_on_commit_callbacks
):
    collected = collect_broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        assert arm("POST", f"{VMSS}/web10/osRollingUpgrade").status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert arm("POST", f"{VMSS}/web10/rollingUpgrades/cancel").status_code == 202
    started = assert_live_and_audited(collected, "upgrade_started", web10.pk, "operator")
    cancelled = assert_live_and_audited(collected, "cancel_requested", web10.pk, "operator")
    assert cancelled["sequence"] > started["sequence"]


def test_l3_auto_upgrade_enabled_over_the_api_is_live_and_audited(
    arm, operator, web10, monkeypatch, django_capture_on_commit_callbacks
):
    collected = collect_broadcasts(monkeypatch)
    body = {
        "properties": {
            "upgradePolicy": {"automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = arm("PATCH", f"{VMSS}/web10", body)
    assert response.status_code in (200, 202), response.content
    assert_live_and_audited(collected, "auto_upgrade_enabled", web10.pk, "operator")

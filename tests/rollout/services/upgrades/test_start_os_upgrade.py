"""The start verb's own rules, whichever face calls it (API, dashboard, CLI, release)."""

from __future__ import annotations

import pytest

from rollout.models import Event, ScaleSet, StartedBy, UpgradeKind, UpgradeOperation
from rollout.services.errors import ServiceError
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic

pytestmark = pytest.mark.django_db


def test_e1_an_automatic_upgrade_needs_auto_upgrade_on_and_writes_nothing_otherwise(
    web10: ScaleSet,
) -> None:
    with pytest.raises(ServiceError) as refused:
        start_os_upgrade(web10, started_by=StartedBy.PLATFORM, actor="alice")
    assert (refused.value.code, refused.value.status) == ("OperationNotAllowed", 409)
    assert refused.value.target.endswith("enableAutomaticOSUpgrade")
    assert not UpgradeOperation.objects.exists()
    assert not Event.objects.exists()


def test_m1_a_manual_upgrade_needs_no_auto_upgrade(web10: ScaleSet) -> None:
    operation = start_os_upgrade(web10, started_by=StartedBy.USER)
    assert operation.kind == UpgradeKind.MANUAL


def test_u4_an_automatic_upgrade_runs_once_auto_upgrade_is_on(web10: ScaleSet) -> None:
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    assert (operation.kind, operation.automatic_rollback) == (UpgradeKind.AUTOMATIC, True)

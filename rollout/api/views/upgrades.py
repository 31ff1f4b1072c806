"""OS upgrades: start (M1), cancel (M2, U10), the latest status (M2) and the history (H1)."""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api import lro
from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.paging import page
from rollout.api.views.common import scale_set_of
from rollout.models import AsyncOperationKind, StartedBy
from rollout.services.upgrades.operations import cancel_upgrade, start_os_upgrade
from rollout.services.upgrades.reads import history_item, os_upgrade_history, rolling_upgrade_status


def start_os_rolling_upgrade(call: ApiCall) -> HttpResponse:
    """M1: 202 and an ``Azure-AsyncOperation`` that stays InProgress while the upgrade runs."""
    scale_set = scale_set_of(call)
    upgrade = start_os_upgrade(
        scale_set, started_by=StartedBy.USER, actor=call.user, reason="POST osRollingUpgrade"
    )
    operation = lro.record(
        call,
        AsyncOperationKind.OS_ROLLING_UPGRADE,
        scale_set.location.name,
        scale_set.arm_id,
        scale_set=scale_set,
        upgrade=upgrade,
    )
    return lro.accepted(call, operation)


def cancel_rolling_upgrade(call: ApiCall) -> HttpResponse:
    """U10: the current batch finishes; the operation ends when the upgrade has stopped."""
    scale_set = scale_set_of(call)
    upgrade = cancel_upgrade(scale_set, actor=call.user, reason="POST rollingUpgrades/cancel")
    operation = lro.record(
        call,
        AsyncOperationKind.CANCEL_ROLLING_UPGRADE,
        scale_set.location.name,
        scale_set.arm_id,
        scale_set=scale_set,
        upgrade=upgrade,
    )
    return lro.accepted(call, operation)


def latest_rolling_upgrade(call: ApiCall) -> HttpResponse:
    return json_response(rolling_upgrade_status(scale_set_of(call)))


def os_upgrade_history_view(call: ApiCall) -> HttpResponse:
    """H1: the last five upgrades of the last two months, newest first, paged."""
    operations = os_upgrade_history(scale_set_of(call))
    return json_response(page(call, operations, "history", history_item))

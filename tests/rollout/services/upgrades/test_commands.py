"""The CLI verbs: rolling_upgrade, os_upgrade_history, preview_upgrade (B1, B6, H1, M2)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rollout.models import Event, EventKind, RunningStatus, UpgradeOperation
from rollout.tasks.upgrades import advance_once

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def scale_set_args(scale_set) -> list[str]:
    return ["-g", scale_set.resource_group.name, "-n", scale_set.name]


def test_b1_preview_upgrade_prints_every_batch_and_the_expected_duration(web10):
    output = run("preview_upgrade", *scale_set_args(web10))
    assert "10 instances to 22.04.202611110" in output
    assert output.count("\n") > 10
    assert "Expected duration" in output
    assert "T2: zones one after another" in output


def test_m1_start_records_the_user_and_reason_and_get_latest_shows_azure_shape(web10):
    run("rolling_upgrade", "start", *scale_set_args(web10), "--reason", "monthly")
    event = Event.objects.get(kind=EventKind.UPGRADE_STARTED)
    assert (event.actor_name, event.reason) == ("command line", "monthly")
    latest = json.loads(run("rolling_upgrade", "get_latest", *scale_set_args(web10)))
    assert latest["type"] == "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"
    assert latest["properties"]["runningStatus"]["code"] == "RollingForward"
    assert latest["properties"]["runningStatus"]["lastAction"] == "Start"


def test_m2_cancel_without_an_upgrade_is_refused_with_a_clear_message(web10):
    with pytest.raises(CommandError, match="OperationNotAllowed: There is no OS upgrade"):
        run("rolling_upgrade", "cancel", *scale_set_args(web10))


def test_unknown_scale_sets_are_refused_with_arm_codes(web10):
    with pytest.raises(CommandError, match="ResourceNotFound"):
        run("rolling_upgrade", "get_latest", "-g", web10.resource_group.name, "-n", "nope")
    with pytest.raises(CommandError, match="ResourceGroupNotFound"):
        run("rolling_upgrade", "get_latest", "-g", "nope", "-n", "web10")


def test_b5_pause_and_resume_are_recorded_with_who_and_why(web10):
    run("rolling_upgrade", "start", *scale_set_args(web10))
    run("rolling_upgrade", "pause", *scale_set_args(web10), "--reason", "freeze")
    with pytest.raises(CommandError, match="already paused"):
        run("rolling_upgrade", "pause", *scale_set_args(web10))
    run("rolling_upgrade", "resume", *scale_set_args(web10), "--reason", "thaw")
    reasons = list(
        Event.objects.filter(kind__in=[EventKind.PAUSE_REQUESTED, EventKind.RESUMED]).values_list(
            "reason", flat=True
        )
    )
    assert reasons == ["freeze", "thaw"]


def test_b6_wait_exits_non_zero_when_the_upgrade_faulted(web10, settings, monkeypatch):
    """The wait loop sees the end the engine writes; a faulted upgrade exits 1."""
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    from rollout.management.commands import _upgrade_cli

    def fault_it(operation, out, **kwargs):
        UpgradeOperation.objects.filter(pk=operation.pk).update(
            status=RunningStatus.FAULTED,
            error_code="MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
        )
        return original(operation, out, interval=0.01)

    original = _upgrade_cli.wait_for
    monkeypatch.setattr("rollout.management.commands.rolling_upgrade.wait_for", fault_it)
    with pytest.raises(SystemExit) as exited:
        run("rolling_upgrade", "start", *scale_set_args(web10), "--wait")
    assert exited.value.code == 1


def test_b6_wait_follows_a_rollout_to_its_end_with_plain_lines(web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    run("rolling_upgrade", "start", *scale_set_args(web10))
    operation = UpgradeOperation.objects.get()
    now = timezone.now()
    for _ in range(500):
        recheck = advance_once(operation.pk, now)
        if recheck is None:
            break
        now = max(now, recheck)
    from rollout.management.commands._upgrade_cli import wait_for

    out = StringIO()
    assert wait_for(operation, out, interval=0.01, timeout=5) == 0
    assert out.getvalue().splitlines()[0].startswith("Completed: 10 batches, 10/10")


def test_h1_history_lists_upgrades_newest_first_and_as_json(web10):
    run("rolling_upgrade", "start", *scale_set_args(web10))
    text = run("os_upgrade_history", *scale_set_args(web10))
    assert "RollingForward" in text and "User" in text
    data = json.loads(run("os_upgrade_history", *scale_set_args(web10), "--json"))
    item = data["value"][0]
    assert item["properties"]["startedBy"] == "User"
    assert item["properties"]["targetImageReference"]["version"] == "22.04.202611110"
    assert "rollbackInfo" in item["properties"]

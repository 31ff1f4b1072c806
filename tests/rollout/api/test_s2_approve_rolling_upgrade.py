"""S2 over ARM and over the rows: osRollingUpgradeDeferral, approveRollingUpgrade (scale set,
with or without instanceIds, and per VM), the audit, an approval that never comes, cancel."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from rollout.models import (
    Event,
    EventKind,
    InstanceUpgradeState,
    RunningStatus,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.approvals import approve_rolling_upgrade, awaiting_approval
from rollout.services.upgrades.operations import cancel_upgrade, start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.api.conftest import VMSS, error_of
from tests.rollout.conftest import automatic

pytestmark = pytest.mark.django_db
State = InstanceUpgradeState


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


@pytest.fixture
def deferred(web10):
    scale_set = automatic(web10)
    scale_set.os_rolling_upgrade_deferral = True
    scale_set.save()
    return scale_set


def step_until_quiet(operation: UpgradeOperation, now: datetime) -> datetime:
    """Step as the worker does until the operation ends or asks for no look (it waits)."""
    for _ in range(500):
        recheck = advance_once(operation.pk, now)
        operation.refresh_from_db()
        if not operation.is_active or recheck is None:
            return now
        now = max(now, recheck)
    raise AssertionError("the upgrade never settled")


def states(operation: UpgradeOperation) -> dict[str, str]:
    return {
        str(row.instance.instance_id): row.state
        for row in operation.instance_upgrades.select_related("instance")
    }


def test_s2_the_first_batch_waits_for_approval_and_says_so(deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    waiting = awaiting_approval(deferred)
    assert waiting and all(states(operation)[i] == State.AWAITING_APPROVAL for i in waiting)
    assert operation.next_look_at is None  # no polling: the approval wakes it
    assert operation.status == RunningStatus.ROLLING_FORWARD
    assert any("waits for approval of" in reason for reason in operation.reasons)
    assert operation.pending_instance_count == 10  # Azure: not upgraded yet
    assert not deferred.instances.filter(reimage_started_at__isnull=False).exists()


def test_s2_approving_reimages_them_and_the_audit_says_who(deferred, operator):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    now = step_until_quiet(operation, now)
    waiting = awaiting_approval(deferred)
    approved = approve_rolling_upgrade(deferred, actor=operator, reason="maintenance ok", now=now)
    assert approved == waiting
    event = Event.objects.get(kind=EventKind.UPGRADE_APPROVED)
    assert (event.actor_name, event.reason, event.data["instances"]) == (
        "operator",
        "maintenance ok",
        waiting,
    )
    step_until_quiet(operation, now)
    assert all(states(operation)[i] == State.SUCCEEDED for i in waiting)


def test_s2_u10_cancel_while_waiting_releases_the_unapproved(deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    now = step_until_quiet(operation, now)
    waiting = awaiting_approval(deferred)
    cancel_upgrade(deferred, reason="not today")
    step_until_quiet(operation, timezone.now())
    assert operation.status == RunningStatus.CANCELLED
    assert all(states(operation)[i] == State.SKIPPED for i in waiting)
    assert not deferred.instances.filter(reimage_started_at__isnull=False).exists()


def test_s2_approve_over_arm_for_the_scale_set_some_ids_and_one_vm(arm, deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    waiting = awaiting_approval(deferred)
    first, *rest = waiting
    response = arm("POST", f"{VMSS}/web10/virtualMachines/{first}/approveRollingUpgrade")
    assert response.status_code == 202, response.content
    assert "Azure-AsyncOperation" in response
    if rest:
        response = arm("POST", f"{VMSS}/web10/approveRollingUpgrade", {"instanceIds": rest})
        assert response.status_code == 202, response.content
    assert awaiting_approval(deferred) == []
    # Nothing left to approve: 409, nothing changed.
    response = arm("POST", f"{VMSS}/web10/approveRollingUpgrade")
    assert response.status_code == 409
    assert error_of(response)["code"] == "OperationNotAllowed"


def test_s2_approve_without_a_body_approves_every_waiting_instance(arm, deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    response = arm("POST", f"{VMSS}/web10/approveRollingUpgrade")
    assert response.status_code == 202, response.content
    assert awaiting_approval(deferred) == []


def test_s2_approving_an_unknown_instance_is_refused_and_changes_nothing(arm, deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    before = awaiting_approval(deferred)
    response = arm("POST", f"{VMSS}/web10/approveRollingUpgrade", {"instanceIds": ["77"]})
    assert response.status_code == 400
    assert error_of(response)["target"] == "instanceIds"
    assert awaiting_approval(deferred) == before
    assert not Event.objects.filter(kind=EventKind.UPGRADE_APPROVED).exists()


def test_s2_a_reader_may_not_approve(viewer_arm, deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    response = viewer_arm("POST", f"{VMSS}/web10/approveRollingUpgrade")
    assert response.status_code == 403
    assert error_of(response)["code"] == "AuthorizationFailed"


def imds(arm, instance_id: str, **kwargs):
    return arm(
        "GET", f"{VMSS}/web10/virtualMachines/{instance_id}/metadata/instance/compute", **kwargs
    )


def test_s2_the_simulated_imds_shows_the_pending_upgrade_until_approved(arm, deferred):
    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    now = step_until_quiet(operation, now)
    first = awaiting_approval(deferred)[0]
    response = arm.client.get(
        f"{VMSS}/web10/virtualMachines/{first}/metadata/instance/compute?api-version=2024-07-01",
        headers={"Authorization": f"Bearer {arm.token}", "Metadata": "true"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    pending = [tag for tag in data["tagsList"] if tag["name"] == "Platform.PendingOSUpgrade"]
    assert pending and pending[0]["value"] == operation.target_image_version
    assert "Platform.PendingOSUpgrade:" in data["tags"]
    others = [i for i in range(10) if str(i) not in awaiting_approval(deferred)]
    quiet = arm.client.get(
        f"{VMSS}/web10/virtualMachines/{others[0]}/metadata/instance/compute?api-version=2024-07-01",
        headers={"Authorization": f"Bearer {arm.token}", "Metadata": "true"},
    ).json()
    assert not any(tag["name"] == "Platform.PendingOSUpgrade" for tag in quiet["tagsList"])
    approve_rolling_upgrade(deferred, [first], now=now)
    step_until_quiet(operation, now)
    after = arm.client.get(
        f"{VMSS}/web10/virtualMachines/{first}/metadata/instance/compute?api-version=2024-07-01",
        headers={"Authorization": f"Bearer {arm.token}", "Metadata": "true"},
    ).json()
    assert not any(tag["name"] == "Platform.PendingOSUpgrade" for tag in after["tagsList"])


def test_s2_the_simulated_imds_wants_the_metadata_header(arm, deferred):
    response = imds(arm, "0")
    assert response.status_code == 400


def test_s2_rolling_upgrade_approve_on_the_command_line(deferred):
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    operation = start_os_upgrade(deferred, started_by=StartedBy.PLATFORM, now=now)
    step_until_quiet(operation, now)
    first = awaiting_approval(deferred)[0]
    out = StringIO()
    call_command(
        "rolling_upgrade",
        "approve",
        "-g",
        "rg-test",
        "-n",
        "web10",
        "--instance-ids",
        first,
        "--reason",
        "drained",
        stdout=out,
    )
    assert f"Approved the OS upgrade of {first}." in out.getvalue()
    assert first not in awaiting_approval(deferred)
    event = Event.objects.get(kind=EventKind.UPGRADE_APPROVED)
    assert (event.actor_name, event.reason) == ("command line", "drained")

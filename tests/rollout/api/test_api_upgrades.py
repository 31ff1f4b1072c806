"""OS upgrades over ARM: osRollingUpgrade (M1), cancel and latest (M2), history (H1), and the
async operation status resource that follows an upgrade until it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.api import paging
from rollout.models import AsyncOperation, RunningStatus, StartedBy, UpgradeOperation
from tests.rollout.api.conftest import SUBSCRIPTION, VMSS, body_of, error_of

pytestmark = pytest.mark.django_db


def start(arm, name: str = "web10"):
    response = arm("POST", f"{VMSS}/{name}/osRollingUpgrade")
    assert response.status_code == 202, response.content
    return response


def status_path(response) -> str:
    path: str = response["Azure-AsyncOperation"].removeprefix("http://testserver")
    return path


def end(operation: UpgradeOperation, status: str, code: str = "", message: str = "") -> None:
    operation.status = status
    operation.ended_at = timezone.now()
    operation.error_code, operation.error_message = code, message
    operation.save()


def test_m1_os_rolling_upgrade_answers_202_with_async_operation_location_and_retry_after(
    arm, web10
):
    """Every 202 carries Azure-AsyncOperation, Location (?monitor=true) and Retry-After, as
    the real service answers osRollingUpgrade (issue 12)."""
    response = start(arm)
    assert response.content == b""
    assert "/providers/Microsoft.Compute/locations/westeurope/operations/" in status_path(response)
    assert response["Location"].startswith(response["Azure-AsyncOperation"].split("?")[0])
    assert "monitor=true" in response["Location"]
    assert int(response["Retry-After"]) >= 1
    operation = UpgradeOperation.objects.get()
    assert (operation.started_by, operation.started_by_user.username) == (
        StartedBy.USER,
        "operator",
    )


def test_m1_the_async_operation_stays_in_progress_while_the_upgrade_runs(arm, web10):
    status = body_of(arm("GET", status_path(start(arm)), version=None))
    assert status["status"] == "InProgress"
    assert "endTime" not in status
    assert set(status) == {"name", "status", "startTime"}


@pytest.mark.parametrize("ended", [RunningStatus.COMPLETED, RunningStatus.CANCELLED])
def test_m1_the_async_operation_succeeds_when_the_upgrade_completes_or_is_cancelled(
    arm, web10, ended
):
    path = status_path(start(arm))
    end(UpgradeOperation.objects.get(), ended)
    status = body_of(arm("GET", path, version=None))
    assert status["status"] == "Succeeded"
    assert status["endTime"].endswith("+00:00")


def test_m1_the_async_operation_fails_with_the_upgrades_error_when_it_faulted(arm, web10):
    path = status_path(start(arm))
    end(
        UpgradeOperation.objects.get(),
        RunningStatus.FAULTED,
        "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
        "3 of 10 upgraded instances are unhealthy (30% > 20%).",
    )
    status = body_of(arm("GET", path, version=None))
    assert status["status"] == "Failed"
    assert status["error"] == {
        "code": "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
        "message": "3 of 10 upgraded instances are unhealthy (30% > 20%).",
    }


def test_the_location_monitor_answers_202_while_running_and_200_once_done(arm, web10):
    path = status_path(start(arm))
    monitor = path.replace("?api-version", "?monitor=true&api-version")
    running = arm("GET", monitor, version=None)
    assert running.status_code == 202
    assert "monitor=true" in running["Location"]
    end(UpgradeOperation.objects.get(), RunningStatus.COMPLETED)
    done = arm("GET", monitor, version=None)
    assert (done.status_code, done.content) == (200, b"")


def test_m1_a_second_start_while_one_runs_is_409_conflict(arm, web10):
    start(arm)
    response = arm("POST", f"{VMSS}/web10/osRollingUpgrade")
    assert response.status_code == 409
    assert error_of(response)["code"] == "Conflict"
    assert UpgradeOperation.objects.count() == 1
    assert AsyncOperation.objects.count() == 1


def test_m2_latest_reports_the_running_upgrade(arm, web10):
    start(arm)
    latest = body_of(arm("GET", f"{VMSS}/web10/rollingUpgrades/latest"))
    assert latest["type"] == "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"
    assert latest["location"] == "westeurope"
    assert latest["properties"]["runningStatus"]["code"] == "RollingForward"
    assert latest["properties"]["runningStatus"]["lastAction"] == "Start"
    assert set(latest["properties"]["progress"]) == {
        "successfulInstanceCount",
        "failedInstanceCount",
        "inProgressInstanceCount",
        "pendingInstanceCount",
    }
    assert latest["properties"]["policy"]["maxBatchInstancePercent"] == 20


def test_m2_latest_without_any_upgrade_is_404(arm, web10):
    assert arm("GET", f"{VMSS}/web10/rollingUpgrades/latest").status_code == 404


def test_m2_cancel_answers_202_and_its_operation_ends_with_the_upgrade(arm, web10):
    start(arm)
    response = arm("POST", f"{VMSS}/web10/rollingUpgrades/cancel")
    assert response.status_code == 202
    operation = UpgradeOperation.objects.get()
    assert operation.cancel_requested is True
    path = status_path(response)
    assert body_of(arm("GET", path, version=None))["status"] == "InProgress"
    end(operation, RunningStatus.CANCELLED)
    assert body_of(arm("GET", path, version=None))["status"] == "Succeeded"
    latest = body_of(arm("GET", f"{VMSS}/web10/rollingUpgrades/latest"))
    assert latest["properties"]["runningStatus"]["lastAction"] == "Cancel"


def test_m2_cancel_without_a_running_upgrade_is_refused(arm, web10):
    response = arm("POST", f"{VMSS}/web10/rollingUpgrades/cancel")
    assert response.status_code == 409
    assert error_of(response)["code"] == "OperationNotAllowed"
    assert AsyncOperation.objects.count() == 0


def test_h1_history_is_paged_with_next_link(arm, web10, monkeypatch):
    monkeypatch.setitem(paging.PAGE_SIZES, "history", 2)
    now = timezone.now()
    for days in range(6):
        UpgradeOperation.objects.create(
            scale_set=web10,
            kind="manual",
            started_by=StartedBy.USER,
            target_image_version=f"1.0.{days}",
            target_image_reference={"version": f"1.0.{days}"},
            location="westeurope",
            status=RunningStatus.COMPLETED,
            last_action_at=now - timedelta(days=days),
            started_at=now - timedelta(days=days),
            ended_at=now - timedelta(days=days) + timedelta(minutes=5),
        )
    seen: list[str] = []
    path = f"{VMSS}/web10/osUpgradeHistory?api-version=2026-04-01"
    pages = 0
    while path:
        page = body_of(arm("GET", path, version=None))
        pages += 1
        seen += [item["properties"]["targetImageReference"]["version"] for item in page["value"]]
        path = page.get("nextLink", "").removeprefix("http://testserver")
        assert not path or "api-version=2026-04-01" in path
    assert pages == 3
    assert seen == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"]


def test_h1_history_items_have_azures_shape(arm, web10):
    start(arm)
    end(UpgradeOperation.objects.get(), RunningStatus.COMPLETED)
    item = body_of(arm("GET", f"{VMSS}/web10/osUpgradeHistory"))["value"][0]
    assert item["type"] == "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"
    running = item["properties"]["runningStatus"]
    assert running["code"] == "Completed"
    assert running["endTime"] == running["completedTime"]
    assert item["properties"]["startedBy"] == "User"
    assert set(item["properties"]["rollbackInfo"]) == {
        "successfullyRolledbackInstanceCount",
        "failedRolledbackInstanceCount",
    }


def test_an_unknown_operation_is_404(arm, web10):
    location = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/westeurope"
    for operation_id in ("not-a-uuid", "3f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10"):
        response = arm("GET", f"{location}/operations/{operation_id}")
        assert response.status_code == 404


def test_an_operation_is_only_found_under_its_own_subscription(arm, web10):
    path = status_path(start(arm))
    other = path.replace(SUBSCRIPTION, "11111111-1111-1111-1111-111111111111")
    assert arm("GET", other, version=None).status_code == 404


def test_the_operation_status_needs_an_api_version_too(arm, web10):
    path = status_path(start(arm)).split("?")[0]
    response = arm("GET", path, version=None)
    assert error_of(response)["code"] == "MissingApiVersionParameter"

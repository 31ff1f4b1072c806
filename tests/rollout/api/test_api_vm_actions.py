"""Issue 12 B through the API: instance actions, instance protection, scale-in rules, userData,
etags and conditional writes, and the long-running-operation headers of every 202."""

from __future__ import annotations

import base64

import pytest

from rollout.models import (
    AsyncOperation,
    DiskState,
    Event,
    EventKind,
    HealthState,
    InstanceUpgrade,
    PowerState,
    ScaleSet,
)
from rollout.services.scale_sets.vm_actions import EMPTY_DISK
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.preview import preview_upgrade
from tests.rollout.api.conftest import VMSS, body_of, error_of, row_counts, scale_set_body
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION

pytestmark = pytest.mark.django_db

WEB10 = f"{VMSS}/web10"
USER_DATA = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()


def protect(arm, instance_id: int, **policy: bool):
    return arm(
        "PUT",
        f"{WEB10}/virtualMachines/{instance_id}",
        {"properties": {"protectionPolicy": policy}},
    )


def assert_accepted(arm, response) -> dict:
    """202, no body, the three headers; the status resource has succeeded."""
    assert response.status_code == 202, response.content
    assert response.content == b""
    operation_url = response["Azure-AsyncOperation"]
    assert "/providers/Microsoft.Compute/locations/westeurope/operations/" in operation_url
    assert "monitor=true" in response["Location"]
    assert int(response["Retry-After"]) >= 1
    path = operation_url.removeprefix("http://testserver")
    status = body_of(arm("GET", path, version=None))
    assert status["status"] == "Succeeded"
    monitor = arm("GET", response["Location"].removeprefix("http://testserver"), version=None)
    assert monitor.status_code == 200
    return status


def test_reimage_chosen_instances_gives_a_new_os_disk_and_keeps_id_and_data_disks(arm, web10):
    vm = web10.instances.get(instance_id=3)
    old_disk, data = vm.os_disk, list(vm.data_disks.values_list("lun", "checksum"))

    response = arm("POST", f"{WEB10}/reimage", {"instanceIds": ["3", "5"]})

    assert_accepted(arm, response)
    vm.refresh_from_db()
    assert vm.instance_id == 3 and vm.os_disk_id != old_disk.pk
    assert vm.image_version == OLD_VERSION  # `latest`: the version the VM runs
    assert list(vm.data_disks.values_list("lun", "checksum")) == data
    old_disk.refresh_from_db()
    assert old_disk.state == DiskState.DELETED
    untouched = web10.instances.get(instance_id=4)
    assert untouched.os_disks.count() == 1
    event = Event.objects.get(kind=EventKind.INSTANCE_ACTION)
    assert (event.data["action"], event.data["instance_ids"]) == ("reimage", [3, 5])
    assert event.actor_name == "operator"


def test_reimage_takes_a_pinned_model_version_or_exact_version(arm, web10):
    ScaleSet.objects.filter(pk=web10.pk).update(image_version=NEW_VERSION)
    assert_accepted(arm, arm("POST", f"{WEB10}/virtualMachines/1/reimage"))
    assert web10.instances.get(instance_id=1).image_version == NEW_VERSION

    body = {"instanceIds": ["2"], "exactVersion": OLD_VERSION}
    assert_accepted(arm, arm("POST", f"{WEB10}/reimage", body))
    assert web10.instances.get(instance_id=2).image_version == OLD_VERSION

    refused = arm("POST", f"{WEB10}/reimage", {"instanceIds": ["2"], "exactVersion": "9.9.9"})
    assert refused.status_code == 400


def test_reimageall_empties_the_data_disks_too(arm, web10):
    assert_accepted(arm, arm("POST", f"{WEB10}/reimageall", {"instanceIds": ["0"]}))
    checksums = set(
        web10.instances.get(instance_id=0).data_disks.values_list("checksum", flat=True)
    )
    assert checksums == {EMPTY_DISK}
    assert EMPTY_DISK not in web10.instances.get(instance_id=1).data_disks.values_list(
        "checksum", flat=True
    )


def test_reimage_without_a_body_reimages_every_instance(arm, web10):
    assert_accepted(arm, arm("POST", f"{WEB10}/reimage"))
    assert all(vm.os_disks.count() == 2 for vm in web10.instances.all())


def test_unknown_instance_ids_are_refused_and_nothing_changes(arm, web10):
    before = row_counts()
    response = arm("POST", f"{WEB10}/reimage", {"instanceIds": ["3", "42"]})
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidParameter"
    assert "42" in error_of(response)["message"]
    assert row_counts() == before
    assert web10.instances.get(instance_id=3).os_disks.count() == 1


def test_an_instance_mid_upgrade_cannot_be_reimaged_or_deleted(arm, web10):
    operation = start_os_upgrade(web10, reason="test")
    vm = web10.instances.get(instance_id=0)
    InstanceUpgrade.objects.update_or_create(
        operation=operation, instance=vm, defaults={"state": "reimaging"}
    )
    for verb in ("reimage", "delete"):
        response = arm("POST", f"{WEB10}/{verb}", {"instanceIds": ["0"]})
        assert response.status_code == 409
        assert error_of(response)["code"] == "Conflict"


def test_delete_instances_removes_them_and_drops_capacity(arm, web10):
    assert_accepted(arm, arm("POST", f"{WEB10}/delete", {"instanceIds": ["2", "7"]}))
    for instance_id in (2, 7):
        gone = arm("GET", f"{WEB10}/virtualMachines/{instance_id}")
        assert gone.status_code == 404
        assert error_of(gone)["code"] == "ResourceNotFound"
    assert body_of(arm("GET", WEB10))["sku"]["capacity"] == 8
    assert web10.instances.count() == 8


def test_delete_of_one_vm_by_its_own_path(arm, web10):
    assert_accepted(arm, arm("DELETE", f"{WEB10}/virtualMachines/9"))
    assert arm("GET", f"{WEB10}/virtualMachines/9").status_code == 404
    assert ScaleSet.objects.get(pk=web10.pk).capacity == 9


def test_delete_instances_needs_instance_ids(arm, web10):
    response = arm("POST", f"{WEB10}/delete", {})
    assert response.status_code == 400
    assert web10.instances.count() == 10


def capacity(arm, value: int):
    return arm("PATCH", WEB10, {"sku": {"capacity": value}})


@pytest.mark.parametrize(
    ("rule", "removed"),
    [("Default", {9, 8}), ("NewestVM", {9, 8}), ("OldestVM", {0, 2})],
)
def test_scale_in_policy_rules_decide_which_vms_a_capacity_decrease_removes(
    arm, web10, rule, removed
):
    """web10's zones: 1 holds 0, 3, 6, 9; 2 holds 1, 4, 7; 3 holds 2, 5, 8 (zone balance
    first; ties go to the later zone). Created in id order, so the newest are the highest ids."""
    zones = dict(web10.instances.values_list("instance_id", "zone"))
    patched = arm("PATCH", WEB10, {"properties": {"scaleInPolicy": {"rules": [rule]}}})
    assert patched.status_code == 200
    assert body_of(patched)["properties"]["scaleInPolicy"]["rules"] == [rule]
    assert capacity(arm, 8).status_code == 200
    left = set(web10.instances.values_list("instance_id", flat=True))
    assert set(range(10)) - left == removed, zones


def test_scale_in_never_removes_a_protected_vm(arm, web10):
    assert protect(arm, 9, protectFromScaleIn=True).status_code == 200
    assert protect(arm, 8, protectFromScaleSetActions=True).status_code == 200
    assert capacity(arm, 8).status_code == 200
    left = set(web10.instances.values_list("instance_id", flat=True))
    assert {8, 9} <= left and len(left) == 8


def test_scale_in_refuses_when_too_many_vms_are_protected(arm, tiny3):
    for instance_id in (0, 1):
        arm(
            "PUT",
            f"{VMSS}/tiny3/virtualMachines/{instance_id}",
            {"properties": {"protectionPolicy": {"protectFromScaleIn": True}}},
        )
    response = arm("PATCH", f"{VMSS}/tiny3", {"sku": {"capacity": 1}})
    assert response.status_code == 409
    assert error_of(response)["code"] == "OperationNotAllowed"
    assert ScaleSet.objects.get(pk=tiny3.pk).capacity == 3
    assert tiny3.instances.count() == 3


def test_protection_policy_is_set_per_vm_and_shown(arm, web10):
    response = protect(arm, 4, protectFromScaleIn=True, protectFromScaleSetActions=True)
    assert response.status_code == 200
    assert "Azure-AsyncOperation" in response
    policy = body_of(arm("GET", f"{WEB10}/virtualMachines/4"))["properties"]["protectionPolicy"]
    assert policy == {"protectFromScaleIn": True, "protectFromScaleSetActions": True}
    event = Event.objects.get(kind=EventKind.INSTANCE_UPDATED)
    assert event.data["instance_ids"] == [4]
    patched = arm(
        "PATCH",
        f"{WEB10}/virtualMachines/4",
        {"properties": {"protectionPolicy": {"protectFromScaleSetActions": False}}},
    )
    assert body_of(patched)["properties"]["protectionPolicy"] == {
        "protectFromScaleIn": True,
        "protectFromScaleSetActions": False,
    }


def test_a_protected_vm_is_left_out_of_scale_set_actions_but_not_its_own(arm, web10):
    protect(arm, 1, protectFromScaleSetActions=True)
    assert_accepted(arm, arm("POST", f"{WEB10}/reimage", {"instanceIds": ["0", "1"]}))
    assert web10.instances.get(instance_id=1).os_disks.count() == 1
    assert web10.instances.get(instance_id=0).os_disks.count() == 2
    event = Event.objects.get(kind=EventKind.INSTANCE_ACTION)
    assert (event.data["instance_ids"], event.data["protected"]) == ([0], [1])

    assert_accepted(arm, arm("POST", f"{WEB10}/virtualMachines/1/reimage"))
    assert web10.instances.get(instance_id=1).os_disks.count() == 2


def test_a_protected_vm_is_left_out_of_model_updates_and_os_upgrades(arm, web10):
    protect(arm, 2, protectFromScaleSetActions=True)
    ScaleSet.objects.filter(pk=web10.pk).update(model_version=2)
    assert_accepted(arm, arm("POST", f"{WEB10}/manualupgrade", {"instanceIds": ["1", "2"]}))
    assert web10.instances.get(instance_id=2).model_version == 1
    assert web10.instances.get(instance_id=1).model_version == 2

    preview = preview_upgrade(ScaleSet.objects.get(pk=web10.pk))
    assert "2" in preview.plan.skipped
    assert all("2" not in batch.instance_ids for batch in preview.plan.batches)
    assert any("Instance protection" in reason for reason in preview.plan.reasons)


@pytest.mark.parametrize(
    ("verb", "state"),
    [("powerOff", PowerState.STOPPED), ("deallocate", PowerState.DEALLOCATED)],
)
def test_u8_a_stopped_or_deallocated_vm_is_unhealthy(arm, web10, verb, state):
    assert_accepted(arm, arm("POST", f"{WEB10}/{verb}", {"instanceIds": ["6"]}))
    vm = web10.instances.get(instance_id=6)
    assert vm.power_state == state
    view = body_of(arm("GET", f"{WEB10}/virtualMachines/6/instanceView"))
    assert view["statuses"][1]["code"] == f"PowerState/{state}"
    assert view["vmHealth"]["status"]["code"] == "HealthState/unhealthy"

    assert_accepted(arm, arm("POST", f"{WEB10}/virtualMachines/6/start"))
    vm.refresh_from_db()
    assert (vm.power_state, vm.health_state) == (PowerState.RUNNING, HealthState.HEALTHY)


def test_restart_of_a_deallocated_vm_is_refused(arm, web10):
    arm("POST", f"{WEB10}/virtualMachines/3/deallocate")
    response = arm("POST", f"{WEB10}/virtualMachines/3/restart")
    assert response.status_code == 409
    assert error_of(response)["code"] == "OperationNotAllowed"
    assert web10.instances.get(instance_id=3).power_state == PowerState.DEALLOCATED


def test_power_off_without_instance_ids_stops_every_unprotected_vm(arm, web10):
    protect(arm, 0, protectFromScaleSetActions=True)
    assert_accepted(arm, arm("POST", f"{WEB10}/powerOff", query="skipShutdown=false"))
    states = dict(web10.instances.values_list("instance_id", "power_state"))
    assert states.pop(0) == PowerState.RUNNING
    assert set(states.values()) == {PowerState.STOPPED}


def test_user_data_is_returned_only_with_expand(arm, web10):
    body = scale_set_body()
    body["properties"]["virtualMachineProfile"]["userData"] = USER_DATA
    assert arm("PUT", f"{VMSS}/ud", body).status_code == 201
    assert (
        "userData" not in body_of(arm("GET", f"{VMSS}/ud"))["properties"]["virtualMachineProfile"]
    )
    expanded = body_of(arm("GET", f"{VMSS}/ud", query="$expand=userData"))
    assert expanded["properties"]["virtualMachineProfile"]["userData"] == USER_DATA
    vm = body_of(arm("GET", f"{VMSS}/ud/virtualMachines/0", query="$expand=userData"))
    assert vm["properties"]["userData"] == USER_DATA
    assert "userData" not in body_of(arm("GET", f"{VMSS}/ud/virtualMachines/0"))["properties"]

    mine = base64.b64encode(b"only vm 1").decode()
    arm("PUT", f"{VMSS}/ud/virtualMachines/1", {"properties": {"userData": mine}})
    vm1 = body_of(arm("GET", f"{VMSS}/ud/virtualMachines/1", query="$expand=userData"))
    assert vm1["properties"]["userData"] == mine


def test_user_data_must_be_base64(arm, web10):
    response = arm(
        "PATCH",
        WEB10,
        {"properties": {"virtualMachineProfile": {"userData": "not base64!"}}},
    )
    assert response.status_code == 400


def test_etag_changes_with_the_resource_and_if_match_guards_writes(arm, web10):
    read = arm("GET", WEB10)
    etag = body_of(read)["etag"]
    assert read["ETag"] == etag
    tags = {"tags": {"team": "web"}}
    updated = arm.client.patch(
        f"{WEB10}?api-version=2026-04-01",
        data=tags,
        content_type="application/json",
        headers={"Authorization": f"Bearer {arm.token}", "If-Match": etag},
    )
    assert updated.status_code == 200
    new_etag = body_of(arm("GET", WEB10))["etag"]
    assert new_etag != etag

    before = row_counts()
    stale = arm.client.patch(
        f"{WEB10}?api-version=2026-04-01",
        data={"tags": {"team": "other"}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {arm.token}", "If-Match": etag},
    )
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "PreconditionFailed"
    assert row_counts() == before
    assert body_of(arm("GET", WEB10))["tags"] == {"team": "web"}


def test_if_none_match_star_refuses_to_overwrite_an_existing_scale_set(arm, web10):
    put = arm.client.put(
        f"{WEB10}?api-version=2026-04-01",
        data=scale_set_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {arm.token}", "If-None-Match": "*"},
    )
    assert put.status_code == 412
    assert error_of(put)["code"] == "PreconditionFailed"
    created = arm.client.put(
        f"{VMSS}/fresh?api-version=2026-04-01",
        data=scale_set_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {arm.token}", "If-None-Match": "*"},
    )
    assert created.status_code == 201


def test_a_vm_etag_guards_its_protection_policy(arm, web10):
    etag = body_of(arm("GET", f"{WEB10}/virtualMachines/5"))["etag"]
    protect(arm, 5, protectFromScaleIn=True)
    stale = arm.client.put(
        f"{WEB10}/virtualMachines/5?api-version=2026-04-01",
        data={"properties": {"protectionPolicy": {"protectFromScaleIn": False}}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {arm.token}", "If-Match": etag},
    )
    assert stale.status_code == 412
    assert web10.instances.get(instance_id=5).protect_from_scale_in is True


def test_r1_a_reader_may_not_act_on_instances(viewer_arm, web10):
    for method, path in (
        ("POST", f"{WEB10}/reimage"),
        ("POST", f"{WEB10}/virtualMachines/0/powerOff"),
        ("PUT", f"{WEB10}/virtualMachines/0"),
    ):
        response = viewer_arm(method, path, {"properties": {}} if method == "PUT" else None)
        assert response.status_code == 403, path
        assert error_of(response)["code"] == "AuthorizationFailed"
    assert AsyncOperation.objects.count() == 0


def test_the_grid_and_history_say_a_protected_vm_was_left_out(arm, web10, client, operator):
    """The plan marks it skipped for protection (not T6); the history page counts it."""
    from orchestrator.model import InstanceUpgradeState
    from rollout.dashboard.live import scale_set_snapshot
    from rollout.engine.apply import PROTECTED_REASON
    from rollout.tasks.upgrades import advance

    protect(arm, 4, protectFromScaleSetActions=True)
    ScaleSet.objects.filter(pk=web10.pk).update(image_version="latest")
    operation = start_os_upgrade(web10, reason="test")
    advance(operation.pk)  # plans the batches
    row = InstanceUpgrade.objects.get(operation=operation, instance__instance_id=4)
    assert (row.state, row.failure_reason) == (InstanceUpgradeState.SKIPPED, PROTECTED_REASON)
    cell = next(c for c in scale_set_snapshot(web10)["instances"] if c["id"] == "4")
    assert cell["protected"] is True and cell["reason"] == PROTECTED_REASON

    client.force_login(operator)
    page = client.get(f"/scale-sets/{web10.pk}/history/").content.decode()
    assert "1 protected, left out" in page


def test_a_running_operations_status_says_when_to_poll_again(arm, web10, settings):
    """Retry-After while InProgress: ARM's 10 s divided by the time scale, at least 1 s."""
    settings.ROLLWRIGHT_TIME_SCALE = 2
    started = arm("POST", f"{WEB10}/osRollingUpgrade")
    assert started["Retry-After"] == "5"
    path = started["Azure-AsyncOperation"].removeprefix("http://testserver")
    polled = arm("GET", path, version=None)
    assert body_of(polled)["status"] == "InProgress"
    assert polled["Retry-After"] == "5"
    monitor = arm("GET", started["Location"].removeprefix("http://testserver"), version=None)
    assert (monitor.status_code, monitor["Retry-After"]) == (202, "5")


def test_the_openapi_description_covers_every_new_operation(arm):
    from rollout.api.openapi import document

    operations = {
        spec["operationId"]
        for item in document()["paths"].values()
        for spec in item.values()
        if isinstance(spec, dict) and "operationId" in spec
    }
    for verb in ("Reimage", "ReimageAll", "Start", "PowerOff", "Restart", "Deallocate"):
        assert f"VirtualMachineScaleSets_{verb}" in operations
        assert f"VirtualMachineScaleSetVMs_{verb}" in operations
    for name in (
        "VirtualMachineScaleSets_DeleteInstances",
        "VirtualMachineScaleSetVMs_Update",
        "VirtualMachineScaleSetVMs_Delete",
    ):
        assert name in operations

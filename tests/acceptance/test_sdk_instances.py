"""Acceptance (issue 12 B): azure-mgmt-compute, unchanged, drives the rest of the scale set API
against the real server: reimage and reimage-all, delete_instances and scale-in rules, instance
protection, power, userData, etags, and the headers of every 202.

Azure's behaviour as documented: REST reference of VirtualMachineScaleSets and
VirtualMachineScaleSetVMs (api-version 2026-04-01, azure-rest-api-specs
``specification/compute/.../VirtualMachineScaleSet.tsp``); "Instance Protection for Azure
Virtual Machine Scale Set instances" and "Use custom scale-in policies" (learn.microsoft.com).
"""

from __future__ import annotations

import base64

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from rollout.models import Instance
from tests.acceptance.conftest import (
    NEW_VERSION,
    OLD_VERSION,
    RESOURCE_GROUP,
    Stack,
    World,
    compute_client,
)
from tests.acceptance.test_sdk_acceptance import create, scale_set

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

USER_DATA = base64.b64encode(b"#cloud-config\nruncmd: [echo hi]\n").decode()


@pytest.fixture
def client(stack: Stack, world: World) -> ComputeManagementClient:
    return compute_client(stack, world.token)


def ids(*numbers: int) -> m.VirtualMachineScaleSetVMInstanceIDs:
    return m.VirtualMachineScaleSetVMInstanceIDs(instance_ids=[str(n) for n in numbers])


def initial_headers(poller) -> dict[str, str]:
    """The headers of the 202 that started the long-running operation (names in lower case)."""
    headers = poller.polling_method()._initial_response.http_response.headers
    return {name.lower(): value for name, value in headers.items()}


def os_disks(name: str, instance_id: int) -> int:
    return Instance.objects.get(scale_set__name=name, instance_id=instance_id).os_disks.count()


def test_reimage_and_reimage_all_keep_the_vm_and_answer_202_with_three_headers(
    client: ComputeManagementClient, world: World
):
    create(client, "web", scale_set(world, capacity=3))
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms
    before = vms.get(RESOURCE_GROUP, "web", "1")

    poller = sets.begin_reimage(
        RESOURCE_GROUP, "web", m.VirtualMachineScaleSetReimageParameters(instance_ids=["1"])
    )
    headers = initial_headers(poller)
    assert poller.result() is None
    assert poller.status() == "Succeeded"
    assert {"azure-asyncoperation", "location", "retry-after"} <= set(headers)
    after = vms.get(RESOURCE_GROUP, "web", "1")
    assert (after.instance_id, after.vm_id) == (before.instance_id, before.vm_id)
    assert after.storage_profile.os_disk.name != before.storage_profile.os_disk.name
    assert after.storage_profile.image_reference.exact_version == (
        before.storage_profile.image_reference.exact_version
    )
    assert os_disks("web", 0) == 1

    assert sets.begin_reimage_all(RESOURCE_GROUP, "web", ids(0, 2)).result() is None
    assert vms.begin_reimage(RESOURCE_GROUP, "web", "0").result() is None
    assert vms.begin_reimage_all(RESOURCE_GROUP, "web", "1").result() is None
    assert [os_disks("web", n) for n in (0, 1, 2)] == [3, 3, 2]


def test_delete_instances_and_scale_in_policy(client: ComputeManagementClient, world: World):
    model = scale_set(world, capacity=5)
    model.scale_in_policy = m.ScaleInPolicy(rules=["OldestVM"])
    created = create(client, "web", model)
    assert created.scale_in_policy.rules == ["OldestVM"]
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms

    poller = sets.begin_delete_instances(
        RESOURCE_GROUP, "web", m.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["4"])
    )
    assert "location" in initial_headers(poller)
    assert poller.result() is None
    with pytest.raises(ResourceNotFoundError):
        vms.get(RESOURCE_GROUP, "web", "4")
    assert sets.get(RESOURCE_GROUP, "web").sku.capacity == 4

    # OldestVM, zones balanced: zone 1 holds 0 and 3; the oldest there (0) goes first.
    update = m.VirtualMachineScaleSetUpdate(sku=m.Sku(capacity=3))
    assert sets.begin_update(RESOURCE_GROUP, "web", update).result().sku.capacity == 3
    assert sorted(vm.instance_id for vm in vms.list(RESOURCE_GROUP, "web")) == ["1", "2", "3"]

    assert vms.begin_delete(RESOURCE_GROUP, "web", "2").result() is None
    assert sets.get(RESOURCE_GROUP, "web").sku.capacity == 2


def test_protection_policy_leaves_a_vm_out_of_scale_set_actions_and_os_upgrades(
    client: ComputeManagementClient, world: World
):
    create(client, "web", scale_set(world, capacity=3, version=OLD_VERSION))
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms
    vm = vms.get(RESOURCE_GROUP, "web", "1")
    vm.protection_policy = m.VirtualMachineScaleSetVMProtectionPolicy(
        protect_from_scale_in=True, protect_from_scale_set_actions=True
    )
    updated = vms.begin_update(RESOURCE_GROUP, "web", "1", vm).result()
    assert updated.protection_policy.protect_from_scale_set_actions is True

    sets.begin_reimage_all(RESOURCE_GROUP, "web").result()
    assert [os_disks("web", n) for n in (0, 1, 2)] == [2, 1, 2]

    to_latest = m.VirtualMachineScaleSetUpdate(
        virtual_machine_profile=m.VirtualMachineScaleSetUpdateVMProfile(
            storage_profile=m.VirtualMachineScaleSetUpdateStorageProfile(
                image_reference=m.ImageReference(version="latest")
            )
        )
    )
    sets.begin_update(RESOURCE_GROUP, "web", to_latest).result()
    upgrades = client.virtual_machine_scale_set_rolling_upgrades
    assert upgrades.begin_start_os_upgrade(RESOURCE_GROUP, "web").result() is None
    latest = upgrades.get_latest(RESOURCE_GROUP, "web")
    assert latest.running_status.code == "Completed"
    versions = {
        vm.instance_id: vm.storage_profile.image_reference.exact_version
        for vm in vms.list(RESOURCE_GROUP, "web")
    }
    assert versions == {"0": NEW_VERSION, "1": OLD_VERSION, "2": NEW_VERSION}

    # The user's own action on the VM is not blocked.
    assert vms.begin_reimage(RESOURCE_GROUP, "web", "1").result() is None
    assert os_disks("web", 1) == 2


def test_u8_power_actions_and_a_stopped_vm_reads_unhealthy(
    client: ComputeManagementClient, world: World
):
    create(client, "web", scale_set(world, capacity=3))
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms

    sets.begin_power_off(RESOURCE_GROUP, "web", ids(0), skip_shutdown=False).result()
    vms.begin_deallocate(RESOURCE_GROUP, "web", "2").result()
    codes = {}
    for vm in vms.list(RESOURCE_GROUP, "web", expand="instanceView"):
        view = vm.instance_view
        power = next(s.code for s in view.statuses if s.code.startswith("PowerState/"))
        codes[vm.instance_id] = (power, view.vm_health.status.code)
    assert codes == {
        "0": ("PowerState/stopped", "HealthState/unhealthy"),
        "1": ("PowerState/running", "HealthState/healthy"),
        "2": ("PowerState/deallocated", "HealthState/unhealthy"),
    }

    with pytest.raises(HttpResponseError) as refused:
        vms.begin_restart(RESOURCE_GROUP, "web", "2")
    assert refused.value.status_code == 409
    sets.begin_start(RESOURCE_GROUP, "web").result()
    sets.begin_restart(RESOURCE_GROUP, "web", ids(1)).result()
    view = vms.get_instance_view(RESOURCE_GROUP, "web", "2")
    assert "PowerState/running" in [s.code for s in view.statuses]


def test_user_data_is_returned_only_with_expand(client: ComputeManagementClient, world: World):
    model = scale_set(world, capacity=2)
    model.virtual_machine_profile.user_data = USER_DATA
    create(client, "web", model)
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms

    assert sets.get(RESOURCE_GROUP, "web").virtual_machine_profile.user_data is None
    expanded = sets.get(RESOURCE_GROUP, "web", expand="userData")
    assert expanded.virtual_machine_profile.user_data == USER_DATA
    assert vms.get(RESOURCE_GROUP, "web", "0").user_data is None
    assert vms.get(RESOURCE_GROUP, "web", "0", expand="userData").user_data == USER_DATA


def test_etags_and_conditional_writes(client: ComputeManagementClient, world: World):
    create(client, "web", scale_set(world, capacity=2))
    sets, vms = client.virtual_machine_scale_sets, client.virtual_machine_scale_set_vms
    etag = sets.get(RESOURCE_GROUP, "web").etag
    assert etag

    tagged = m.VirtualMachineScaleSetUpdate(tags={"team": "web"})
    sets.begin_update(
        RESOURCE_GROUP, "web", tagged, etag=etag, match_condition=MatchConditions.IfNotModified
    ).result()
    assert sets.get(RESOURCE_GROUP, "web").etag != etag

    with pytest.raises(ResourceModifiedError) as stale:
        sets.begin_update(
            RESOURCE_GROUP,
            "web",
            m.VirtualMachineScaleSetUpdate(tags={"team": "other"}),
            etag=etag,
            match_condition=MatchConditions.IfNotModified,
        )
    assert stale.value.status_code == 412
    assert stale.value.error.code == "PreconditionFailed"
    assert sets.get(RESOURCE_GROUP, "web").tags == {"team": "web"}

    with pytest.raises(ResourceExistsError) as exists:
        sets.begin_create_or_update(
            RESOURCE_GROUP,
            "web",
            scale_set(world, capacity=2),
            match_condition=MatchConditions.IfMissing,
        )
    assert exists.value.status_code == 412

    vm = vms.get(RESOURCE_GROUP, "web", "0")
    assert vm.etag
    vm.protection_policy = m.VirtualMachineScaleSetVMProtectionPolicy(protect_from_scale_in=True)
    vms.begin_update(RESOURCE_GROUP, "web", "0", vm).result()
    with pytest.raises(ResourceModifiedError):
        vms.begin_update(
            RESOURCE_GROUP,
            "web",
            "0",
            vm,
            etag=vm.etag,
            match_condition=MatchConditions.IfNotModified,
        )

"""S2 acceptance: azure-mgmt-compute, unchanged, approves a deferred automatic OS upgrade.

The scale set asks for ``osRollingUpgradeDeferral`` through the SDK; the platform's automatic
upgrade is started server-side (as a release would); the SDK then approves one VM
(``virtual_machine_scale_set_vms.begin_approve_rolling_upgrade``) and the rest through the
scale set (``virtual_machine_scale_sets.begin_approve_rolling_upgrade`` with instance ids,
then without), and the upgrade completes.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from rollout.models import ScaleSet, StartedBy, UpgradeOperation
from rollout.services.upgrades.approvals import awaiting_approval
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.acceptance.conftest import OLD_VERSION, RESOURCE_GROUP, Stack, World, compute_client
from tests.acceptance.test_sdk_acceptance import create, scale_set, wait_for

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client(stack: Stack, world: World) -> ComputeManagementClient:
    return compute_client(stack, world.token)


def test_s2_the_sdk_approves_a_deferred_upgrade_vm_by_vm_and_for_the_scale_set(client, world):
    create(client, "deferred", scale_set(world, capacity=5, version=OLD_VERSION))
    client.virtual_machine_scale_sets.begin_update(
        RESOURCE_GROUP,
        "deferred",
        m.VirtualMachineScaleSetUpdate(
            upgrade_policy=m.UpgradePolicy(
                automatic_os_upgrade_policy=m.AutomaticOSUpgradePolicy(
                    enable_automatic_os_upgrade=True, os_rolling_upgrade_deferral=True
                )
            ),
            virtual_machine_profile=m.VirtualMachineScaleSetUpdateVMProfile(
                storage_profile=m.VirtualMachineScaleSetUpdateStorageProfile(
                    image_reference=m.ImageReference(version="latest")
                )
            ),
        ),
    ).result()
    read = client.virtual_machine_scale_sets.get(RESOURCE_GROUP, "deferred")
    assert read.upgrade_policy.automatic_os_upgrade_policy.os_rolling_upgrade_deferral is True

    row = ScaleSet.objects.get(name="deferred")
    operation = start_os_upgrade(row, started_by=StartedBy.PLATFORM)
    # This process's wake-ups do not reach the stack's worker (its broker is its own): the
    # first steps (plan, first batch, notices) run here; the approvals below go through the
    # server, whose wake-ups reach the worker.
    for _ in range(10):
        if advance_once(operation.pk) is None:
            break
    assert awaiting_approval(row)
    upgrades = client.virtual_machine_scale_set_rolling_upgrades
    assert upgrades.get_latest(RESOURCE_GROUP, "deferred").running_status.code == "RollingForward"

    approved = 0
    while approved < 5:
        wait_for(lambda: bool(awaiting_approval(row)) or _ended(row), timeout=60)
        waiting = awaiting_approval(row)
        if not waiting:
            break
        if approved == 0:
            client.virtual_machine_scale_set_vms.begin_approve_rolling_upgrade(
                RESOURCE_GROUP, "deferred", waiting[0]
            ).result()
        elif approved == 1:
            client.virtual_machine_scale_sets.begin_approve_rolling_upgrade(
                RESOURCE_GROUP,
                "deferred",
                m.VirtualMachineScaleSetVMInstanceIDs(instance_ids=waiting),
            ).result()
        else:
            client.virtual_machine_scale_sets.begin_approve_rolling_upgrade(
                RESOURCE_GROUP, "deferred"
            ).result()
        approved += len(waiting)

    wait_for(lambda: _ended(row), timeout=60)
    latest = upgrades.get_latest(RESOURCE_GROUP, "deferred")
    assert latest.running_status.code == "Completed"
    assert latest.progress.successful_instance_count == 5
    with pytest.raises(HttpResponseError):  # nothing awaits approval any more: 409
        client.virtual_machine_scale_sets.begin_approve_rolling_upgrade(
            RESOURCE_GROUP, "deferred"
        ).result()


def _ended(row: ScaleSet) -> bool:
    operation = UpgradeOperation.objects.filter(scale_set=row).order_by("-pk").first()
    return operation is not None and operation.ended_at is not None

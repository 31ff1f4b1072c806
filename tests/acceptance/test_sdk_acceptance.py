"""Acceptance: azure-mgmt-compute, unchanged, drives a whole upgrade against the real server.

Everything after seeding the catalogue goes through ``ComputeManagementClient`` pointed at a
daphne subprocess, with a real Celery worker running the rollout (ROLLWRIGHT_TIME_SCALE=600).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from tests.acceptance.conftest import (
    CENTOS,
    NEW_VERSION,
    OLD_VERSION,
    RESOURCE_GROUP,
    UBUNTU,
    WINDOWS,
    Stack,
    World,
    compute_client,
)

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

APP_HEALTH = m.VirtualMachineScaleSetExtension(
    name="HealthExtension",
    publisher="Microsoft.ManagedServices",
    type="ApplicationHealthLinux",
    type_handler_version="2.0",
    settings={"protocol": "http", "port": 80, "requestPath": "/health"},
)
ENABLE = m.VirtualMachineScaleSetUpdate(
    upgrade_policy=m.UpgradePolicy(
        automatic_os_upgrade_policy=m.AutomaticOSUpgradePolicy(enable_automatic_os_upgrade=True)
    )
)


def scale_set(
    world: World,
    *,
    capacity: int = 3,
    image: dict[str, str] | None = None,
    version: str = "latest",
    probe: bool = True,
    extensions: list[m.VirtualMachineScaleSetExtension] | None = None,
    os_profile: m.VirtualMachineScaleSetOSProfile | None = None,
    single_placement_group: bool = True,
    pause: str = "PT0S",
    basic_probe: bool = False,
) -> m.VirtualMachineScaleSet:
    health_probe = world.basic_probe if basic_probe else world.probe
    return m.VirtualMachineScaleSet(
        location="westeurope",
        sku=m.Sku(name="Standard_D2s_v3", tier="Standard", capacity=capacity),
        zones=["1", "2", "3"],
        single_placement_group=single_placement_group,
        upgrade_policy=m.UpgradePolicy(
            mode="Manual",
            rolling_upgrade_policy=m.RollingUpgradePolicy(pause_time_between_batches=pause),
        ),
        virtual_machine_profile=m.VirtualMachineScaleSetVMProfile(
            os_profile=os_profile or m.VirtualMachineScaleSetOSProfile(computer_name_prefix="web"),
            storage_profile=m.VirtualMachineScaleSetStorageProfile(
                image_reference=m.ImageReference(**(image or UBUNTU), version=version)
            ),
            network_profile=m.VirtualMachineScaleSetNetworkProfile(
                health_probe=m.ApiEntityReference(id=health_probe.arm_id) if probe else None
            ),
            extension_profile=m.VirtualMachineScaleSetExtensionProfile(extensions=extensions)
            if extensions
            else None,
        ),
    )


def create(client: ComputeManagementClient, name: str, model: m.VirtualMachineScaleSet) -> Any:
    return client.virtual_machine_scale_sets.begin_create_or_update(
        RESOURCE_GROUP, name, model
    ).result()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def client(stack: Stack, world: World) -> ComputeManagementClient:
    return compute_client(stack, world.token)


@pytest.fixture
def eligible(world: World) -> m.VirtualMachineScaleSet:
    """3 Ubuntu 22.04 VMs in 3 zones behind a Standard probe: E2 has nothing to refuse."""
    return scale_set(world)


def test_e1_create_a_scale_set_and_enable_automatic_os_upgrade(client, eligible):
    created = create(client, "web", eligible)
    assert created.provisioning_state == "Succeeded"
    assert created.sku.capacity == 3
    policy = created.upgrade_policy
    assert policy.mode == m.UpgradeMode.MANUAL
    assert policy.rolling_upgrade_policy.max_batch_instance_percent == 20
    assert policy.automatic_os_upgrade_policy.enable_automatic_os_upgrade is False

    updated = client.virtual_machine_scale_sets.begin_update(RESOURCE_GROUP, "web", ENABLE).result()

    assert updated.upgrade_policy.automatic_os_upgrade_policy.enable_automatic_os_upgrade is True
    read = client.virtual_machine_scale_sets.get(RESOURCE_GROUP, "web")
    assert read.upgrade_policy.automatic_os_upgrade_policy.enable_automatic_os_upgrade is True
    names = [s.name for s in client.virtual_machine_scale_sets.list(RESOURCE_GROUP)]
    assert names == ["web"]


E2_REFUSALS: dict[str, tuple[Callable[[World], m.VirtualMachineScaleSet], str, str]] = {
    "pinned_version": (
        lambda w: scale_set(w, version=OLD_VERSION),
        "version set to 'latest'",
        "imageReference.version",
    ),
    "unsupported_sku": (
        lambda w: scale_set(w, image=CENTOS),
        "Platform Image",
        "imageReference.sku",
    ),
    "no_health_source": (
        lambda w: scale_set(w, probe=False),
        "health probe or health extension was not specified",
        "networkProfile.healthProbe.id",
    ),
    "probe_and_extension": (
        lambda w: scale_set(w, extensions=[APP_HEALTH]),
        "both a health probe and a health extension",
        "networkProfile.healthProbe.id",
    ),
    "basic_probe_with_several_placement_groups": (
        lambda w: scale_set(w, basic_probe=True, single_placement_group=False),
        "Standard load balancer",
        "networkProfile.healthProbe.id",
    ),
    "automatic_by_platform_patching": (
        lambda w: scale_set(
            w,
            os_profile=m.VirtualMachineScaleSetOSProfile(
                linux_configuration=m.LinuxConfiguration(
                    patch_settings=m.LinuxPatchSettings(patch_mode="AutomaticByPlatform")
                )
            ),
        ),
        "AutomaticByPlatform",
        "patchSettings.patchMode",
    ),
    "windows_automatic_updates": (
        lambda w: scale_set(
            w,
            image=WINDOWS,
            os_profile=m.VirtualMachineScaleSetOSProfile(
                windows_configuration=m.WindowsConfiguration(enable_automatic_updates=True)
            ),
        ),
        "enableAutomaticUpdates cannot be set to true",
        "windowsConfiguration.enableAutomaticUpdates",
    ),
}


@pytest.mark.parametrize("case", sorted(E2_REFUSALS))
def test_e2_every_refusal_is_a_typed_sdk_error(client, world, case):
    build, words, target = E2_REFUSALS[case]
    create(client, "refused", build(world))

    with pytest.raises(HttpResponseError) as refused:
        client.virtual_machine_scale_sets.begin_update(RESOURCE_GROUP, "refused", ENABLE)

    assert refused.value.status_code == 400
    assert refused.value.error.code == "BadRequest"
    assert words in refused.value.error.message
    assert refused.value.error.target.endswith(target)
    read = client.virtual_machine_scale_sets.get(RESOURCE_GROUP, "refused")
    assert read.upgrade_policy.automatic_os_upgrade_policy.enable_automatic_os_upgrade is False


def test_e2_an_api_version_before_2018_10_01_is_refused(client, eligible):
    create(client, "web", eligible)
    with pytest.raises(HttpResponseError) as refused:
        client.virtual_machine_scale_sets.begin_update(
            RESOURCE_GROUP, "web", ENABLE, api_version="2018-06-01"
        )
    assert refused.value.status_code == 400
    assert refused.value.error.code == "InvalidApiVersionParameter"
    assert "2026-04-01" in refused.value.error.message


def test_auth_a_revoked_or_wrong_token_is_a_client_authentication_error(stack, world):
    stranger = compute_client(stack, "rwt_000000000000_" + "x" * 43)
    with pytest.raises(ClientAuthenticationError) as refused:
        stranger.virtual_machine_scale_sets.get(RESOURCE_GROUP, "web")
    assert refused.value.error.code == "AuthenticationFailed"


def test_auth_a_viewer_reads_but_cannot_write(client, stack, world, eligible):
    create(client, "web", eligible)
    viewer = compute_client(stack, world.viewer_token)
    assert viewer.virtual_machine_scale_sets.get(RESOURCE_GROUP, "web").name == "web"
    with pytest.raises(HttpResponseError) as refused:
        viewer.virtual_machine_scale_sets.begin_update(RESOURCE_GROUP, "web", ENABLE)
    assert refused.value.status_code == 403
    assert refused.value.error.code == "AuthorizationFailed"


def test_h2_image_versions_are_listed_with_top_and_orderby(client):
    images = client.virtual_machine_images
    versions = images.list("westeurope", UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"])
    assert [v.name for v in versions] == [OLD_VERSION, NEW_VERSION]
    newest = images.list(
        "westeurope",
        UBUNTU["publisher"],
        UBUNTU["offer"],
        UBUNTU["sku"],
        top=1,
        orderby="name desc",
    )
    assert [(v.name, v.location) for v in newest] == [(NEW_VERSION, "westeurope")]
    skus = images.list_skus("westeurope", CENTOS["publisher"], CENTOS["offer"])
    assert [s.name for s in skus] == [CENTOS["sku"]]


def test_e5_a_pinned_manual_scale_set_keeps_its_version_until_upgraded(client, world):
    create(client, "pinned", scale_set(world, version=OLD_VERSION))
    reference = m.ImageReference(version="latest")
    client.virtual_machine_scale_sets.begin_update(
        RESOURCE_GROUP,
        "pinned",
        m.VirtualMachineScaleSetUpdate(
            virtual_machine_profile=m.VirtualMachineScaleSetUpdateVMProfile(
                storage_profile=m.VirtualMachineScaleSetUpdateStorageProfile(
                    image_reference=reference
                )
            )
        ),
    ).result()

    vms = list(client.virtual_machine_scale_set_vms.list(RESOURCE_GROUP, "pinned"))
    assert {vm.latest_model_applied for vm in vms} == {False}
    assert {vm.storage_profile.image_reference.exact_version for vm in vms} == {OLD_VERSION}

    client.virtual_machine_scale_sets.begin_update_instances(
        RESOURCE_GROUP, "pinned", m.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0"])
    ).result()
    first = client.virtual_machine_scale_set_vms.get(RESOURCE_GROUP, "pinned", "0")
    assert first.latest_model_applied is True


def test_m1_start_an_os_upgrade_and_wait_for_it_with_the_poller(client, world):
    create(client, "web", scale_set(world, capacity=5, version=OLD_VERSION))
    client.virtual_machine_scale_sets.begin_update(
        RESOURCE_GROUP,
        "web",
        m.VirtualMachineScaleSetUpdate(
            virtual_machine_profile=m.VirtualMachineScaleSetUpdateVMProfile(
                storage_profile=m.VirtualMachineScaleSetUpdateStorageProfile(
                    image_reference=m.ImageReference(version="latest")
                )
            )
        ),
    ).result()
    upgrades = client.virtual_machine_scale_set_rolling_upgrades

    poller = upgrades.begin_start_os_upgrade(RESOURCE_GROUP, "web")
    running = upgrades.get_latest(RESOURCE_GROUP, "web")
    assert running.running_status.code in ("RollingForward", "Completed")
    assert running.running_status.last_action == "Start"
    assert poller.result() is None

    after = upgrades.get_latest(RESOURCE_GROUP, "web")
    assert after.running_status.code == "Completed"
    assert after.progress.successful_instance_count == 5
    assert after.progress.pending_instance_count == 0
    vms = client.virtual_machine_scale_set_vms.list(RESOURCE_GROUP, "web", expand="instanceView")
    for vm in vms:
        assert vm.storage_profile.image_reference.exact_version == NEW_VERSION
        assert vm.instance_view.vm_health.status.code == "HealthState/healthy"
    history = list(client.virtual_machine_scale_sets.get_os_upgrade_history(RESOURCE_GROUP, "web"))
    assert [(h.properties.running_status.code, h.properties.started_by) for h in history] == [
        ("Completed", "User")
    ]
    assert history[0].properties.target_image_reference.version == NEW_VERSION
    assert history[0].properties.running_status.end_time is not None

    with pytest.raises(HttpResponseError):  # nothing left to cancel
        upgrades.begin_cancel(RESOURCE_GROUP, "web").result()


def test_m2_cancel_an_upgrade_mid_way(client, world):
    create(client, "big", scale_set(world, capacity=10, version=OLD_VERSION, pause="PT10M"))
    client.virtual_machine_scale_sets.begin_update(
        RESOURCE_GROUP,
        "big",
        m.VirtualMachineScaleSetUpdate(
            virtual_machine_profile=m.VirtualMachineScaleSetUpdateVMProfile(
                storage_profile=m.VirtualMachineScaleSetUpdateStorageProfile(
                    image_reference=m.ImageReference(version="latest")
                )
            )
        ),
    ).result()
    upgrades = client.virtual_machine_scale_set_rolling_upgrades
    started = upgrades.begin_start_os_upgrade(RESOURCE_GROUP, "big")
    with pytest.raises(ResourceExistsError):  # one upgrade at a time: 409 Conflict
        upgrades.begin_start_os_upgrade(RESOURCE_GROUP, "big")
    wait_for(
        lambda: upgrades.get_latest(RESOURCE_GROUP, "big").progress.successful_instance_count > 0
    )

    assert upgrades.begin_cancel(RESOURCE_GROUP, "big").result() is None
    assert started.result() is None  # a cancelled upgrade's operation ends Succeeded

    latest = upgrades.get_latest(RESOURCE_GROUP, "big")
    assert latest.running_status.code == "Cancelled"
    assert latest.running_status.last_action == "Cancel"
    assert 0 < latest.progress.successful_instance_count < 10
    history = list(client.virtual_machine_scale_sets.get_os_upgrade_history(RESOURCE_GROUP, "big"))
    assert history[0].properties.running_status.code == "Cancelled"


def test_delete_a_scale_set_with_the_poller(client, eligible):
    create(client, "web", eligible)
    assert client.virtual_machine_scale_sets.begin_delete(RESOURCE_GROUP, "web").result() is None
    with pytest.raises(ResourceNotFoundError):
        client.virtual_machine_scale_sets.get(RESOURCE_GROUP, "web")


def test_t4_publish_a_gallery_image_version_to_target_regions(client):
    galleries = client.galleries
    galleries.begin_create_or_update(
        RESOURCE_GROUP, "gallery", m.Gallery(location="westeurope")
    ).result()
    client.gallery_images.begin_create_or_update(
        RESOURCE_GROUP,
        "gallery",
        "web",
        m.GalleryImage(
            location="westeurope",
            os_type="Linux",
            os_state="Generalized",
            identifier=m.GalleryImageIdentifier(publisher="Contoso", offer="Web", sku="one"),
        ),
    ).result()

    version = client.gallery_image_versions.begin_create_or_update(
        RESOURCE_GROUP,
        "gallery",
        "web",
        "1.0.0",
        m.GalleryImageVersion(
            location="westeurope",
            publishing_profile=m.GalleryImageVersionPublishingProfile(
                target_regions=[m.TargetRegion(name="westeurope", regional_replica_count=2)]
            ),
        ),
    ).result()

    assert version.provisioning_state == "Succeeded"
    read = client.gallery_image_versions.get(
        RESOURCE_GROUP, "gallery", "web", "1.0.0", expand="ReplicationStatus"
    )
    summary = read.replication_status.summary
    assert [(s.region, s.state, s.progress) for s in summary] == [("westeurope", "Replicating", 0)]
    listed = client.gallery_image_versions.list_by_gallery_image(RESOURCE_GROUP, "gallery", "web")
    assert [v.name for v in listed] == ["1.0.0"]

"""A1 through azure-cli 2.91 itself, over TLS: the seed's commands, unchanged but for names,
after the README's set-up only (``az config set core.instance_discovery=false``, ``az cloud
register -n Rollwright --endpoint-resource-manager https://host:port/``, ``az cloud set``,
``az login --service-principal``), against daphne serving ``ensure_tls_cert``'s certificate
and a Celery worker, on the demo fleet.

Each command runs with ``-o json``: az parses every answer with its own schemas (AAZ), so a
shape it cannot read fails the command (as the extensions' top-level ``type`` once did).
``az vmss reimage`` and ``delete-instances`` drive part B's routes (12 B) on batch-6.
"""

from __future__ import annotations

from typing import Any

import pytest

from rollout.demo.fleet import DEMO_SUBSCRIPTION
from rollout.models import Event, EventKind, Instance, ScaleSet
from tests.azcli.conftest import CLOUD, Served, SignedIn, set_up
from tests.support.azcli import Az

pytestmark = [pytest.mark.azcli, pytest.mark.slow, pytest.mark.timeout(1200)]

GROUP = "rollwright-demo"


def scale_set_named(django_db_blocker: Any, name: str) -> ScaleSet:
    with django_db_blocker.unblock():
        return ScaleSet.objects.get(resource_group__name=GROUP, name=name)


def test_a1_cloud_register_needs_only_the_resource_manager(az: Az, served: Served) -> None:
    cloud = az.json("cloud", "show", "-n", CLOUD)
    endpoints = cloud["endpoints"]
    assert cloud["isActive"] is True
    assert endpoints["resourceManager"] == served.resource_manager
    assert endpoints["activeDirectory"] == served.resource_manager  # the server signs in
    assert endpoints["activeDirectoryResourceId"] == "https://management.core.windows.net/"


def test_a1_login_as_a_service_principal_lists_the_subscription(
    signed_in: SignedIn, served: Served
) -> None:
    (account,) = signed_in.accounts
    assert account["id"] == DEMO_SUBSCRIPTION
    assert account["tenantId"] == served.robot.tenant
    assert account["cloudName"] == CLOUD
    assert account["user"] == {"name": served.robot.app_id, "type": "servicePrincipal"}
    assert account["state"] == "Enabled" and account["isDefault"] is True
    token = signed_in.az.json("account", "get-access-token")
    assert token["tenant"] == served.robot.tenant and token["accessToken"]


def test_a1_vmss_list_and_show_read_every_scale_set_of_the_group(az: Az) -> None:
    listed = az.json("vmss", "list", "-g", GROUP)
    names = {row["name"] for row in listed}
    assert {"web-10", "solo-1", "fleet-1000", "jobs-sas"} <= names
    solo = az.json("vmss", "show", "-g", GROUP, "-n", "solo-1")
    (extension,) = solo["virtualMachineProfile"]["extensionProfile"]["extensions"]
    # az flattened the handler's properties into the extension: one "type", the handler's.
    assert extension["name"] == "HealthExtension"
    assert extension["type"] == "ApplicationHealthLinux"
    web = az.json("vmss", "show", "--resource-group", GROUP, "--name", "web-10")
    assert web["sku"]["capacity"] == 10 and web["zones"] == ["1", "2", "3"]


def test_a1_vmss_list_instances_and_instance_views(az: Az) -> None:
    instances = az.json("vmss", "list-instances", "-g", GROUP, "-n", "web-10")
    assert sorted(int(row["instanceId"]) for row in instances) == list(range(10))
    assert all(row["provisioningState"] == "Succeeded" for row in instances)
    view = az.json("vmss", "get-instance-view", "-g", GROUP, "-n", "web-10")
    summary = {row["code"]: row["count"] for row in view["virtualMachine"]["statusesSummary"]}
    assert summary["PowerState/running"] == 10
    one = az.json("vmss", "get-instance-view", "-g", GROUP, "-n", "web-10", "--instance-id", "3")
    assert one["platformUpdateDomain"] in range(5)
    assert any(status["code"].startswith("PowerState/") for status in one["statuses"])


def test_a1_vmss_update_set_enables_automatic_os_upgrade(
    az: Az, served: Served, django_db_blocker: Any
) -> None:
    answer = az.json(
        "vmss", "update", "--name", "web-10", "--resource-group", GROUP,
        "--set", "upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade=true",
    )  # fmt: skip
    assert answer["upgradePolicy"]["automaticOSUpgradePolicy"]["enableAutomaticOSUpgrade"] is True
    web = scale_set_named(django_db_blocker, "web-10")
    assert web.enable_automatic_os_upgrade is True
    with django_db_blocker.unblock():
        enabled = Event.objects.filter(scale_set=web, kind=EventKind.ENABLED).last()
    assert enabled is not None  # the audit entry (B7), by the service principal
    assert enabled.actor_name in ("az-suite", served.robot.app_id)


def test_a1_the_seeds_capitalised_set_is_refused_by_az_itself(
    az: Az, django_db_blocker: Any
) -> None:
    """az 2.91's ``--set`` matches property names case-sensitively, before sending anything."""
    before = scale_set_named(django_db_blocker, "api-5")
    refused = az.fails(
        "vmss", "update", "--name", "api-5", "--resource-group", GROUP,
        "--set", "UpgradePolicy.AutomaticOSUpgradePolicy.EnableAutomaticOSUpgrade=true",
    )  # fmt: skip
    assert "Couldn't find 'UpgradePolicy'" in refused.stderr
    after = scale_set_named(django_db_blocker, "api-5")
    assert after.enable_automatic_os_upgrade == before.enable_automatic_os_upgrade


def test_a1_vm_image_list_all_reads_versions_with_architecture(az: Az) -> None:
    images = az.json(
        "vm", "image", "list", "--location", "westus", "--publisher", "Canonical",
        "--offer", "UbuntuServer", "--sku", "18.04-LTS", "--all",
    )  # fmt: skip
    assert len(images) == 5
    for image in images:
        assert image["urn"] == f"Canonical:UbuntuServer:18.04-LTS:{image['version']}"
        assert image["architecture"] == "x64"
        assert image["imageDeprecationStatus"] == {"imageState": "Active"}


def test_a1_vm_image_list_without_a_location_asks_the_subscriptions_regions(az: Az) -> None:
    images = az.json("vm", "image", "list", "--publisher", "Canonical", "--offer", "UbuntuServer",
                     "--sku", "18.04-LTS", "--all")  # fmt: skip
    assert images and all(image["publisher"] == "Canonical" for image in images)


def test_a1_group_list_and_the_subscriptions_locations(az: Az) -> None:
    assert GROUP in [group["name"] for group in az.json("group", "list")]
    locations = {row["name"] for row in az.json("account", "list-locations")}
    assert {"westeurope", "westus", "japaneast"} <= locations


def test_a1_rolling_upgrade_start_waits_for_the_end_then_history_has_it(az: Az) -> None:
    subscription = ("--subscription", DEMO_SUBSCRIPTION)
    assert az.json("vmss", "get-os-upgrade-history", "-g", GROUP, "-n", "api-5") == []
    az.run(
        "vmss",
        "rolling-upgrade",
        "start",
        "--resource-group",
        GROUP,
        "--name",
        "api-5",
        *subscription,
    )  # fmt: skip  (long-running: az polls Azure-AsyncOperation to the end)
    latest = az.json("vmss", "rolling-upgrade", "get-latest", "-g", GROUP, "-n", "api-5")
    assert latest["runningStatus"]["code"] == "Completed"
    assert latest["progress"]["successfulInstanceCount"] == 5
    (entry,) = az.json("vmss", "get-os-upgrade-history", "--resource-group", GROUP,
                       "--name", "api-5")  # fmt: skip
    assert entry["properties"]["runningStatus"]["code"] == "Completed"
    assert entry["properties"]["startedBy"] == "User"


def test_a1_rolling_upgrade_cancel_stops_a_running_upgrade(az: Az) -> None:
    az.run("vmss", "rolling-upgrade", "start", "-g", GROUP, "-n", "fleet-1000", "--no-wait")
    running = az.json("vmss", "rolling-upgrade", "get-latest", "-g", GROUP, "-n", "fleet-1000")
    assert running["runningStatus"]["code"] == "RollingForward"
    assert running["runningStatus"]["lastAction"] == "Start"
    az.run("vmss", "rolling-upgrade", "cancel", "-g", GROUP, "-n", "fleet-1000")
    cancelled = az.json("vmss", "rolling-upgrade", "get-latest", "-g", GROUP, "-n", "fleet-1000")
    assert cancelled["runningStatus"]["code"] == "Cancelled"
    assert cancelled["runningStatus"]["lastAction"] == "Cancel"
    assert cancelled["progress"]["pendingInstanceCount"] > 0


def test_a1_a_refusal_reaches_az_in_arms_words(az: Az) -> None:
    """E2: win-iis has Windows' automatic updates on; az prints the code and the message."""
    refused = az.fails(
        "vmss", "update", "-n", "win-iis", "-g", GROUP,
        "--set", "upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade=true",
    )  # fmt: skip
    assert "(BadRequest)" in refused.stderr
    assert "enableAutomaticUpdates" in refused.stderr


def test_a1_the_adfs_style_authority_needs_no_instance_discovery_switch(
    az_executable: Any, served: Served, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cli = Az(az_executable, tmp_path_factory.mktemp("az-adfs"), served.tls.ca)
    accounts = set_up(
        cli,
        served,
        "--endpoint-resource-manager",
        served.resource_manager,
        "--endpoint-active-directory",
        f"{served.stack.url}/adfs",
    )
    assert [account["id"] for account in accounts] == [DEMO_SUBSCRIPTION]
    assert [row["name"] for row in cli.json("vmss", "list", "-g", GROUP, "--query",
                                            "[?name=='web-10']")] == ["web-10"]  # fmt: skip


def test_a1_vmss_reimage_keeps_the_vm_and_gives_it_a_new_os_disk(
    az: Az, django_db_blocker: Any
) -> None:
    """``az vmss reimage --instance-ids`` (long-running: az polls to the end): the VM keeps its
    id and its data disks, and has a new OS disk."""
    batch6 = scale_set_named(django_db_blocker, "batch-6")
    with django_db_blocker.unblock():
        before = Instance.objects.get(scale_set=batch6, instance_id=2).os_disk_id
    az.run("vmss", "reimage", "-g", GROUP, "-n", "batch-6", "--instance-ids", "2")
    with django_db_blocker.unblock():
        after = Instance.objects.get(scale_set=batch6, instance_id=2)
        others = set(
            Instance.objects.filter(scale_set=batch6).exclude(instance_id=2)
            .values_list("os_disk_id", flat=True)
        )  # fmt: skip
    assert after.os_disk_id is not None and after.os_disk_id != before
    assert after.os_disk_id not in others
    instances = az.json("vmss", "list-instances", "-g", GROUP, "-n", "batch-6")
    assert "2" in [row["instanceId"] for row in instances]


def test_a1_vmss_delete_instances_removes_the_vms_and_the_capacity(
    az: Az, django_db_blocker: Any
) -> None:
    before = az.json("vmss", "show", "-g", GROUP, "-n", "batch-6")["sku"]["capacity"]
    az.run("vmss", "delete-instances", "-g", GROUP, "-n", "batch-6", "--instance-ids", "4", "5")
    instances = az.json("vmss", "list-instances", "-g", GROUP, "-n", "batch-6")
    assert {"4", "5"}.isdisjoint(row["instanceId"] for row in instances)
    assert az.json("vmss", "show", "-g", GROUP, "-n", "batch-6")["sku"]["capacity"] == before - 2
    refused = az.fails("vmss", "get-instance-view", "-g", GROUP, "-n", "batch-6",
                       "--instance-id", "4")  # fmt: skip
    assert "ResourceNotFound" in refused.stderr or "NotFound" in refused.stderr

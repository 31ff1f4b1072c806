"""The scale set's VMs: list with $expand/$filter, get, instance views, manualupgrade (E5)."""

from __future__ import annotations

import pytest

from rollout.models import HealthState, PowerState, ScaleSet
from tests.rollout.api.conftest import VMSS, body_of, error_of
from tests.rollout.conftest import OLD_VERSION, UBUNTU

pytestmark = pytest.mark.django_db


def bump_model(scale_set: ScaleSet) -> None:
    ScaleSet.objects.filter(pk=scale_set.pk).update(model_version=2)


def test_list_answers_each_vm_with_its_identity_zone_and_exact_version(arm, web10):
    page = body_of(arm("GET", f"{VMSS}/web10/virtualMachines"))
    assert [vm["instanceId"] for vm in page["value"]] == [str(i) for i in range(10)]
    first = page["value"][0]
    assert first["id"] == f"{VMSS}/web10/virtualMachines/0"
    assert first["name"] == "web10_0"
    assert first["type"] == "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
    assert first["zones"] == ["1"]
    properties = first["properties"]
    assert properties["latestModelApplied"] is True
    assert properties["storageProfile"]["imageReference"] == {
        **UBUNTU,
        "version": "latest",
        "exactVersion": OLD_VERSION,
    }
    assert "instanceView" not in properties


def test_expand_instance_view_gives_statuses_health_and_domains(arm, web10):
    instance = web10.instances.get(instance_id=4)
    instance.health_state = HealthState.UNHEALTHY
    instance.power_state = PowerState.STOPPED
    instance.save()
    page = body_of(arm("GET", f"{VMSS}/web10/virtualMachines", query="$expand=instanceView"))
    view = page["value"][4]["properties"]["instanceView"]
    assert view["platformUpdateDomain"] == instance.update_domain
    assert view["platformFaultDomain"] == instance.fault_domain
    assert [status["code"] for status in view["statuses"]] == [
        "ProvisioningState/succeeded",
        "PowerState/stopped",
    ]
    assert view["statuses"][1]["displayStatus"] == "VM stopped"
    assert view["vmHealth"]["status"]["code"] == "HealthState/unhealthy"


def test_a_scale_set_without_a_health_source_reports_no_vm_health(arm, tiny3):
    view = body_of(arm("GET", f"{VMSS}/tiny3/virtualMachines/0/instanceView"))
    assert "vmHealth" not in view
    assert view["statuses"][1]["code"] == "PowerState/running"


@pytest.mark.parametrize(("wanted", "count"), [("true", 7), ("false", 3)])
def test_e5_the_latest_model_filter_picks_instances(arm, web10, wanted, count):
    bump_model(web10)
    web10.instances.filter(instance_id__lt=7).update(model_version=2)
    page = body_of(
        arm(
            "GET",
            f"{VMSS}/web10/virtualMachines",
            query=f"$filter=properties/latestModelApplied%20eq%20{wanted}",
        )
    )
    assert len(page["value"]) == count


def test_the_power_state_filter_returns_only_power_statuses(arm, tiny3):
    query = "$filter=startswith(instanceView/statuses/code,%20'PowerState')%20eq%20true"
    page = body_of(arm("GET", f"{VMSS}/tiny3/virtualMachines", query=query))
    codes = {
        s["code"] for vm in page["value"] for s in vm["properties"]["instanceView"]["statuses"]
    }
    assert codes == {"PowerState/running"}


def test_an_unsupported_filter_or_expand_is_refused(arm, tiny3):
    response = arm("GET", f"{VMSS}/tiny3/virtualMachines", query="$filter=name%20eq%20'x'")
    assert (response.status_code, error_of(response)["target"]) == (400, "$filter")
    response = arm("GET", f"{VMSS}/tiny3/virtualMachines", query="$expand=everything")
    assert (response.status_code, error_of(response)["target"]) == (400, "$expand")


def test_get_one_vm_with_its_instance_view(arm, web10):
    vm = body_of(arm("GET", f"{VMSS}/web10/virtualMachines/3", query="$expand=instanceView"))
    assert vm["instanceId"] == "3"
    assert vm["properties"]["instanceView"]["vmHealth"]["status"]["code"] == ("HealthState/healthy")


@pytest.mark.parametrize("instance_id", ["99", "abc", "99999999999999"])
def test_an_unknown_instance_is_404(arm, web10, instance_id):
    response = arm("GET", f"{VMSS}/web10/virtualMachines/{instance_id}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "ResourceNotFound"


def test_the_scale_set_instance_view_summarises_statuses(arm, tiny3):
    view = body_of(arm("GET", f"{VMSS}/tiny3/instanceView"))
    assert view["virtualMachine"]["statusesSummary"] == [
        {"code": "PowerState/running", "count": 3},
        {"code": "ProvisioningState/succeeded", "count": 3},
    ]


def test_e5_manualupgrade_brings_the_listed_instances_to_the_latest_model(arm, web10):
    bump_model(web10)
    response = arm("POST", f"{VMSS}/web10/manualupgrade", {"instanceIds": ["0", "1"]})
    assert response.status_code == 202
    assert response.content == b""
    status_url = response["Azure-AsyncOperation"].removeprefix("http://testserver")
    assert body_of(arm("GET", status_url, version=None))["status"] == "Succeeded"
    latest = dict(web10.instances.values_list("instance_id", "model_version"))
    assert (latest[0], latest[1], latest[2]) == (2, 2, 1)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "InvalidParameter"),
        ({"instanceIds": []}, "InvalidParameter"),
        ({"instanceIds": ["zero"]}, "InvalidParameter"),
        ({"instanceIds": [0]}, "InvalidRequestContent"),
        ({"instanceIds": ["42"]}, "InvalidParameter"),
        ({"instanceIds": ["9999999999"]}, "InvalidParameter"),
    ],
)
def test_manualupgrade_refuses_bad_instance_ids(arm, web10, body, code):
    bump_model(web10)
    response = arm("POST", f"{VMSS}/web10/manualupgrade", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert set(web10.instances.values_list("model_version", flat=True)) == {1}


def test_the_instance_view_shows_what_the_compute_provider_sees_now(arm, web10):
    """A fault rule (B2) or a reimage in progress shows in vmHealth and the statuses, not only
    the states stored when the instance was created."""
    from django.utils import timezone

    from rollout.engine.provider import DatabaseComputeProvider
    from rollout.models import FaultKind, FaultRule

    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[3], created_at=timezone.now()
    )
    view = body_of(arm("GET", f"{VMSS}/web10/virtualMachines/3/instanceView"))
    assert view["vmHealth"]["status"]["code"] == "HealthState/unhealthy"
    provider = DatabaseComputeProvider(web10)
    provider.reimage("5", "22.04.202611110", timezone.now())
    provider.flush()
    vm = body_of(arm("GET", f"{VMSS}/web10/virtualMachines/5", query="$expand=instanceView"))
    assert vm["properties"]["provisioningState"] == "Updating"
    codes = [s["code"] for s in vm["properties"]["instanceView"]["statuses"]]
    assert codes == ["ProvisioningState/updating", "PowerState/starting"]

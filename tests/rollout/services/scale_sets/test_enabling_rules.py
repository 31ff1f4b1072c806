"""E1-E5: enabling automatic OS upgrade, what is refused, and model updates."""

from __future__ import annotations

from collections import Counter

import pytest

from rollout.demo.catalog import SKUS
from rollout.models import (
    DataDisk,
    Event,
    EventKind,
    Extension,
    GalleryImage,
    ImageKind,
    LoadBalancerSku,
    OsType,
    PatchMode,
    PlatformImage,
    ScaleSet,
    ServiceFabricDurability,
)
from rollout.services import (
    ExtensionSpec,
    ServiceError,
    auto_upgrade_refusal,
    disable_auto_upgrade,
    enable_auto_upgrade,
    update_scale_set_model,
)
from rollout.services.scale_sets.instances import manual_upgrade_instances
from tests.rollout.conftest import NEW_VERSION, OLD_VERSION

pytestmark = pytest.mark.django_db

APP_HEALTH = ExtensionSpec(
    name="HealthExtension",
    publisher="Microsoft.ManagedServices",
    extension_type="ApplicationHealthLinux",
    type_handler_version="2.0",
    settings={"protocol": "http", "port": 80, "requestPath": "/health"},
)


def refusal_of(scale_set: ScaleSet, **kwargs: object) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        enable_auto_upgrade(scale_set, **kwargs)  # type: ignore[arg-type]
    scale_set.refresh_from_db()
    assert scale_set.enable_automatic_os_upgrade is False, "a refusal must write nothing"
    return caught.value


def add_service_fabric(
    scale_set: ScaleSet, durability: str = "Silver", version: str = "1.1"
) -> None:
    Extension.objects.create(
        scale_set=scale_set,
        name="ServiceFabricNodeVmExt",
        publisher="Microsoft.Azure.ServiceFabric",
        extension_type="ServiceFabricNode",
        type_handler_version=version,
        settings={"durabilityLevel": durability},
    )


# E1


def test_e1_enable_turns_the_switch_on_and_records_who_and_why(web10, django_user_model):
    alice = django_user_model.objects.create_user("alice")
    enable_auto_upgrade(web10, actor=alice, reason="monthly patching")
    web10.refresh_from_db()
    assert web10.enable_automatic_os_upgrade is True
    event = Event.objects.get(kind=EventKind.ENABLED)
    assert (event.actor, event.actor_name, event.reason) == (alice, "alice", "monthly patching")


def test_e1_disable_is_always_allowed_and_recorded(tiny3):
    ScaleSet.objects.filter(pk=tiny3.pk).update(enable_automatic_os_upgrade=True)
    disable_auto_upgrade(tiny3, reason="freeze")
    tiny3.refresh_from_db()
    assert tiny3.enable_automatic_os_upgrade is False
    assert Event.objects.filter(kind=EventKind.DISABLED, reason="freeze").count() == 1


def test_e1_first_enablement_time_is_kept_across_toggles(web10):
    enable_auto_upgrade(web10)
    web10.refresh_from_db()
    first = web10.auto_upgrade_first_enabled_at
    assert first is not None
    disable_auto_upgrade(web10)
    enable_auto_upgrade(web10)
    web10.refresh_from_db()
    assert web10.auto_upgrade_first_enabled_at == first


# E2


def test_e2_refuses_a_pinned_image_version(web10):
    ScaleSet.objects.filter(pk=web10.pk).update(image_version=OLD_VERSION)
    web10.refresh_from_db()
    error = refusal_of(web10)
    assert error.status == 400
    assert error.code == "BadRequest"
    assert error.target == "properties.virtualMachineProfile.storageProfile.imageReference.version"
    assert "'latest'" in error.message


def test_e2_refuses_a_platform_sku_without_automatic_os_upgrade_support(web10):
    PlatformImage.objects.update(automatic_os_upgrade_supported=False)
    error = refusal_of(web10)
    assert error.target.endswith("imageReference.sku")
    assert "22_04-LTS" in error.message


def test_e2_accepts_a_compute_gallery_image(web10, demo):
    image = GalleryImage.objects.get(name="web-app")
    ScaleSet.objects.filter(pk=web10.pk).update(image_kind=ImageKind.GALLERY, gallery_image=image)
    web10.refresh_from_db()
    enable_auto_upgrade(web10)
    web10.refresh_from_db()
    assert web10.enable_automatic_os_upgrade is True


def test_e2_refuses_other_custom_images(web10):
    ScaleSet.objects.filter(pk=web10.pk).update(
        image_kind=ImageKind.CUSTOM,
        custom_image_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/images/my",
    )
    web10.refresh_from_db()
    assert refusal_of(web10).target.endswith("imageReference.id")


def test_e2_refuses_a_scale_set_without_health_probe_or_extension(tiny3):
    error = refusal_of(tiny3)
    assert error.target == "properties.virtualMachineProfile.networkProfile.healthProbe.id"
    assert "health probe or health extension was not specified" in error.message


def test_e2_accepts_the_application_health_extension_as_health_source(tiny3):
    update_scale_set_model(tiny3, {}, extensions=[APP_HEALTH])
    enable_auto_upgrade(tiny3)
    tiny3.refresh_from_db()
    assert tiny3.enable_automatic_os_upgrade is True


def test_e2_refuses_a_probe_and_the_extension_together(web10):
    update_scale_set_model(web10, {}, extensions=[APP_HEALTH])
    error = refusal_of(web10)
    assert "both a health probe and a health extension" in error.message


def test_e2_several_placement_groups_need_a_standard_load_balancer(web10):
    web10.health_probe.load_balancer.sku = LoadBalancerSku.BASIC
    web10.health_probe.load_balancer.save()
    enable_auto_upgrade(web10)  # one placement group: a Basic probe is accepted
    disable_auto_upgrade(web10)
    ScaleSet.objects.filter(pk=web10.pk).update(single_placement_group=False)
    web10.refresh_from_db()
    assert "Standard load balancer" in refusal_of(web10).message


def test_e2_refuses_patch_mode_automatic_by_platform(web10):
    ScaleSet.objects.filter(pk=web10.pk).update(patch_mode=PatchMode.AUTOMATIC_BY_PLATFORM)
    web10.refresh_from_db()
    error = refusal_of(web10)
    assert error.target.endswith("linuxConfiguration.patchSettings.patchMode")


def test_e2_windows_needs_enable_automatic_updates_false_from_2019_03_01(web10):
    ScaleSet.objects.filter(pk=web10.pk).update(
        os_type=OsType.WINDOWS, enable_automatic_updates=True
    )
    web10.refresh_from_db()
    error = refusal_of(web10, api_version="2019-03-01")
    assert error.target.endswith("windowsConfiguration.enableAutomaticUpdates")
    refusal_of(web10)  # the dashboard and commands speak the newest api-version
    enable_auto_upgrade(web10, api_version="2018-10-01")  # before the rule existed
    web10.refresh_from_db()
    assert web10.enable_automatic_os_upgrade is True


def test_e2_refuses_api_versions_before_2018_10_01(web10):
    error = refusal_of(web10, api_version="2018-06-01")
    assert error.target == "api-version"


def test_e2_refusal_lists_every_problem_and_changes_nothing(tiny3):
    ScaleSet.objects.filter(pk=tiny3.pk).update(image_version=OLD_VERSION)
    tiny3.refresh_from_db()
    events_before = Event.objects.count()
    version_before = tiny3.model_version
    error = refusal_of(tiny3)
    targets = [detail.target for detail in error.details]
    assert any(t.endswith("imageReference.version") for t in targets)
    assert any(t.endswith("healthProbe.id") for t in targets)
    assert error.as_envelope()["error"]["details"]
    tiny3.refresh_from_db()
    assert (Event.objects.count(), tiny3.model_version) == (events_before, version_before)


def test_e2_refusal_is_readable_without_writing_for_the_dashboard(tiny3, web10):
    assert auto_upgrade_refusal(web10) is None
    refusal = auto_upgrade_refusal(tiny3)
    assert refusal is not None and "health probe" in refusal.message


def test_e2_service_fabric_silver_needs_no_probe(tiny3):
    ScaleSet.objects.filter(pk=tiny3.pk).update(
        service_fabric_cluster_durability=ServiceFabricDurability.SILVER
    )
    add_service_fabric(tiny3, "Silver")
    tiny3.refresh_from_db()
    enable_auto_upgrade(tiny3)
    tiny3.refresh_from_db()
    assert tiny3.enable_automatic_os_upgrade is True


def test_e2_service_fabric_bronze_only_on_a_stateless_node_type_with_a_probe(tiny3):
    ScaleSet.objects.filter(pk=tiny3.pk).update(
        service_fabric_cluster_durability=ServiceFabricDurability.BRONZE
    )
    add_service_fabric(tiny3, "Bronze")
    tiny3.refresh_from_db()
    assert "stateless-only" in refusal_of(tiny3).message
    ScaleSet.objects.filter(pk=tiny3.pk).update(service_fabric_stateless=True)
    tiny3.refresh_from_db()
    assert "Application Health extension" in refusal_of(tiny3).message
    Extension.objects.create(
        scale_set=tiny3,
        name=APP_HEALTH.name,
        publisher=APP_HEALTH.publisher,
        extension_type=APP_HEALTH.extension_type,
        settings=APP_HEALTH.settings,
    )
    enable_auto_upgrade(tiny3)


def test_e2_service_fabric_extension_must_be_1_1_and_agree_on_durability(tiny3):
    ScaleSet.objects.filter(pk=tiny3.pk).update(
        service_fabric_cluster_durability=ServiceFabricDurability.GOLD
    )
    add_service_fabric(tiny3, "Silver", version="1.0")
    tiny3.refresh_from_db()
    messages = [d.message for d in refusal_of(tiny3).details]
    assert any("differs between the cluster (Gold)" in m for m in messages)
    assert any("typeHandlerVersion 1.0" in m for m in messages)


def test_e2_service_fabric_refuses_load_balancer_probes(web10):
    ScaleSet.objects.filter(pk=web10.pk).update(
        service_fabric_cluster_durability=ServiceFabricDurability.SILVER
    )
    add_service_fabric(web10, "Silver")
    web10.refresh_from_db()
    assert "not supported for Service Fabric" in refusal_of(web10).message


# E3


def test_e3_supported_skus_are_data(web10):
    enable_auto_upgrade(web10)
    disable_auto_upgrade(web10)
    PlatformImage.objects.update(automatic_os_upgrade_supported=False)
    refusal_of(web10)
    PlatformImage.objects.update(automatic_os_upgrade_supported=True)
    enable_auto_upgrade(web10)


def test_e3_catalogue_holds_the_seed_list_and_todays_list():
    supported = {(s.publisher, s.offer, s.sku) for s in SKUS if s.supported}
    seed_list = [
        ("Canonical", "UbuntuServer", "16.04-LTS"),
        ("Canonical", "UbuntuServer", "18.04-LTS"),
        ("OpenLogic", "CentOS", "7.5"),
        ("MicrosoftWindowsServer", "WindowsServer", "2012-R2-Datacenter"),
        ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter-gensecond"),
        ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter-Core-with-Containers"),
    ]
    today = [
        ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-LTS-Gen2"),
        ("MicrosoftCblMariner", "Azure-Linux", "azure-linux-3"),
        ("MicrosoftSqlServer", "SQL2022-ws2022", "enterprise-Gen2"),
        ("MicrosoftWindowsServer", "WindowsServer", "2022-Datacenter-azure-edition"),
    ]
    assert set(seed_list + today) <= supported
    assert any(not s.supported for s in SKUS)


# E4


def test_e4_a_sku_change_is_a_model_update_by_the_user(web10, region):
    other = PlatformImage.objects.create(
        publisher="Canonical",
        offer=web10.image_offer,
        sku="22_04-LTS-Gen2",
        automatic_os_upgrade_supported=True,
    )
    assert other.pk
    before = web10.model_version
    update_scale_set_model(web10, {"image_sku": "22_04-LTS-Gen2"})
    web10.refresh_from_db()
    assert web10.image_sku == "22_04-LTS-Gen2"
    assert web10.model_version == before + 1


@pytest.mark.parametrize(
    ("field", "value", "target"),
    [("image_publisher", "Debian", "publisher"), ("image_offer", "UbuntuServer", "offer")],
)
def test_e4_publisher_and_offer_can_never_change(web10, field, value, target):
    with pytest.raises(ServiceError) as caught:
        update_scale_set_model(web10, {field: value})
    assert (caught.value.status, caught.value.code) == (400, "PropertyChangeNotAllowed")
    assert caught.value.target.endswith(f"imageReference.{target}")
    web10.refresh_from_db()
    assert getattr(web10, field) != value


def test_e4_the_image_kind_can_never_change(web10):
    with pytest.raises(ServiceError) as caught:
        update_scale_set_model(web10, {"image_kind": ImageKind.CUSTOM})
    assert caught.value.code == "OperationNotAllowed"


def test_e4_a_sku_change_to_an_unsupported_sku_is_refused_while_auto_upgrade_is_on(web10):
    PlatformImage.objects.create(
        publisher="Canonical", offer=web10.image_offer, sku="unsupported-sku"
    )
    enable_auto_upgrade(web10)
    with pytest.raises(ServiceError):
        update_scale_set_model(web10, {"image_sku": "unsupported-sku"})
    web10.refresh_from_db()
    assert web10.image_sku == "22_04-LTS"


# E5


def test_e5_manual_mode_leaves_instances_on_the_old_model(web10):
    update_scale_set_model(web10, {"custom_data": "IyEvYmluL2Jhc2gK"})
    instances = list(web10.instances.select_related("scale_set"))
    assert {i.latest_model_applied for i in instances} == {False}


def test_e5_manual_upgrade_brings_instances_to_the_latest_model_and_keeps_data_disks(web10):
    update_scale_set_model(web10, {"image_version": NEW_VERSION})
    checksums = dict(DataDisk.objects.values_list("instance__instance_id", "checksum"))
    manual_upgrade_instances(web10, [0, 1])
    instances = {i.instance_id: i for i in web10.instances.select_related("os_disk", "scale_set")}
    assert instances[0].latest_model_applied and instances[1].latest_model_applied
    assert not instances[2].latest_model_applied
    assert instances[0].image_version == NEW_VERSION
    assert instances[2].image_version == OLD_VERSION
    assert dict(DataDisk.objects.values_list("instance__instance_id", "checksum")) == checksums


def test_e5_latest_does_not_move_instances_by_itself(web10):
    update_scale_set_model(web10, {"image_version": OLD_VERSION})
    manual_upgrade_instances(web10, list(range(10)))
    update_scale_set_model(web10, {"image_version": "latest"})
    manual_upgrade_instances(web10, [0])
    instance = web10.instances.select_related("os_disk").get(instance_id=0)
    assert instance.image_version == OLD_VERSION


def test_e5_manual_upgrade_of_unknown_instances_is_refused(web10):
    with pytest.raises(ServiceError) as caught:
        manual_upgrade_instances(web10, [0, 99])
    assert "[99]" in caught.value.message


def test_capacity_changes_keep_zones_balanced(web10):
    update_scale_set_model(web10, {"capacity": 14})
    assert Counter(web10.instances.values_list("zone", flat=True)) == {"1": 5, "2": 5, "3": 4}
    update_scale_set_model(web10, {"capacity": 7})
    assert Counter(web10.instances.values_list("zone", flat=True)) == {"1": 3, "2": 2, "3": 2}
    assert max(web10.instances.values_list("instance_id", flat=True)) < 14


def test_e5_automatic_mode_applies_a_model_change_to_every_instance_at_once(web10):
    update_scale_set_model(web10, {"upgrade_mode": "Automatic"})
    update_scale_set_model(web10, {"image_version": NEW_VERSION})
    instances = list(web10.instances.select_related("os_disk", "scale_set"))
    assert {i.latest_model_applied for i in instances} == {True}
    assert {i.image_version for i in instances} == {NEW_VERSION}


def test_model_updates_refuse_zones_the_region_lacks_and_change_nothing(web10):
    with pytest.raises(ServiceError) as caught:
        update_scale_set_model(web10, {"zones": ["1", "2", "3", "4"]})
    assert caught.value.target == "zones"
    web10.refresh_from_db()
    assert web10.zones == ["1", "2", "3"]


def test_rolling_mode_needs_a_health_source(tiny3):
    with pytest.raises(ServiceError) as caught:
        update_scale_set_model(tiny3, {"upgrade_mode": "Rolling"})
    assert "Rolling Upgrade mode is not supported" in caught.value.message

"""The admin: every page answers, and every change to a scale set's model goes through the
services (E1, E2, E4, E5), so the admin refuses what the API refuses and saves nothing then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db.models import Model
from django.forms import BaseForm, CheckboxInput, MultiWidget
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from rollout.admin.scale_sets import INSTANCES_SHOWN
from rollout.models import (
    Event,
    EventKind,
    Extension,
    FaultKind,
    FaultRule,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    HealthProbe,
    Instance,
    InstanceUpgrade,
    InstanceUpgradeState,
    LoadBalancer,
    LoadBalancerSku,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ReplicationState,
    ResourceGroup,
    RunningStatus,
    ScaleSet,
    StartedBy,
    Subscription,
    UpgradeBatch,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.models.api import ApiToken, AsyncOperation, AsyncOperationKind, token_digest
from rollout.services.scale_sets.placement import create_instances
from tests.rollout.releases.fleet import add_release_rows

pytestmark = pytest.mark.django_db

VERSION = "22.04.202401010"
UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-LTS"}
T0 = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


@dataclass
class World:
    region: Region
    resource_group: ResourceGroup
    probe: HealthProbe
    web: ScaleSet  # 3 instances in 3 zones behind a probe: may enable auto-upgrade
    bare: ScaleSet  # 1 instance, no health probe: enabling is refused (E2)
    extension: Extension


def add_scale_set(
    resource_group: ResourceGroup, region: Region, name: str, capacity: int, **fields: Any
) -> ScaleSet:
    scale_set = ScaleSet.objects.create(
        resource_group=resource_group,
        name=name,
        location=region,
        capacity=capacity,
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
        **fields,
    )
    create_instances(scale_set, capacity, VERSION)
    return scale_set


@pytest.fixture
def world(db: Any) -> World:
    """One row of every model, so every change form has something to show."""
    subscription = Subscription.objects.create(
        subscription_id="00000000-0000-0000-0000-0000000000ad", display_name="Admin tests"
    )
    resource_group = ResourceGroup.objects.create(
        subscription=subscription, name="rg-admin", location="westeurope"
    )
    region = Region.objects.create(
        name="westeurope", display_name="West Europe", availability_zones=["1", "2", "3"]
    )
    image = PlatformImage.objects.create(**UBUNTU, automatic_os_upgrade_supported=True)
    PlatformImageVersion.objects.create(image=image, version=VERSION, published_at=T0).regions.add(
        region
    )
    balancer = LoadBalancer.objects.create(
        resource_group=resource_group, name="lb-web", location=region, sku=LoadBalancerSku.STANDARD
    )
    probe = HealthProbe.objects.create(
        load_balancer=balancer,
        name="http",
        protocol=ProbeProtocol.HTTP,
        port=80,
        request_path="/health",
    )
    web = add_scale_set(resource_group, region, "web", 3, zones=["1", "2", "3"], health_probe=probe)
    bare = add_scale_set(resource_group, region, "bare", 1)
    extension = Extension.objects.create(
        scale_set=web,
        name="setup",
        publisher="Microsoft.Azure.Extensions",
        extension_type="CustomScript",
        type_handler_version="2.1",
        settings={"commandToExecute": "echo hello"},
    )
    gallery = Gallery.objects.create(resource_group=resource_group, name="gal", location=region)
    gallery_image = GalleryImage.objects.create(
        gallery=gallery, name="app", publisher="Contoso", offer="app", sku="v1"
    )
    gallery_version = GalleryImageVersion.objects.create(
        image=gallery_image, name="1.0.0", location=region, published_at=T0
    )
    GalleryImageReplica.objects.create(
        version=gallery_version, region=region, state=ReplicationState.COMPLETED, progress=100
    )
    operation = UpgradeOperation.objects.create(
        scale_set=web,
        kind=UpgradeKind.AUTOMATIC,
        started_by=StartedBy.PLATFORM,
        target_image_version=VERSION,
        location="westeurope",
        status=RunningStatus.COMPLETED,
        started_at=T0,
        last_action_at=T0,
    )
    batch = UpgradeBatch.objects.create(operation=operation, index=0, update_domain=0)
    InstanceUpgrade.objects.create(
        operation=operation,
        batch=batch,
        instance=web.instances.get(instance_id=0),
        state=InstanceUpgradeState.SUCCEEDED,
    )
    Event.objects.create(
        kind=EventKind.UPGRADE_FINISHED,
        scale_set=web,
        operation=operation,
        created_at=T0,
        actor_name="Platform",
    )
    FaultRule.objects.create(scale_set=web, kind=FaultKind.NEVER_HEALTHY, created_at=T0)
    operator = User.objects.create_user("operator")
    ApiToken.objects.create(user=operator, prefix="a1b2c3", token_hash=token_digest("secret"))
    AsyncOperation.objects.create(
        subscription_id=subscription.subscription_id,
        location="westeurope",
        kind=AsyncOperationKind.UPDATE,
        resource_id=web.arm_id,
        scale_set=web,
        api_version="2024-07-01",
        started_at=T0,
    )
    add_release_rows(bare)  # releases, trigger policies, maintenance windows (T1-T7)
    return World(region, resource_group, probe, web, bare, extension)


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would post back from a rendered change form, unchanged."""
    context = response.context
    forms: list[BaseForm] = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(field.widget, MultiWidget):
                for index, part in enumerate(field.widget.decompress(value) or []):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            else:
                data[bound.html_name] = "" if value is None else value
    return data


def post_change(client: Client, obj: Model, **changes: Any) -> Any:
    url = admin_url(type(obj), "change", obj.pk)
    data = form_data(client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return client.post(url, data)


def form_errors(response: Any) -> dict[str, list[str]]:
    context = response.context
    assert context is not None, f"expected the form again, got {response.status_code}"
    return {name: list(errors) for name, errors in context["adminform"].form.errors.items()}


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client: Client, action: str, *scale_sets: ScaleSet) -> Any:
    return client.post(
        admin_url(ScaleSet, "changelist"),
        {"action": action, "_selected_action": [s.pk for s in scale_sets]},
    )


def test_every_rollout_model_has_an_admin() -> None:
    models = set(apps.get_app_config("rollout").get_models())
    assert models - set(admin.site._registry) == set()


def test_every_changelist_change_form_and_add_form_answers_200_for_a_superuser(
    admin_client: Client, admin_user: User, world: World
) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        name = model.__name__
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200, name
        obj = model._default_manager.order_by("pk").first()
        if model._meta.app_label == "rollout":
            assert obj is not None, f"the world lacks a {name}"
        if obj is not None:
            assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200, name
        if model_admin.has_add_permission(request):
            assert admin_client.get(admin_url(model, "add")).status_code == 200, name


def test_scale_set_changelist_searches_and_filters(admin_client: Client, world: World) -> None:
    url = admin_url(ScaleSet, "changelist")
    query = f"?q=web&location__id__exact={world.region.pk}&enable_automatic_os_upgrade__exact=0"
    response = admin_client.get(url + query)
    assert response.status_code == 200
    assert [s.name for s in response.context["cl"].result_list] == ["web"]


def test_e1_admin_action_enables_a_valid_scale_set(
    admin_client: Client, admin_user: User, world: World
) -> None:
    response = run_action(admin_client, "enable_auto_upgrade_action", world.web)
    assert response.status_code == 302
    assert messages_of(response) == ["Automatic OS upgrade enabled on 1 scale set."]
    world.web.refresh_from_db()
    assert world.web.enable_automatic_os_upgrade is True
    assert world.web.auto_upgrade_first_enabled_at is not None
    event = Event.objects.get(scale_set=world.web, kind=EventKind.ENABLED)
    assert (event.actor, event.reason) == (admin_user, "admin action")


def test_e2_admin_action_refuses_a_scale_set_without_a_health_probe_and_says_why(
    admin_client: Client, world: World
) -> None:
    response = run_action(admin_client, "enable_auto_upgrade_action", world.bare)
    [message] = messages_of(response)
    assert message.startswith("Automatic OS upgrade was not enabled on bare: ")
    assert "a health probe or health extension was not specified" in message
    assert "networkProfile.healthProbe.id" in message
    world.bare.refresh_from_db()
    assert world.bare.enable_automatic_os_upgrade is False
    assert not Event.objects.filter(scale_set=world.bare).exists()


def test_e1_admin_action_enables_the_valid_ones_and_names_each_refused_one(
    admin_client: Client, world: World
) -> None:
    response = run_action(admin_client, "enable_auto_upgrade_action", world.web, world.bare)
    refused, enabled = messages_of(response)
    assert "on bare:" in refused
    assert enabled == "Automatic OS upgrade enabled on 1 scale set."
    flags = dict(ScaleSet.objects.values_list("name", "enable_automatic_os_upgrade"))
    assert flags == {"web": True, "bare": False}


def test_e1_admin_action_disables_automatic_os_upgrade(admin_client: Client, world: World) -> None:
    run_action(admin_client, "enable_auto_upgrade_action", world.web)
    response = run_action(admin_client, "disable_auto_upgrade_action", world.web, world.bare)
    assert messages_of(response)[-1] == "Automatic OS upgrade disabled on 2 scale sets."
    world.web.refresh_from_db()
    assert world.web.enable_automatic_os_upgrade is False
    assert Event.objects.filter(scale_set=world.web, kind=EventKind.DISABLED).count() == 1


def test_e2_admin_form_refuses_ticking_enable_without_a_health_probe_and_saves_nothing(
    admin_client: Client, world: World
) -> None:
    before = ScaleSet.objects.filter(pk=world.bare.pk).values().get()
    response = post_change(admin_client, world.bare, enable_automatic_os_upgrade=True, capacity="2")
    assert response.status_code == 200
    [error] = form_errors(response)["health_probe"]
    assert "a health probe or health extension was not specified" in error
    assert ScaleSet.objects.filter(pk=world.bare.pk).values().get() == before
    assert world.bare.instances.count() == 1
    assert not Event.objects.filter(scale_set=world.bare).exists()


def test_e2_admin_form_shows_each_problem_on_the_field_that_fixes_it(
    admin_client: Client, world: World
) -> None:
    PlatformImage.objects.update(automatic_os_upgrade_supported=False)
    response = post_change(
        admin_client,
        world.web,
        enable_automatic_os_upgrade=True,
        image_version=VERSION,
        patch_mode="AutomaticByPlatform",
    )
    errors = form_errors(response)
    assert set(errors) == {"image_version", "image_sku", "patch_mode"}
    assert "version set to 'latest'" in errors["image_version"][0]
    assert "does not support automatic OS upgrade" in errors["image_sku"][0]
    world.web.refresh_from_db()
    assert (world.web.enable_automatic_os_upgrade, world.web.image_version) == (False, "latest")


def test_e2_admin_form_keeps_checking_a_scale_set_that_has_auto_upgrade_on(
    admin_client: Client, world: World
) -> None:
    run_action(admin_client, "enable_auto_upgrade_action", world.web)
    response = post_change(admin_client, world.web, health_probe="")
    assert "health_probe" in form_errors(response)
    world.web.refresh_from_db()
    assert world.web.health_probe == world.probe


def test_e4_admin_form_refuses_changing_the_image_offer_in_the_services_words(
    admin_client: Client, world: World
) -> None:
    response = post_change(admin_client, world.web, image_offer="0001-com-ubuntu-server-noble")
    assert form_errors(response)["image_offer"] == [
        "Changing property 'imageReference.offer' is not allowed: the offer of an existing "
        f"scale set is fixed ('{UBUNTU['offer']}'). Create a new scale set for another image."
    ]
    world.web.refresh_from_db()
    assert world.web.image_offer == UBUNTU["offer"]


def test_e4_admin_form_refuses_changing_the_image_kind(admin_client: Client, world: World) -> None:
    response = post_change(admin_client, world.web, image_kind="custom")
    assert form_errors(response)["image_kind"] == [
        "The Image type for a Virtual Machine Scale Set may not be changed."
    ]


def test_admin_form_shows_what_is_fixed_at_creation_as_read_only(
    admin_client: Client, world: World
) -> None:
    response = admin_client.get(admin_url(ScaleSet, "change", world.web.pk))
    editable = set(response.context["adminform"].form.fields)
    assert {"name", "location", "os_type", "resource_group", "model_version"} & editable == set()
    assert {"capacity", "image_sku", "enable_automatic_os_upgrade", "health_probe"} <= editable


def test_e1_admin_form_enables_a_valid_scale_set_through_the_service(
    admin_client: Client, admin_user: User, world: World
) -> None:
    response = post_change(admin_client, world.web, enable_automatic_os_upgrade=True)
    assert response.status_code == 302
    world.web.refresh_from_db()
    assert world.web.enable_automatic_os_upgrade is True
    assert world.web.auto_upgrade_first_enabled_at is not None  # T5, set by the service
    event = Event.objects.get(scale_set=world.web, kind=EventKind.ENABLED)
    assert (event.actor, event.reason) == (admin_user, "admin")


def test_e5_admin_form_saves_a_model_change_through_the_service(
    admin_client: Client, world: World
) -> None:
    response = post_change(admin_client, world.web, capacity="5", custom_data="ZWNobyBoaQ==")
    assert response.status_code == 302
    world.web.refresh_from_db()
    assert (world.web.capacity, world.web.model_version) == (5, 2)
    assert world.web.instances.count() == 5
    event = Event.objects.get(scale_set=world.web, kind=EventKind.MODEL_UPDATED)
    assert event.data["fields"] == ["capacity", "custom_data"]


def test_admin_adds_a_scale_set_with_its_instances_and_enables_it_through_the_service(
    admin_client: Client, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(ScaleSet, "add")))
    data.update(
        resource_group=world.resource_group.pk,
        name="api",
        location=world.region.pk,
        zones='["1", "2"]',
        capacity="4",
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
        health_probe=world.probe.pk,
        enable_automatic_os_upgrade="on",
    )
    response = admin_client.post(admin_url(ScaleSet, "add"), data)
    assert response.status_code == 302, form_errors(response)
    api = ScaleSet.objects.get(name="api")
    assert api.enable_automatic_os_upgrade is True
    assert sorted(api.instances.values_list("zone", flat=True)) == ["1", "1", "2", "2"]
    assert set(api.instances.values_list("os_disk__image_version", flat=True)) == {VERSION}
    assert Event.objects.filter(scale_set=api, kind=EventKind.ENABLED).count() == 1


def test_e2_admin_add_form_refuses_enabling_without_a_health_probe(
    admin_client: Client, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(ScaleSet, "add")))
    data.update(
        resource_group=world.resource_group.pk,
        name="api",
        location=world.region.pk,
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
        enable_automatic_os_upgrade="on",
    )
    response = admin_client.post(admin_url(ScaleSet, "add"), data)
    assert "health_probe" in form_errors(response)
    assert not ScaleSet.objects.filter(name="api").exists()


def test_e2_extension_form_refuses_a_health_extension_next_to_a_health_probe(
    admin_client: Client, world: World
) -> None:
    run_action(admin_client, "enable_auto_upgrade_action", world.web)
    response = post_change(
        admin_client,
        world.extension,
        publisher="Microsoft.ManagedServices",
        extension_type="ApplicationHealthLinux",
    )
    [error] = form_errors(response)["__all__"]
    assert "both a health probe and a health extension were provided" in error
    world.extension.refresh_from_db()
    assert world.extension.extension_type == "CustomScript"


def test_e5_extension_form_saves_through_the_service_and_bumps_the_model_version(
    admin_client: Client, world: World
) -> None:
    response = post_change(admin_client, world.extension, type_handler_version="2.2")
    assert response.status_code == 302
    [extension] = world.web.extensions.all()
    assert extension.type_handler_version == "2.2"
    assert response["Location"] == admin_url(Extension, "changelist")
    world.web.refresh_from_db()
    assert world.web.model_version == 2
    event = Event.objects.get(scale_set=world.web, kind=EventKind.MODEL_UPDATED)
    assert event.data["fields"] == ["extensions"]


def test_e5_extension_delete_goes_through_the_service(admin_client: Client, world: World) -> None:
    url = admin_url(Extension, "delete", world.extension.pk)
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not world.web.extensions.exists()
    world.web.refresh_from_db()
    assert world.web.model_version == 2


def test_event_admin_has_no_add_change_or_delete(
    admin_client: Client, admin_user: User, world: World
) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    event_admin = admin.site._registry[Event]
    event = Event.objects.get()
    assert event_admin.has_add_permission(request) is False
    assert event_admin.has_change_permission(request, event) is False
    assert event_admin.has_delete_permission(request, event) is False
    assert admin_client.get(admin_url(Event, "add")).status_code == 403
    change = admin_url(Event, "change", event.pk)
    assert admin_client.post(change, {"reason": "rewritten"}).status_code == 403
    assert (
        admin_client.post(admin_url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403
    )
    event.refresh_from_db()
    assert event.reason == ""


def test_scale_set_change_form_queries_do_not_grow_with_its_instances(
    admin_client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    big = add_scale_set(world.resource_group, world.region, "big", 300, zones=["1", "2", "3"])
    with django_assert_max_num_queries(12):
        response = admin_client.get(admin_url(ScaleSet, "change", big.pk))
    assert response.status_code == 200
    [instances] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Instance
    ]
    assert len(instances.formset.forms) == INSTANCES_SHOWN
    assert f"?scale_set__id__exact={big.pk}" in response.content.decode()


def test_changelists_of_a_large_scale_set_do_not_query_per_instance(
    admin_client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    big = add_scale_set(world.resource_group, world.region, "big", 300, zones=["1", "2", "3"])
    with django_assert_max_num_queries(12):
        response = admin_client.get(admin_url(ScaleSet, "changelist"))
    assert response.status_code == 200
    url = admin_url(Instance, "changelist") + f"?scale_set__id__exact={big.pk}"
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 300


def test_e5_admin_action_brings_instances_to_the_latest_model(
    admin_client: Client, world: World
) -> None:
    post_change(admin_client, world.web, custom_data="ZWNobyBoaQ==")
    instances = list(world.web.instances.order_by("instance_id")[:2])
    response = admin_client.post(
        admin_url(Instance, "changelist"),
        {"action": "apply_latest_model", "_selected_action": [i.pk for i in instances]},
    )
    assert messages_of(response)[-1] == "2 instance(s) now run the latest model."
    world.web.refresh_from_db()
    applied = [i.latest_model_applied for i in world.web.instances.order_by("instance_id")]
    assert applied == [True, True, False]


def test_fault_rule_added_in_the_admin_records_who_and_when(
    admin_client: Client, admin_user: User, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(FaultRule, "add")))
    data.update(scale_set=world.web.pk, kind=FaultKind.REIMAGE_FAILS, instance_ids="[0]")
    before = timezone.now()
    response = admin_client.post(admin_url(FaultRule, "add"), data)
    assert response.status_code == 302, form_errors(response)
    rule = FaultRule.objects.get(kind=FaultKind.REIMAGE_FAILS)
    assert rule.created_by == admin_user
    assert rule.created_at >= before


def test_e2_extension_delete_is_refused_when_the_scale_set_would_lose_its_health_signal(
    admin_client: Client, world: World
) -> None:
    health = Extension.objects.create(
        scale_set=world.bare,
        name="HealthExtension",
        publisher="Microsoft.ManagedServices",
        extension_type="ApplicationHealthLinux",
        type_handler_version="2.0",
    )
    run_action(admin_client, "enable_auto_upgrade_action", world.bare)
    response = admin_client.post(admin_url(Extension, "delete", health.pk), {"post": "yes"})
    assert response["Location"] == admin_url(Extension, "change", health.pk)
    assert "HealthExtension was not removed from bare: " in messages_of(response)[-1]
    assert world.bare.extensions.get() == health


def test_scale_set_delete_page_counts_what_goes_with_it_in_few_queries(
    admin_client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    big = add_scale_set(world.resource_group, world.region, "big", 300)
    with django_assert_max_num_queries(30):
        response = admin_client.get(admin_url(ScaleSet, "delete", big.pk))
    assert response.status_code == 200
    assert "300 instances" in response.content.decode()
    assert (
        admin_client.post(admin_url(ScaleSet, "delete", big.pk), {"post": "yes"}).status_code == 302
    )
    assert not Instance.objects.filter(scale_set_id=big.pk).exists()


def test_scale_set_with_upgrade_history_cannot_be_deleted_in_the_admin(
    admin_client: Client, world: World
) -> None:
    # Events outlive the scale set (SET_NULL); its upgrade rows are the engine's, view-only.
    response = admin_client.get(admin_url(ScaleSet, "delete", world.web.pk))
    assert response.context["perms_lacking"] == {
        "upgrade operation",
        "upgrade batch",
        "instance upgrade",
    }
    admin_client.post(admin_url(ScaleSet, "delete", world.web.pk), {"post": "yes"})
    assert ScaleSet.objects.filter(pk=world.web.pk).exists()


def test_api_token_admin_never_shows_the_hash_and_revokes(
    admin_client: Client, world: World
) -> None:
    token = ApiToken.objects.get()
    response = admin_client.get(admin_url(ApiToken, "change", token.pk))
    assert token.token_hash not in response.content.decode()
    response = admin_client.post(
        admin_url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert messages_of(response)[-1] == "1 token(s) revoked."
    token.refresh_from_db()
    assert token.is_active is False

"""The admin's scale set pages: every change to a scale set's model goes through the services
(E1, E2, E4, E5), so the admin refuses what the API refuses and saves nothing then."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from rollout.models import (
    Event,
    EventKind,
    Instance,
    PlatformImage,
    ScaleSet,
)
from tests.rollout.admin.conftest import (
    UBUNTU,
    VERSION,
    World,
    admin_url,
    form_data,
    form_errors,
    messages_of,
    post_change,
    run_action,
)

pytestmark = pytest.mark.django_db


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


def test_admin_add_form_refuses_what_create_scale_set_refuses_and_saves_nothing(
    admin_client: Client, world: World
) -> None:
    """The add form is judged by the creation service itself: zones the region lacks."""
    data = form_data(admin_client.get(admin_url(ScaleSet, "add")))
    data.update(
        resource_group=world.resource_group.pk,
        name="api",
        location=world.region.pk,
        zones='["1", "9"]',
        capacity="2",
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
    )
    response = admin_client.post(admin_url(ScaleSet, "add"), data)
    assert response.status_code == 200
    assert "The zones [&#x27;9&#x27;] are not available" in response.content.decode()
    assert not ScaleSet.objects.filter(name="api").exists()


def test_b7_a_scale_set_added_in_the_admin_is_audited_with_who_added_it(
    admin_client: Client, admin_user: User, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(ScaleSet, "add")))
    data.update(
        resource_group=world.resource_group.pk,
        name="api",
        location=world.region.pk,
        capacity="3",
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
    )
    response = admin_client.post(admin_url(ScaleSet, "add"), data)
    assert response.status_code == 302, form_errors(response)
    event = Event.objects.get(scale_set__name="api", kind=EventKind.MODEL_UPDATED)
    assert (event.actor, event.reason) == (admin_user, "admin")
    assert {"capacity", "name"} <= set(event.data["fields"])

"""The admin's other writes go through the services too: extensions (E2, E5), fault rules
(B2, audited and live), API tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from rollout.models import (
    Event,
    EventKind,
    Extension,
    FaultKind,
    FaultRule,
)
from rollout.models.api import ApiToken
from tests.rollout.admin.conftest import (
    World,
    admin_url,
    form_data,
    form_errors,
    messages_of,
    post_change,
    run_action,
)

pytestmark = pytest.mark.django_db


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


def test_b7_a_fault_rule_added_in_the_admin_is_audited_and_takes_its_share_in_percent(
    admin_client: Client, admin_user: User, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(FaultRule, "add")))
    data.update(scale_set=world.web.pk, kind=FaultKind.NEVER_HEALTHY, share_percent="30")
    response = admin_client.post(admin_url(FaultRule, "add"), data)
    assert response.status_code == 302, form_errors(response)
    rule = FaultRule.objects.filter(scale_set=world.web).latest("id")
    assert rule.share == pytest.approx(0.3)
    event = Event.objects.get(kind=EventKind.FAULT_RULE_ADDED)
    assert (event.actor, event.scale_set, event.data["rule"]) == (admin_user, world.web, rule.pk)


def test_b2_the_admin_refuses_a_fault_rule_the_service_refuses(
    admin_client: Client, world: World
) -> None:
    data = form_data(admin_client.get(admin_url(FaultRule, "add")))
    data.update(scale_set=world.web.pk, kind=FaultKind.REIMAGE_FAILS, instance_ids="[0, 42]")
    response = admin_client.post(admin_url(FaultRule, "add"), data)
    assert "web has no instance 42." in str(form_errors(response))
    assert not Event.objects.filter(kind=EventKind.FAULT_RULE_ADDED).exists()


def test_b7_fault_rules_removed_in_the_admin_are_audited(
    admin_client: Client, admin_user: User, world: World
) -> None:
    rule = FaultRule.objects.get(scale_set=world.web)
    response = admin_client.post(
        admin_url(FaultRule, "changelist"),
        {"action": "remove_rules", "_selected_action": [rule.pk]},
    )
    assert messages_of(response)[-1] == "1 fault rule(s) removed."
    assert not FaultRule.objects.filter(pk=rule.pk).exists()
    event = Event.objects.get(kind=EventKind.FAULT_RULE_REMOVED)
    assert (event.actor, event.data["rule"]) == (admin_user, rule.pk)

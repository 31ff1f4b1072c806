"""The admin: every page answers, in a number of queries that does not grow with a scale set."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from rollout.admin.scale_sets import INSTANCES_SHOWN
from rollout.models import (
    Instance,
    ScaleSet,
)
from tests.rollout.admin.conftest import (
    World,
    add_scale_set,
    admin_url,
)

pytestmark = pytest.mark.django_db


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
        "gate run",  # G1, G4: measured and reached by the engine, view-only too
        "gate measurement",
        "checkpoint hold",
    }
    admin_client.post(admin_url(ScaleSet, "delete", world.web.pk), {"post": "yes"})
    assert ScaleSet.objects.filter(pk=world.web.pk).exists()

"""R1's services: assignments audited (B7) and checked, a subscription's first use, and the
operator permission's holders becoming role assignments (migration 0005)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from rollout.models import Event, EventKind, ResourceGroup, Role, RoleAssignment, Subscription
from rollout.services.access.assignments import assign_role, remove_role_assignment
from rollout.services.access.grants import grants_of
from rollout.services.access.principals import object_id
from rollout.services.access.scopes import Scope
from rollout.services.access.tokens import issue_token
from rollout.services.errors import ServiceError
from tests.rollout.access.conftest import SCOPES, SUBSCRIPTION, principal

pytestmark = pytest.mark.django_db

NEW_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"


def test_r1_b7_giving_and_taking_a_role_is_audited_with_who_what_where_and_why(world: Any) -> None:
    owner = principal("Owner", "group")
    someone = User.objects.create_user("someone")
    group = Scope.parse(SCOPES["group"])
    assignment = assign_role(someone, Role.READER, group, actor=owner, reason="on call")
    given = Event.objects.get(kind=EventKind.ROLE_ASSIGNED)
    assert (given.actor, given.reason) == (owner, "on call")
    assert given.data["role"] == "Reader" and given.data["principal"] == "someone"
    assert given.data["scope"] == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test"
    assert given.data["principal_id"] == object_id(someone)
    remove_role_assignment(assignment, actor=owner, reason="off call")
    taken = Event.objects.get(kind=EventKind.ROLE_REMOVED)
    assert (taken.actor, taken.reason, taken.data["role"]) == (owner, "off call", "Reader")
    assert not RoleAssignment.objects.filter(principal=someone).exists()


@pytest.mark.parametrize("role", ["Contributor", "Reader", "Rollout Operator"])
def test_r1_only_an_owner_gives_roles(world: Any, role: str) -> None:
    actor = principal(role, "subscription")
    before = (RoleAssignment.objects.count(), Event.objects.count())
    with pytest.raises(ServiceError) as refused:
        assign_role(
            User.objects.create_user("x"), Role.OWNER, Scope.parse(SCOPES["group"]), actor=actor
        )
    assert refused.value.code == "AuthorizationFailed" and refused.value.status == 403
    assert (RoleAssignment.objects.count(), Event.objects.count()) == before


def test_r1_an_owner_of_a_group_cannot_give_roles_at_its_subscription(world: Any) -> None:
    owner = principal("Owner", "group")
    with pytest.raises(ServiceError):
        assign_role(owner, Role.OWNER, Scope.parse(SCOPES["subscription"]), actor=owner)


def test_r1_roles_are_given_only_at_scopes_that_exist(world: Any) -> None:
    with pytest.raises(ServiceError) as refused:
        assign_role(User.objects.create_user("x"), Role.READER, Scope(NEW_SUBSCRIPTION))
    assert refused.value.code == "SubscriptionNotFound"


def test_r1_deleting_a_resource_group_takes_its_assignments_with_it(world: Any) -> None:
    reader = principal("Reader", "other-group")
    ResourceGroup.objects.get(name="rg-other").delete()
    assert not RoleAssignment.objects.filter(principal=reader).exists()


def put_group(user: User, subscription: str) -> Any:
    token = issue_token(user, "t")[1]
    return Client().put(
        f"/subscriptions/{subscription}/resourcegroups/new-rg?api-version=2024-11-01",
        json.dumps({"location": "westeurope"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_r1_a_new_subscription_comes_into_being_for_a_superuser_who_becomes_its_owner(
    world: Any,
) -> None:
    admin = User.objects.create_superuser("root-admin")
    assert put_group(admin, NEW_SUBSCRIPTION).status_code == 201
    subscription = Subscription.objects.get(subscription_id=NEW_SUBSCRIPTION)
    owner = RoleAssignment.objects.get(subscription=subscription)
    assert (owner.principal, owner.role, owner.resource_group) == (admin, "Owner", None)
    assert Event.objects.filter(
        kind=EventKind.ROLE_ASSIGNED, data__scope=subscription.arm_id
    ).exists()


@pytest.mark.parametrize("role", ["Owner", "Contributor"])
def test_r1_a_role_in_one_subscription_does_not_create_another(world: Any, role: str) -> None:
    user = principal(role, "subscription")
    answer = put_group(user, NEW_SUBSCRIPTION)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "AuthorizationFailed"
    assert not Subscription.objects.filter(subscription_id=NEW_SUBSCRIPTION).exists()


def test_r1_a_contributor_of_a_subscription_creates_groups_in_it_and_gains_nothing(
    world: Any,
) -> None:
    user = principal("Contributor", "subscription")
    assert put_group(user, SUBSCRIPTION).status_code == 201
    assert RoleAssignment.objects.filter(principal=user).count() == 1


def test_r1_an_inactive_user_holds_no_role(world: Any) -> None:
    user = principal("Owner", "subscription")
    user.is_active = False
    assert grants_of(user).grants == ()


def test_r1_the_operator_permission_becomes_contributor_and_everyone_else_reader(
    world: Any,
) -> None:
    """Migration 0005 on a database from before roles."""
    scale_sets = ContentType.objects.get(app_label="rollout", model="scaleset")
    permission = Permission.objects.create(
        codename="operate_scaleset", name="Can operate upgrades", content_type=scale_sets
    )
    operators = Group.objects.create(name="operators")
    operators.permissions.add(permission)
    operator = User.objects.create_user("old-operator")
    operator.groups.add(operators)
    viewer = User.objects.create_user("old-viewer")
    User.objects.create_superuser("old-admin")
    migration = importlib.import_module("rollout.migrations.0005_roles_from_operator_permission")
    migration.permission_to_roles(apps, None)
    roles = {
        (a.principal.username, a.role, a.subscription.subscription_id)
        for a in RoleAssignment.objects.filter(principal__username__startswith="old-")
    }
    assert roles == {
        ("old-operator", "Contributor", SUBSCRIPTION),
        ("old-operator", "Contributor", "00000000-0000-0000-0000-000000000002"),
        ("old-viewer", "Reader", SUBSCRIPTION),
        ("old-viewer", "Reader", "00000000-0000-0000-0000-000000000002"),
    }
    assert not Permission.objects.filter(codename="operate_scaleset").exists()
    assert not Group.objects.filter(name="operators").exists()
    del viewer

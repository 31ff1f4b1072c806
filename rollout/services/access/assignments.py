"""Giving and taking roles (R1), from every face (admin, commands, the API's first use of a
subscription), each change audited (B7) as an event with who, what, where and why.

Assigning or removing a role needs ``Microsoft.Authorization/roleAssignments/write`` (or
``/delete``) at the scope: an Owner's, as in Azure. An actor that is not a user (``None``, or
"command line") is the command line, whose user already holds the database.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from rollout.events.log import record_one
from rollout.models import EventKind, ResourceGroup, Role, RoleAssignment, Subscription
from rollout.services.access.grants import grants_of
from rollout.services.access.principals import client_name, object_id, principal_kind
from rollout.services.access.roles import DELETE_ROLE_ASSIGNMENT, WRITE_ROLE_ASSIGNMENT
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError, not_found


def resolve_scope(scope: Scope) -> tuple[Subscription | None, ResourceGroup | None]:
    """The rows a scope names; 404 for a subscription or a resource group that does not exist
    (Azure assigns roles only at scopes that exist)."""
    if scope.subscription_id is None:
        return None, None
    subscription = Subscription.objects.filter(
        subscription_id__iexact=scope.subscription_id
    ).first()
    if subscription is None:
        raise not_found(
            f"The subscription '{scope.subscription_id}' could not be found.",
            "SubscriptionNotFound",
        )
    if scope.resource_group is None:
        return subscription, None
    group = ResourceGroup.objects.filter(
        subscription=subscription, name__iexact=scope.resource_group
    ).first()
    if group is None:
        raise not_found(
            f"Resource group '{scope.resource_group}' could not be found.", "ResourceGroupNotFound"
        )
    return subscription, group


def assign_role(
    principal: Any,
    role: str,
    scope: Scope,
    *,
    actor: Any = None,
    reason: str = "",
    authorise: bool = True,
) -> RoleAssignment:
    """Give ``principal`` ``role`` at ``scope``; the same assignment twice is one.

    ``authorise=False``: the caller has decided (a subscription's creator becomes its Owner).
    """
    if role not in Role.values:
        raise ServiceError(
            "RoleDefinitionDoesNotExist",
            f"The role '{role[:100]}' does not exist: use one of {', '.join(Role.values)}.",
            "role",
            status=404,
        )
    if authorise and is_principal(actor):
        grants_of(actor).require(WRITE_ROLE_ASSIGNMENT, scope)
    subscription, group = resolve_scope(scope)
    existing = RoleAssignment.objects.filter(
        principal=principal, role=role, subscription=subscription, resource_group=group
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                principal=principal,
                role=role,
                subscription=subscription,
                resource_group=group,
                created_by=actor if is_principal(actor) else None,
            )
            _audit(EventKind.ROLE_ASSIGNED, assignment, actor, reason)
    except IntegrityError:  # the same assignment, made at the same moment elsewhere
        return RoleAssignment.objects.get(
            principal=principal, role=role, subscription=subscription, resource_group=group
        )
    return assignment


def remove_role_assignment(
    assignment: RoleAssignment, *, actor: Any = None, reason: str = ""
) -> None:
    if is_principal(actor):
        grants_of(actor).require(DELETE_ROLE_ASSIGNMENT, scope_of(assignment))
    with transaction.atomic():
        _audit(EventKind.ROLE_REMOVED, assignment, actor, reason)
        assignment.delete()


def is_principal(actor: Any) -> bool:
    """A user (who must be allowed), rather than the command line (who is trusted)."""
    return bool(getattr(actor, "is_authenticated", False))


def scope_of(assignment: RoleAssignment) -> Scope:
    if assignment.resource_group is not None:
        return Scope.of(assignment.resource_group)
    if assignment.subscription is not None:
        return Scope.of(assignment.subscription)
    return Scope()


def _audit(kind: EventKind, assignment: RoleAssignment, actor: Any, reason: str) -> None:
    principal = assignment.principal
    record_one(
        kind,
        scale_set=None,
        actor=actor if actor is not None else "command line",
        reason=reason,
        role=assignment.role,
        scope=assignment.scope,
        principal=client_name(principal),
        principal_id=object_id(principal),
        principal_type=principal_kind(principal),
        assignment=str(assignment.id),
    )

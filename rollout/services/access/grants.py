"""What one principal may do where (R1): its role assignments, loaded once, asked in memory.

``grants_of(user)`` reads the user's assignments in one query; every face asks it:

- ``allows(action, scope)`` / ``require(action, scope)``: a role assigned at the scope or at
  one that contains it (the root, the subscription) allows the action; ``require`` raises
  Azure's 403 ``AuthorizationFailed`` otherwise.
- ``allows_within(action, subscription_id)``: the action is allowed somewhere in the
  subscription: what a list at subscription scope needs; ``within(path, action)`` is the
  filter that keeps only the rows the principal may see (or act on).

Superusers hold Owner at the root without an assignment; an inactive user holds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from rollout.models import Role, RoleAssignment
from rollout.services.access.principals import client_name, object_id
from rollout.services.access.roles import role_allows
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError


@dataclass(frozen=True)
class Grant:
    """One role at one scope; the group is kept by key (for filters) and by name (for paths)."""

    role: str
    subscription_id: str | None = None  # lower case; None: the root
    resource_group: str | None = None  # lower case; None: the whole subscription
    resource_group_pk: int | None = None

    def covers(self, scope: Scope) -> bool:
        if self.subscription_id is None:
            return True
        if scope.subscription_id is None or scope.subscription_id.lower() != self.subscription_id:
            return False
        if self.resource_group is None:
            return True
        return (scope.resource_group or "").lower() == self.resource_group


class Grants:
    """A principal's grants (see the module's docstring)."""

    def __init__(self, principal: Any, grants: Iterable[Grant]) -> None:
        self.principal = principal
        self.grants = tuple(grants)

    def allows(self, action: str, scope: Scope) -> bool:
        return any(g.covers(scope) and role_allows(g.role, action) for g in self.grants)

    def require(self, action: str, scope: Scope, shown: str | None = None) -> None:
        """403 unless allowed; the message names ``shown`` (the resource's id, as Azure's
        does) or the scope."""
        if not self.allows(action, scope):
            raise authorization_failed(self.principal, action, shown or str(scope))

    def allows_within(self, action: str, subscription_id: str) -> bool:
        """The action is allowed at the subscription or at one of its resource groups."""
        subscription = subscription_id.lower()
        return any(
            role_allows(g.role, action) and g.subscription_id in (None, subscription)
            for g in self.grants
        )

    def require_within(self, action: str, subscription_id: str) -> None:
        if not self.allows_within(action, subscription_id):
            raise authorization_failed(self.principal, action, Scope(subscription_id.lower()))

    def subscriptions(self, action: str) -> tuple[set[str], bool]:
        """The subscription ids where the action is allowed somewhere, and whether everywhere
        (a grant at the root)."""
        allowing = [g for g in self.grants if role_allows(g.role, action)]
        everywhere = any(g.subscription_id is None for g in allowing)
        return {g.subscription_id for g in allowing if g.subscription_id}, everywhere

    def within(self, path: str, action: str) -> Q:
        """A filter on rows whose resource group is at ``path`` ("" for resource groups
        themselves, ``resource_group`` for a scale set, ``scale_set__resource_group``...):
        the rows where the action is allowed."""
        allowing = [g for g in self.grants if role_allows(g.role, action)]
        if any(g.subscription_id is None for g in allowing):
            return Q()
        prefix = f"{path}__" if path else ""
        subscriptions = {g.subscription_id for g in allowing if g.resource_group is None}
        groups = {g.resource_group_pk for g in allowing if g.resource_group_pk is not None}
        return Q(**{f"{prefix}subscription__subscription_id__in": subscriptions}) | Q(
            **{f"{prefix}pk__in": groups}
        )

    @property
    def is_root(self) -> bool:
        """Some role at the root scope: superusers, and root assignments."""
        return any(g.subscription_id is None for g in self.grants)


def grants_of(principal: Any) -> Grants:
    """The principal's grants: one query (none for superusers and anonymous users)."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return Grants(principal, ())
    if not principal.is_active:
        return Grants(principal, ())
    if principal.is_superuser:
        return Grants(principal, (Grant(Role.OWNER),))
    rows = RoleAssignment.objects.filter(principal=principal).select_related(
        "subscription", "resource_group"
    )
    return Grants(principal, (grant_of(row) for row in rows))


def grant_of(row: RoleAssignment) -> Grant:
    if row.subscription is None:
        return Grant(row.role)
    group = row.resource_group
    return Grant(
        row.role,
        row.subscription.subscription_id.lower(),
        group.name.lower() if group is not None else None,
        group.pk if group is not None else None,
    )


def authorization_failed(principal: Any, action: str, scope: Scope | str) -> ServiceError:
    """Azure's 403, word for word: ARM's ``AuthorizationFailed``, as quoted in
    github.com/Azure/ARO-RP/issues/66."""
    return ServiceError(
        "AuthorizationFailed",
        f"The client '{client_name(principal)}' with object id '{object_id(principal)}' does "
        f"not have authorization to perform action '{action}' over scope '{scope}' or the "
        "scope is invalid. If access was recently granted, please refresh your credentials.",
        status=403,
    )

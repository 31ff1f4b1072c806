"""The world of the access tests (R1): ``web10`` in resource group ``rg-test`` of subscription
``...0001``, a second group ``rg-other`` in the same subscription, and a second subscription
``...0002`` with ``rg-elsewhere``; and principals holding one role at one of those scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from rollout.models import ResourceGroup, ScaleSet, Subscription
from tests.support.fleets import grant

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
OTHER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000002"
# Where a principal's one role is assigned, by the name the matrix uses.
SCOPES = {
    "subscription": f"/subscriptions/{SUBSCRIPTION}",
    "group": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test",
    "other-group": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-other",
    "other-subscription": f"/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg-elsewhere",
}
# Does an assignment at the scope hold for web10 (in rg-test of ...0001)?
COVERS_WEB10 = {
    "subscription": True,
    "group": True,
    "other-group": False,
    "other-subscription": False,
}
ROLES = ("Owner", "Contributor", "Reader", "Rollout Operator")
# What each role may do to a scale set, written out by hand from SPEC R1 and the README's
# Permissions table (not from rollout.services.access.roles, which this checks).
ALLOWED: dict[str, set[str]] = {
    "Owner": {
        "read",
        "change",
        "start",
        "pause",
        "resume",
        "cancel",
        "rehearse",
        "delete",
        "assign",
    },
    "Contributor": {"read", "change", "start", "pause", "resume", "cancel", "rehearse", "delete"},
    "Reader": {"read"},
    "Rollout Operator": {"read", "start", "pause", "resume", "cancel"},
}


def expected(role: str, scope: str, verb: str) -> bool:
    return COVERS_WEB10[scope] and verb in ALLOWED[role]


@dataclass
class Cell:
    role: str
    scope: str
    user: User

    def may(self, verb: str) -> bool:
        return expected(self.role, self.scope, verb)

    def __str__(self) -> str:
        return f"{self.role} at {self.scope}"


@pytest.fixture
def world(web10: ScaleSet, region: Any) -> ScaleSet:
    other = Subscription.objects.create(subscription_id=OTHER_SUBSCRIPTION)
    ResourceGroup.objects.create(
        subscription=web10.resource_group.subscription, name="rg-other", location="westeurope"
    )
    ResourceGroup.objects.create(subscription=other, name="rg-elsewhere", location="westeurope")
    return web10


def principal(role: str, scope: str, name: str = "") -> User:
    """A staff user (so the admin is a face too) holding ``role`` at ``SCOPES[scope]``."""
    user = User.objects.create_user(name or f"{role}-{scope}".replace(" ", "-").lower())
    user.is_staff = True
    user.save()
    grant(user, role, SCOPES[scope])
    return user

"""Who may see and who may act (R1): every page needs a login; what a page shows and offers
follows the user's role assignments (``rollout.services.access.grants``).

- A scale set the user may not read answers 403 with the reason (``templates/403.html``),
  and is left out of the fleet page and its websocket.
- The controls are offered per action: the switch and fault rules need a role that changes
  the model (Owner, Contributor); start, pause, resume and cancel also a Rollout Operator's.
- An action the user may not take answers 403 ``AuthorizationFailed`` with Azure's message,
  next to the control that asked, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

from rollout.models import ScaleSet
from rollout.services.access.grants import Grants, grants_of
from rollout.services.access.roles import (
    APPROVE_UPGRADE,
    CANCEL_UPGRADE,
    PAUSE_UPGRADE,
    PROMOTE_UPGRADE,
    READ_SCALE_SET,
    RESUME_UPGRADE,
    START_OS_UPGRADE,
    WRITE_FAULT_RULE,
    WRITE_GATE,
    WRITE_SCALE_SET,
    instance_action,
)
from rollout.services.access.scopes import Scope

# What each control needs, by the name the templates use (``may.start``...).
CONTROLS = {
    "change": WRITE_SCALE_SET,
    "start": START_OS_UPGRADE,
    "pause": PAUSE_UPGRADE,
    "resume": RESUME_UPGRADE,
    "cancel": CANCEL_UPGRADE,
    "rehearse": WRITE_FAULT_RULE,
    # Issue 12: the grid's per-instance actions (reimage, restart, power, protect).
    "instances": instance_action("restart", per_vm=True),
    "gates": WRITE_GATE,  # G1, G4
    "promote": PROMOTE_UPGRADE,
    "approve": APPROVE_UPGRADE,  # S2
}


def grants_for(request: HttpRequest) -> Grants:
    """The user's grants, read once per request."""
    grants: Grants | None = getattr(request, "_rollwright_grants", None)
    if grants is None:
        grants = grants_of(request.user)
        request._rollwright_grants = grants  # type: ignore[attr-defined]
    return grants


def visible(request: HttpRequest) -> Q:
    """The scale sets the user may see."""
    return grants_for(request).within("resource_group", READ_SCALE_SET)


def may(request: HttpRequest, scale_set: ScaleSet) -> dict[str, bool]:
    """``{"change": ..., "start": ..., ...}``: which controls to offer on this scale set."""
    grants, scope = grants_for(request), Scope.of(scale_set)
    answers = {name: grants.allows(action, scope) for name, action in CONTROLS.items()}
    answers["any"] = any(answers.values())
    return answers


def writable_ids(request: HttpRequest, ids: list[int]) -> set[int]:
    """Which of these scale sets' switches the user may turn."""
    rows = ScaleSet.objects.filter(
        grants_for(request).within("resource_group", WRITE_SCALE_SET), pk__in=ids
    )
    return set(rows.values_list("pk", flat=True))


def require_read(request: HttpRequest, scale_set: Any) -> None:
    """403, saying why and what would help, unless the user may see the scale set."""
    scope = Scope.of(scale_set)
    if not grants_for(request).allows(READ_SCALE_SET, scope):
        raise PermissionDenied(
            f"You have no role that lets you see the scale set {scale_set.name} ({scope}). "
            "An Owner of its resource group or subscription can give you one (Reader, or more)."
        )


STRENGTH = ("Owner", "Contributor", "Rollout Operator", "Reader")


def role_badge(request: HttpRequest) -> dict[str, Any]:
    """Template context: the strongest role the user holds anywhere, and where each holds
    (the header's badge and its tooltip)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    grants = grants_for(request).grants
    held = {grant.role for grant in grants}
    strongest = next((role for role in STRENGTH if role in held), "")
    where = "; ".join(
        f"{grant.role} of "
        + (
            f"/subscriptions/{grant.subscription_id}"
            + (f"/resourceGroups/{grant.resource_group}" if grant.resource_group else "")
            if grant.subscription_id
            else "/"
        )
        for grant in grants
    )
    return {
        "role_badge": strongest or "no role",
        "role_acts": strongest in ("Owner", "Contributor", "Rollout Operator"),
        "role_where": where or "No role anywhere: ask an Owner for one.",
    }

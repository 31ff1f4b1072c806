"""What each role allows (R1): Azure RBAC's role definitions, actions and scopes.

An action is Azure's operation name (``Microsoft.Compute/virtualMachineScaleSets/write``). A
role allows an action when one of its ``actions`` patterns matches it and none of its
``not_actions`` does; ``*`` matches anything, and case does not matter, as in Azure
(learn.microsoft.com/azure/role-based-access-control/role-definitions). The built-in roles'
patterns are Azure's; Rollout Operator is Rollwright's own: it reads, and starts, pauses,
resumes and cancels upgrades (and brings instances to the latest model), but never changes a
model, a fault rule or an assignment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rollout.models.access import Role

SCALE_SETS = "Microsoft.Compute/virtualMachineScaleSets"
READ_SCALE_SET = f"{SCALE_SETS}/read"
WRITE_SCALE_SET = f"{SCALE_SETS}/write"
DELETE_SCALE_SET = f"{SCALE_SETS}/delete"
START_OS_UPGRADE = f"{SCALE_SETS}/osRollingUpgrade/action"
CANCEL_UPGRADE = f"{SCALE_SETS}/rollingUpgrades/cancel/action"
MANUAL_UPGRADE = f"{SCALE_SETS}/manualUpgrade/action"
# S2: Azure's names for approving a deferred OS upgrade, of the scale set and of one VM.
APPROVE_UPGRADE = f"{SCALE_SETS}/approveRollingUpgrade/action"
APPROVE_VM_UPGRADE = f"{SCALE_SETS}/virtualMachines/approveRollingUpgrade/action"
# B5 and B2 are Rollwright's: Azure has no such operations.
PAUSE_UPGRADE = f"{SCALE_SETS}/rollingUpgrades/pause/action"
RESUME_UPGRADE = f"{SCALE_SETS}/rollingUpgrades/resume/action"
WRITE_FAULT_RULE = f"{SCALE_SETS}/faultRules/write"
# G1, G4 are Rollwright's too: gates and checkpoints change how the scale set upgrades (a
# model-like change); promoting past a checkpoint is an upgrade verb.
WRITE_GATE = f"{SCALE_SETS}/providers/Rollwright/gates/write"
DELETE_GATE = f"{SCALE_SETS}/providers/Rollwright/gates/delete"
PROMOTE_UPGRADE = f"{SCALE_SETS}/rollingUpgrades/promote/action"
WRITE_GALLERY_VERSION = "Microsoft.Compute/galleries/images/versions/write"
# Instance actions (Azure's operation names): on the scale set's chosen instances, or on one
# VM (``virtualMachines/...``); a VM's own model (protection policy, userData).
WRITE_VM = f"{SCALE_SETS}/virtualMachines/write"
DELETE_VM = f"{SCALE_SETS}/virtualMachines/delete"


def instance_action(verb: str, *, per_vm: bool = False) -> str:
    """``Microsoft.Compute/virtualMachineScaleSets[/virtualMachines]/{verb}/action``."""
    return f"{SCALE_SETS}{'/virtualMachines' if per_vm else ''}/{verb}/action"


# Resource groups and subscriptions.
READ_RESOURCE_GROUP = "Microsoft.Resources/subscriptions/resourceGroups/read"
WRITE_RESOURCE_GROUP = "Microsoft.Resources/subscriptions/resourceGroups/write"
READ_SUBSCRIPTION = "Microsoft.Resources/subscriptions/read"
# A subscription comes into being on first use only at the root scope (see scopes.py).
WRITE_SUBSCRIPTION = "Microsoft.Resources/subscriptions/write"
# The platform's image catalogue, releases and supported SKUs (E3, T1): the root scope.
PUBLISH_PLATFORM_IMAGE = (
    "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/write"
)
MANAGE_RELEASES = "Microsoft.Compute/releases/write"
# Access itself.
READ_ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments/read"
WRITE_ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments/write"
DELETE_ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments/delete"


@dataclass(frozen=True)
class RoleDefinition:
    """A role's id (Azure's, for the built-in ones), description and action patterns."""

    id: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


ROLE_DEFINITIONS: dict[str, RoleDefinition] = {
    Role.OWNER: RoleDefinition(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Full access to everything, including assigning roles.",
        ("*",),
    ),
    Role.CONTRIBUTOR: RoleDefinition(
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Full access to everything, but not to assigning roles.",
        ("*",),
        ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"),
    ),
    Role.READER: RoleDefinition(
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "Sees everything, changes nothing.",
        ("*/read",),
    ),
    Role.ROLLOUT_OPERATOR: RoleDefinition(
        "4b1d5e2c-7a0f-4c8e-9d3b-2f6a1c8e5d70",
        "Sees everything; starts, pauses, resumes, approves (S2) and cancels OS upgrades and "
        "brings instances to the latest model; changes no model.",
        (
            "*/read",
            START_OS_UPGRADE,
            CANCEL_UPGRADE,
            PAUSE_UPGRADE,
            RESUME_UPGRADE,
            MANUAL_UPGRADE,
            PROMOTE_UPGRADE,
            APPROVE_UPGRADE,
            APPROVE_VM_UPGRADE,
        ),
    ),
}


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    """``*/read`` matches ``Microsoft.Compute/virtualMachineScaleSets/read``."""
    return _pattern(pattern).fullmatch(action) is not None


def role_allows(role: str, action: str) -> bool:
    definition = ROLE_DEFINITIONS.get(role)
    if definition is None:
        return False
    return any(matches(p, action) for p in definition.actions) and not any(
        matches(p, action) for p in definition.not_actions
    )


def is_read(action: str) -> bool:
    return action.lower().endswith("/read")

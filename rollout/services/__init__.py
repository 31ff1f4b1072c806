"""The operator verbs. The ARM API, the dashboard, the admin and the commands call these and
add no rules of their own."""

from __future__ import annotations

from rollout.services.errors import Problem, ServiceError
from rollout.services.scale_sets.instances import manual_upgrade_instances
from rollout.services.scale_sets.updates import (
    ExtensionSpec,
    auto_upgrade_refusal,
    disable_auto_upgrade,
    enable_auto_upgrade,
    update_scale_set_model,
)

__all__ = [
    "ExtensionSpec",
    "Problem",
    "ServiceError",
    "auto_upgrade_refusal",
    "disable_auto_upgrade",
    "enable_auto_upgrade",
    "manual_upgrade_instances",
    "update_scale_set_model",
]

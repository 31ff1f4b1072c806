"""ARM scopes (R1): the root ``/``, ``/subscriptions/{id}``, ``.../resourceGroups/{name}``.

A role assigned at a scope holds at every scope inside it. Subscription ids compare in lower
case and resource group names case-insensitively, as ARM compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rollout.models import ResourceGroup, Subscription
from rollout.services.errors import ServiceError

_SCOPE = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})"
    r"(?:/resourceGroups/(?P<group>[-\w.()]{1,90}))?/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Scope:
    """Where an action happens; ``Scope()`` is the root."""

    subscription_id: str | None = None
    resource_group: str | None = None

    def __post_init__(self) -> None:
        if self.resource_group is not None and self.subscription_id is None:
            raise ValueError("A resource group scope needs its subscription.")

    def __str__(self) -> str:
        if self.subscription_id is None:
            return "/"
        text = f"/subscriptions/{self.subscription_id}"
        if self.resource_group is not None:
            text += f"/resourceGroups/{self.resource_group}"
        return text

    @property
    def is_root(self) -> bool:
        return self.subscription_id is None

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``/``, ``/subscriptions/{id}`` or ``/subscriptions/{id}/resourceGroups/{name}``."""
        if text.strip() == "/":
            return cls()
        match = _SCOPE.match(text.strip())
        if match is None:
            raise ServiceError(
                "InvalidScope",
                f"The scope '{text[:300]}' is not valid: use '/', '/subscriptions/{{id}}' or "
                "'/subscriptions/{id}/resourceGroups/{name}'.",
                "scope",
            )
        return cls(match["subscription"].lower(), match["group"])

    @classmethod
    def of(cls, resource: Any) -> Scope:
        """The scope of a subscription, of a resource group, or of a resource in a group
        (anything with a ``resource_group``: scale sets, galleries, load balancers...)."""
        if isinstance(resource, Subscription):
            return cls(resource.subscription_id.lower())
        group = resource if isinstance(resource, ResourceGroup) else resource.resource_group
        return cls(group.subscription.subscription_id.lower(), group.name)

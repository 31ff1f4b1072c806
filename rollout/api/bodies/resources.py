"""Bodies of resources outside Microsoft.Compute's scale sets: resource groups (from their
field table), and the publication of a platform image version (Rollwright's own route)."""

from __future__ import annotations

from rollout.services.wire.arm import READ_ONLY_RESOURCE
from rollout.services.wire.resources import RESOURCE_GROUP_FIELDS
from rollout.services.wire.schema import Arr, Obj, Str

RESOURCE_GROUP = RESOURCE_GROUP_FIELDS.obj(
    "ResourceGroup", tolerated=READ_ONLY_RESOURCE | {"managedBy", "properties"}
)
PUBLICATION = Obj(
    "PlatformImageVersionPublication",
    {
        "properties": Obj(
            "PlatformImageVersionPublicationProperties",
            {
                "regions": Arr(Str(50, min_length=1), 100),
                "reason": Str(500),
            },
        ),
    },
    tolerated=READ_ONLY_RESOURCE | frozenset({"location", "tags"}),
)

"""Bodies of resources outside Microsoft.Compute's scale sets: resource groups, and the
publication of a platform image version (Rollwright's own route)."""

from __future__ import annotations

from rollout.services.wire.arm import LOCATION, READ_ONLY_RESOURCE, TAGS
from rollout.services.wire.schema import Arr, Obj, Str

RESOURCE_GROUP = Obj(
    "ResourceGroup",
    {"location": LOCATION, "tags": TAGS},
    required=("location",),
    tolerated=READ_ONLY_RESOURCE | {"managedBy", "properties"},
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

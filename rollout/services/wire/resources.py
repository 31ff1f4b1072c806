"""The field table of a resource group (Microsoft.Resources)."""

from __future__ import annotations

from rollout.models import ResourceGroup
from rollout.services.wire.arm import LOCATION, TAGS
from rollout.services.wire.fields import Change, Field, FieldTable, Via

RESOURCE_GROUP_FIELDS = FieldTable(
    ResourceGroup,
    Field(None, "subscription", via=Via.NONE, change=Change.FIXED),  # in the path
    Field("name", "name", via=Via.CODE, change=Change.FIXED),  # in the path
    Field("location", "location", LOCATION, change=Change.CREATE_ONLY, required=True),
    Field("tags", "tags", TAGS),
    Field(None, "created_at", via=Via.NONE, change=Change.FIXED),
)

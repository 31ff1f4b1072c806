"""The field tables of the Compute Gallery: a gallery, an image definition, an image version
and a version's target region (one replica)."""

from __future__ import annotations

from rollout.models import (
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    OsType,
)
from rollout.services.wire.arm import LOCATION
from rollout.services.wire.fields import Change, Field, FieldTable, Via
from rollout.services.wire.schema import Bool, DateTime, Enum, Int, Str

PUBLISHING_PROFILE = "properties.publishingProfile"
IDENTIFIER = "properties.identifier"
CREATE_ONLY, FIXED = Change.CREATE_ONLY, Change.FIXED
CODE, NONE = Via.CODE, Via.NONE

GALLERY_FIELDS = FieldTable(
    Gallery,
    Field(None, "resource_group", via=NONE, change=FIXED),  # in the path
    Field("name", "name", via=CODE, change=FIXED),  # in the path
    Field("location", "location", LOCATION, via=CODE, change=CREATE_ONLY, required=True),
    Field("properties.description", "description", Str(200)),
)

# Its location is its gallery's; its OS type and identifier are fixed once created.
GALLERY_IMAGE_FIELDS = FieldTable(
    GalleryImage,
    Field(None, "gallery", via=NONE, change=FIXED),  # in the path
    Field("name", "name", via=CODE, change=FIXED),  # in the path
    Field("properties.osType", "os_type", Enum(tuple(OsType.values)), change=CREATE_ONLY),
    Field(f"{IDENTIFIER}.publisher", "publisher", Str(100, min_length=1), change=CREATE_ONLY),
    Field(f"{IDENTIFIER}.offer", "offer", Str(100, min_length=1), change=CREATE_ONLY),
    Field(f"{IDENTIFIER}.sku", "sku", Str(100, min_length=1), change=CREATE_ONLY),
)

GALLERY_IMAGE_VERSION_FIELDS = FieldTable(
    GalleryImageVersion,
    Field(None, "image", via=NONE, change=FIXED),  # in the path
    Field("name", "name", via=CODE, change=FIXED),  # in the path
    Field(None, "sort_key", via=NONE, change=FIXED),
    Field("location", "location", LOCATION, via=CODE, change=CREATE_ONLY, required=True),
    Field(f"{PUBLISHING_PROFILE}.excludeFromLatest", "exclude_from_latest", Bool()),
    Field(f"{PUBLISHING_PROFILE}.publishedDate", "published_at", via=CODE, change=FIXED),
    Field(f"{PUBLISHING_PROFILE}.endOfLifeDate", "end_of_life_at", DateTime(), omit_empty=True),
    Field("properties.provisioningState", "provisioning_state", via=CODE, change=FIXED),
)

# One member of publishingProfile.targetRegions; its replication shows in the version's
# replicationStatus instead.
TARGET_REGION_FIELDS = FieldTable(
    GalleryImageReplica,
    Field(None, "version", via=NONE, change=FIXED),
    Field("name", "region", Str(50, min_length=1), via=CODE, required=True),
    Field("regionalReplicaCount", "regional_replica_count", Int(1, 100)),
    Field("excludeFromLatest", "exclude_from_latest", Bool()),
    Field(None, "state", via=NONE, change=FIXED),
    Field(None, "progress", via=NONE, change=FIXED),
    Field(None, "started_at", via=NONE, change=FIXED),
    Field(None, "completed_at", via=NONE, change=FIXED),
)

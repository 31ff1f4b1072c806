"""Compute Gallery bodies, built on the gallery's field tables: a gallery, an image definition,
and an image version with its publishing profile (T4)."""

from __future__ import annotations

from rollout.services.wire.arm import LOCATION, READ_ONLY_RESOURCE, TAGS
from rollout.services.wire.gallery import (
    GALLERY_FIELDS,
    GALLERY_IMAGE_FIELDS,
    GALLERY_IMAGE_VERSION_FIELDS,
    IDENTIFIER,
    PUBLISHING_PROFILE,
    TARGET_REGION_FIELDS,
)
from rollout.services.wire.schema import Arr, Enum, Int

STORAGE_ACCOUNT_TYPE = Enum(("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS"))

GALLERY = GALLERY_FIELDS.obj(
    "Gallery",
    members={
        "tags": TAGS,  # accepted, not kept
        "properties": GALLERY_FIELDS.obj(
            "GalleryProperties",
            "properties",
            tolerated=frozenset(
                {
                    "identifier",
                    "provisioningState",
                    "sharingProfile",
                    "sharingStatus",
                    "softDeletePolicy",
                }
            ),
        ),
    },
    tolerated=READ_ONLY_RESOURCE | {"identity"},
)
GALLERY_IMAGE = GALLERY_IMAGE_FIELDS.obj(
    "GalleryImage",
    members={
        "location": LOCATION,  # its gallery's
        "tags": TAGS,  # accepted, not kept
        "properties": GALLERY_IMAGE_FIELDS.obj(
            "GalleryImageProperties",
            "properties",
            members={"identifier": GALLERY_IMAGE_FIELDS.obj("GalleryImageIdentifier", IDENTIFIER)},
            tolerated=frozenset(
                {
                    "allowUpdateImage",
                    "architecture",
                    "description",
                    "disallowed",
                    "endOfLifeDate",
                    "eula",
                    "features",
                    "hyperVGeneration",
                    "osState",
                    "privacyStatementUri",
                    "provisioningState",
                    "purchasePlan",
                    "recommended",
                    "releaseNoteUri",
                }
            ),
        ),
    },
    required=("location",),
    tolerated=READ_ONLY_RESOURCE,
)
TARGET_REGION = TARGET_REGION_FIELDS.obj(
    "TargetRegion",
    members={"storageAccountType": STORAGE_ACCOUNT_TYPE},
    tolerated=frozenset({"additionalReplicaSets", "encryption"}),
)
PUBLISHING_PROFILE_BODY = GALLERY_IMAGE_VERSION_FIELDS.obj(
    "GalleryImageVersionPublishingProfile",
    PUBLISHING_PROFILE,
    members={
        "targetRegions": Arr(TARGET_REGION, 50),
        "replicaCount": Int(1, 100),  # each new target region's, unless it says its own
        "storageAccountType": STORAGE_ACCOUNT_TYPE,
    },
    tolerated=frozenset(
        {
            "publishedDate",
            "replicationMode",
            "storageAccountStrategy",
            "targetExtendedLocations",
        }
    ),
)
GALLERY_IMAGE_VERSION = GALLERY_IMAGE_VERSION_FIELDS.obj(
    "GalleryImageVersion",
    members={
        "tags": TAGS,  # accepted, not kept
        "properties": GALLERY_IMAGE_VERSION_FIELDS.obj(
            "GalleryImageVersionProperties",
            "properties",
            members={"publishingProfile": PUBLISHING_PROFILE_BODY},
            tolerated=frozenset(
                {
                    "imageMetadataProfiles",
                    "provisioningState",
                    "replicationStatus",
                    "restore",
                    "safetyProfile",
                    "securityProfile",
                    "storageProfile",
                    "validationsProfile",
                }
            ),
        ),
    },
    tolerated=READ_ONLY_RESOURCE,
)

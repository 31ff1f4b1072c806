"""Compute Gallery bodies: a gallery, an image definition, and an image version with its
publishing profile (T4)."""

from __future__ import annotations

from rollout.models import OsType
from rollout.services.wire.arm import LOCATION, READ_ONLY_RESOURCE, TAGS
from rollout.services.wire.schema import Arr, Bool, DateTime, Enum, Int, Obj, Str

GALLERY = Obj(
    "Gallery",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryProperties",
            {"description": Str(200)},
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
    required=("location",),
    tolerated=READ_ONLY_RESOURCE | {"identity"},
)
GALLERY_IMAGE = Obj(
    "GalleryImage",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryImageProperties",
            {
                "osType": Enum(tuple(OsType.values)),
                "identifier": Obj(
                    "GalleryImageIdentifier",
                    {
                        "publisher": Str(100, min_length=1),
                        "offer": Str(100, min_length=1),
                        "sku": Str(100, min_length=1),
                    },
                ),
            },
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
TARGET_REGION = Obj(
    "TargetRegion",
    {
        "name": Str(50, min_length=1),
        "regionalReplicaCount": Int(1, 100),
        "excludeFromLatest": Bool(),
        "storageAccountType": Enum(
            ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
        ),
    },
    required=("name",),
    tolerated=frozenset({"additionalReplicaSets", "encryption"}),
)
PUBLISHING_PROFILE = Obj(
    "GalleryImageVersionPublishingProfile",
    {
        "targetRegions": Arr(TARGET_REGION, 50),
        "replicaCount": Int(1, 100),
        "excludeFromLatest": Bool(),
        "endOfLifeDate": DateTime(),
        "storageAccountType": Enum(
            ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
        ),
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
GALLERY_IMAGE_VERSION = Obj(
    "GalleryImageVersion",
    {
        "location": LOCATION,
        "tags": TAGS,
        "properties": Obj(
            "GalleryImageVersionProperties",
            {"publishingProfile": PUBLISHING_PROFILE},
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
    required=("location",),
    tolerated=READ_ONLY_RESOURCE,
)

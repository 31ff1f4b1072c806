"""Microsoft.Compute galleries: galleries, image definitions and image versions (T4)."""

from __future__ import annotations

from rollout.api.bodies import gallery as bodies
from rollout.api.routes.paths import GALLERY, GALLERY_IMAGE
from rollout.api.routing import Operation, Route
from rollout.api.views import gallery

GALLERY_TYPE = "Microsoft.Compute/galleries"

ROUTES = (
    Route(
        "gallery",
        GALLERY,
        "Gallery",
        GALLERY_TYPE,
        put=Operation(
            gallery.put_gallery,
            "Galleries_CreateOrUpdate",
            "Create or update a gallery",
            (200, 201),
            bodies.GALLERY,
            long_running=True,
        ),
        get=Operation(gallery.get_gallery_view, "Galleries_Get", "Get a gallery"),
    ),
    Route(
        "gallery_image",
        GALLERY_IMAGE,
        "Gallery",
        f"{GALLERY_TYPE}/images",
        put=Operation(
            gallery.put_gallery_image,
            "GalleryImages_CreateOrUpdate",
            "Create an image definition",
            (200, 201),
            bodies.GALLERY_IMAGE,
            long_running=True,
        ),
        get=Operation(
            gallery.get_gallery_image_view, "GalleryImages_Get", "Get an image definition"
        ),
    ),
    Route(
        "gallery_image_versions",
        f"{GALLERY_IMAGE}/versions",
        "Gallery",
        f"{GALLERY_TYPE}/images/versions",
        get=Operation(
            gallery.list_gallery_image_versions,
            "GalleryImageVersions_ListByGalleryImage",
            "Versions of an image",
            query=("$skiptoken",),
        ),
    ),
    Route(
        "gallery_image_version",
        f"{GALLERY_IMAGE}/versions/{{galleryImageVersionName}}",
        "Gallery",
        f"{GALLERY_TYPE}/images/versions",
        put=Operation(
            gallery.put_gallery_image_version,
            "GalleryImageVersions_CreateOrUpdate",
            "T4: publish a version and replicate it to target regions",
            (200, 201),
            bodies.GALLERY_IMAGE_VERSION,
            long_running=True,
        ),
        get=Operation(
            gallery.get_gallery_image_version,
            "GalleryImageVersions_Get",
            "A version and its replication",
            query=("$expand",),
        ),
    ),
)

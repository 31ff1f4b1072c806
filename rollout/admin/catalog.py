"""Regions, the platform image catalogue and the Compute Gallery (E3 and T4 are data here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from rollout.admin.base import RolloutAdmin
from rollout.models import (
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    PlatformImage,
    PlatformImageVersion,
    Region,
)


@admin.register(Region)
class RegionAdmin(RolloutAdmin):
    list_display = ("name", "display_name", "paired_region", "availability_zones")
    list_select_related = ("paired_region",)
    search_fields = ("name", "display_name")
    ordering = ("name",)
    autocomplete_fields = ("paired_region",)


class PlatformImageVersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlatformImageVersion
    extra = 0
    fields = ("version", "published_at", "regions", "sort_key")
    readonly_fields = ("sort_key",)
    ordering = ("-sort_key",)


@admin.register(PlatformImage)
class PlatformImageAdmin(RolloutAdmin):
    inlines = (PlatformImageVersionInline,)
    list_display = (
        "__str__",
        "publisher",
        "offer",
        "sku",
        "os_type",
        "automatic_os_upgrade_supported",
        "version_count",
    )
    list_editable = ("automatic_os_upgrade_supported",)  # E3: support is data
    list_filter = ("os_type", "automatic_os_upgrade_supported", "publisher")
    search_fields = ("publisher", "offer", "sku")
    ordering = ("publisher", "offer", "sku")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = (
            super().get_queryset(request).annotate(version_total=Count("versions"))
        )
        return queryset

    @admin.display(description="versions", ordering="version_total")
    def version_count(self, image: PlatformImage) -> int:
        return getattr(image, "version_total", 0)


@admin.register(PlatformImageVersion)
class PlatformImageVersionAdmin(RolloutAdmin):
    list_display = ("__str__", "image", "version", "published_at", "region_count")
    list_filter = ("image__os_type", "image__publisher", "regions")
    list_select_related = ("image",)
    search_fields = ("version", "image__publisher", "image__offer", "image__sku")
    ordering = ("image__publisher", "image__offer", "image__sku", "-sort_key")
    autocomplete_fields = ("image",)
    filter_horizontal = ("regions",)
    readonly_fields = ("sort_key",)
    date_hierarchy = "published_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = (
            super().get_queryset(request).annotate(region_total=Count("regions"))
        )
        return queryset

    @admin.display(description="regions", ordering="region_total")
    def region_count(self, version: PlatformImageVersion) -> int:
        return getattr(version, "region_total", 0)


@admin.register(Gallery)
class GalleryAdmin(RolloutAdmin):
    list_display = ("name", "resource_group", "location", "description")
    list_filter = ("location",)
    list_select_related = ("resource_group", "location")
    search_fields = ("name", "resource_group__name", "description")
    ordering = ("name",)
    autocomplete_fields = ("resource_group", "location")


@admin.register(GalleryImage)
class GalleryImageAdmin(RolloutAdmin):
    list_display = ("__str__", "gallery", "name", "os_type", "publisher", "offer", "sku")
    list_filter = ("os_type", "gallery")
    list_select_related = ("gallery",)
    search_fields = ("name", "gallery__name", "publisher", "offer", "sku")
    ordering = ("gallery__name", "name")
    autocomplete_fields = ("gallery",)


class GalleryImageReplicaInline(admin.TabularInline):  # type: ignore[type-arg]
    model = GalleryImageReplica
    extra = 0
    fields = (
        "region",
        "regional_replica_count",
        "exclude_from_latest",
        "state",
        "progress",
        "started_at",
        "completed_at",
    )
    autocomplete_fields = ("region",)


@admin.register(GalleryImageVersion)
class GalleryImageVersionAdmin(RolloutAdmin):
    inlines = (GalleryImageReplicaInline,)
    list_display = (
        "__str__",
        "name",
        "location",
        "exclude_from_latest",
        "published_at",
        "end_of_life_at",
        "provisioning_state",
    )
    list_filter = ("exclude_from_latest", "provisioning_state", "location", "image")
    list_select_related = ("image__gallery", "location")
    search_fields = ("name", "image__name", "image__gallery__name")
    ordering = ("image__gallery__name", "image__name", "-sort_key")
    autocomplete_fields = ("image", "location")
    readonly_fields = ("sort_key",)
    date_hierarchy = "published_at"


@admin.register(GalleryImageReplica)
class GalleryImageReplicaAdmin(RolloutAdmin):
    list_display = (
        "__str__",
        "region",
        "state",
        "progress",
        "exclude_from_latest",
        "regional_replica_count",
        "completed_at",
    )
    list_filter = ("state", "exclude_from_latest", "region")
    list_select_related = ("version__image__gallery", "region")
    search_fields = ("version__name", "version__image__name", "region__name")
    ordering = ("version__image__gallery__name", "version__image__name", "region__name")
    autocomplete_fields = ("version", "region")

"""Regions and the platform image catalogue (publisher / offer / SKU / versions)."""

from __future__ import annotations

from django.db import models

from rollout.models.choices import OsType


def version_sort_key(version: str) -> str:
    """Sort key for dotted versions: ``18.04.202401010`` sorts after ``18.04.20231201``.

    Each numeric part is zero-padded to 12 digits, so string order is version order.
    """
    parts = []
    for part in version.split("."):
        parts.append(part.zfill(12) if part.isdigit() else part)
    return ".".join(parts)


class Region(models.Model):
    name = models.SlugField(max_length=50, unique=True, help_text="Azure's name, e.g. westeurope.")
    display_name = models.CharField(max_length=100)
    paired_region = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Geo pair: never in the same rollout phase (T1).",
    )
    availability_zones = models.JSONField(default=list, blank=True, help_text='e.g. ["1","2","3"]')

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlatformImage(models.Model):
    """A platform image SKU; E3: whether it supports automatic OS upgrade is data."""

    publisher = models.CharField(max_length=100)
    offer = models.CharField(max_length=100)
    sku = models.CharField(max_length=100)
    os_type = models.CharField(max_length=10, choices=OsType.choices, default=OsType.LINUX)
    automatic_os_upgrade_supported = models.BooleanField(
        default=False,
        help_text="E3: automaticOSUpgradeProperties.automaticOSUpgradeSupported",
    )

    class Meta:
        ordering = ["publisher", "offer", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "offer", "sku"], name="platform_image_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publisher}:{self.offer}:{self.sku}"

    def latest_version(self, region: Region | None = None) -> PlatformImageVersion | None:
        """The newest version (available in ``region`` when given)."""
        versions = self.versions.all()
        if region is not None:
            versions = versions.filter(regions=region)
        return versions.order_by("-sort_key").first()


class PlatformImageVersion(models.Model):
    image = models.ForeignKey(PlatformImage, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    sort_key = models.CharField(max_length=200, editable=False, db_index=True)
    published_at = models.DateTimeField()
    regions = models.ManyToManyField(Region, related_name="platform_image_versions", blank=True)

    class Meta:
        ordering = ["image", "-sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "version"], name="platform_image_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image}:{self.version}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.sort_key = version_sort_key(self.version)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

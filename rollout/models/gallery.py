"""Azure Compute Gallery: galleries, image definitions, versions and their regional replicas."""

from __future__ import annotations

from django.db import models

from rollout.models.catalog import Region, version_sort_key
from rollout.models.choices import OsType, ProvisioningState, ReplicationState
from rollout.models.resources import ResourceGroup


class Gallery(models.Model):
    resource_group = models.ForeignKey(
        ResourceGroup, on_delete=models.CASCADE, related_name="galleries"
    )
    name = models.CharField(max_length=80)
    location = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "galleries"
        constraints = [
            models.UniqueConstraint(fields=["resource_group", "name"], name="gallery_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm_id(self) -> str:
        return f"{self.resource_group.arm_id}/providers/Microsoft.Compute/galleries/{self.name}"


class GalleryImage(models.Model):
    """An image definition; a scale set referencing it without a version follows its latest."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=80)
    os_type = models.CharField(max_length=10, choices=OsType.choices, default=OsType.LINUX)
    publisher = models.CharField(max_length=100, help_text="identifier.publisher")
    offer = models.CharField(max_length=100, help_text="identifier.offer")
    sku = models.CharField(max_length=100, help_text="identifier.sku")

    class Meta:
        ordering = ["gallery", "name"]
        constraints = [
            models.UniqueConstraint(fields=["gallery", "name"], name="gallery_image_unique")
        ]

    def __str__(self) -> str:
        return f"{self.gallery.name}/{self.name}"

    @property
    def arm_id(self) -> str:
        return f"{self.gallery.arm_id}/images/{self.name}"

    def latest_version(self, region: Region | None = None) -> GalleryImageVersion | None:
        """T4: the newest version not excluded from latest (and replicated to ``region``)."""
        versions = self.versions.filter(exclude_from_latest=False)
        if region is not None:
            versions = versions.filter(
                replicas__region=region,
                replicas__state=ReplicationState.COMPLETED,
                replicas__exclude_from_latest=False,
            )
        return versions.order_by("-sort_key").first()


class GalleryImageVersion(models.Model):
    image = models.ForeignKey(GalleryImage, on_delete=models.CASCADE, related_name="versions")
    name = models.CharField(max_length=64, help_text="Major.Minor.Patch")
    sort_key = models.CharField(max_length=200, editable=False, db_index=True)
    location = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    exclude_from_latest = models.BooleanField(
        default=False, help_text="T4: never rolled out automatically."
    )
    published_at = models.DateTimeField()
    end_of_life_at = models.DateTimeField(null=True, blank=True)
    provisioning_state = models.CharField(
        max_length=20, choices=ProvisioningState.choices, default=ProvisioningState.SUCCEEDED
    )

    class Meta:
        ordering = ["image", "-sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["image", "name"], name="gallery_image_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.image}/{self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.sort_key = version_sort_key(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def arm_id(self) -> str:
        return f"{self.image.arm_id}/versions/{self.name}"


class GalleryImageReplica(models.Model):
    """A version's replication to one target region (publishingProfile.targetRegions)."""

    version = models.ForeignKey(
        GalleryImageVersion, on_delete=models.CASCADE, related_name="replicas"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="gallery_replicas")
    regional_replica_count = models.PositiveSmallIntegerField(default=1)
    exclude_from_latest = models.BooleanField(default=False)
    state = models.CharField(
        max_length=20, choices=ReplicationState.choices, default=ReplicationState.REPLICATING
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "region"]
        constraints = [
            models.UniqueConstraint(fields=["version", "region"], name="gallery_replica_unique"),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="gallery_replica_progress_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} in {self.region}"

"""Scale sets, the model every instance follows, and their extensions."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from rollout.models.catalog import Region
from rollout.models.choices import (
    SCALE_IN_RULE_CHOICES,
    ImageKind,
    OsType,
    PatchMode,
    ProvisioningState,
    ScaleInRule,
    ServiceFabricDurability,
    UpgradeMode,
)
from rollout.models.gallery import GalleryImage
from rollout.models.network import HealthProbe
from rollout.models.resources import ResourceGroup

APPLICATION_HEALTH_PUBLISHER = "Microsoft.ManagedServices"
APPLICATION_HEALTH_TYPES = ("ApplicationHealthLinux", "ApplicationHealthWindows")
SERVICE_FABRIC_PUBLISHER = "Microsoft.Azure.ServiceFabric"
SERVICE_FABRIC_TYPES = ("ServiceFabricNode", "ServiceFabricLinuxNode")


class ScaleSet(models.Model):
    """A virtual machine scale set (Uniform orchestration) and its model.

    Field names follow Azure's wire names in snake case; defaults are Azure's.
    """

    resource_group = models.ForeignKey(
        ResourceGroup, on_delete=models.CASCADE, related_name="scale_sets"
    )
    name = models.CharField(max_length=64)
    location = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="scale_sets")
    zones = models.JSONField(
        default=list, blank=True, help_text='e.g. ["1","2","3"]; [] = regional'
    )
    tags = models.JSONField(default=dict, blank=True)
    unique_id = models.UUIDField(default=uuid.uuid4, editable=False)
    time_created = models.DateTimeField(auto_now_add=True)
    provisioning_state = models.CharField(
        max_length=20, choices=ProvisioningState.choices, default=ProvisioningState.SUCCEEDED
    )
    # sku
    sku_name = models.CharField(max_length=64, default="Standard_D2s_v3")
    sku_tier = models.CharField(max_length=20, default="Standard")
    capacity = models.PositiveIntegerField(default=2)
    # placement
    single_placement_group = models.BooleanField(default=True)
    platform_fault_domain_count = models.PositiveSmallIntegerField(default=1)
    # storageProfile.imageReference
    image_kind = models.CharField(
        max_length=10, choices=ImageKind.choices, default=ImageKind.PLATFORM
    )
    image_publisher = models.CharField(max_length=100, blank=True)
    image_offer = models.CharField(max_length=100, blank=True)
    image_sku = models.CharField(max_length=100, blank=True)
    image_version = models.CharField(
        max_length=64, default="latest", help_text="'latest' or a pinned version"
    )
    gallery_image = models.ForeignKey(
        GalleryImage, null=True, blank=True, on_delete=models.PROTECT, related_name="scale_sets"
    )
    custom_image_id = models.CharField(
        max_length=400, blank=True, help_text="imageReference.id of a non-gallery custom image"
    )
    # osProfile
    os_type = models.CharField(max_length=10, choices=OsType.choices, default=OsType.LINUX)
    computer_name_prefix = models.CharField(max_length=15, blank=True)
    admin_username = models.CharField(max_length=64, default="azureuser")
    custom_data = models.TextField(blank=True, help_text="Base64, as on the wire; runs on reimage.")
    enable_automatic_updates = models.BooleanField(
        default=True, help_text="windowsConfiguration.enableAutomaticUpdates (Windows only)"
    )
    user_data = models.TextField(
        blank=True, help_text="Base64; the VMs' userData; returned only with $expand=userData."
    )
    patch_mode = models.CharField(
        max_length=20, choices=PatchMode.choices, default=PatchMode.NOT_SET, blank=True
    )
    # upgradePolicy
    upgrade_mode = models.CharField(
        max_length=10, choices=UpgradeMode.choices, default=UpgradeMode.MANUAL
    )
    max_batch_instance_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(5), MaxValueValidator(100)]
    )
    max_unhealthy_instance_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(5), MaxValueValidator(100)]
    )
    max_unhealthy_upgraded_instance_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(100)]
    )
    pause_time_between_batches = models.DurationField(default=timedelta(0))
    enable_cross_zone_upgrade = models.BooleanField(default=False)
    prioritize_unhealthy_instances = models.BooleanField(default=False)
    rollback_failed_instances_on_policy_breach = models.BooleanField(default=False)
    max_surge = models.BooleanField(default=False)
    enable_automatic_os_upgrade = models.BooleanField(default=False)
    disable_automatic_rollback = models.BooleanField(default=False)
    use_rolling_upgrade_policy = models.BooleanField(default=False)
    os_rolling_upgrade_deferral = models.BooleanField(default=False)
    # scaleInPolicy
    scale_in_rule = models.CharField(
        max_length=10, choices=SCALE_IN_RULE_CHOICES, default=ScaleInRule.DEFAULT
    )
    scale_in_force_deletion = models.BooleanField(default=False)
    # networkProfile.healthProbe
    health_probe = models.ForeignKey(
        HealthProbe, null=True, blank=True, on_delete=models.PROTECT, related_name="scale_sets"
    )
    # Service Fabric node type (the cluster side of the durability agreement, E2)
    service_fabric_cluster_durability = models.CharField(
        max_length=10, choices=ServiceFabricDurability.choices, blank=True, default=""
    )
    service_fabric_stateless = models.BooleanField(
        default=False, help_text="Stateless-only node type (allows Bronze durability)."
    )
    # bookkeeping
    model_version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every model change that instances must apply (E5)."
    )
    auto_upgrade_first_enabled_at = models.DateTimeField(
        null=True, blank=True, help_text="T5: the first rollout may wait up to 3 hours after this."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource_group", "name"]
        constraints = [
            models.UniqueConstraint(
                "resource_group", Lower("name"), name="scale_set_name_unique_ci"
            ),
            models.CheckConstraint(
                condition=models.Q(max_batch_instance_percent__gte=5)
                & models.Q(max_batch_instance_percent__lte=100),
                name="scale_set_max_batch_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm_id(self) -> str:
        return (
            f"{self.resource_group.arm_id}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{self.name}"
        )

    @property
    def is_service_fabric(self) -> bool:
        return self.service_fabric_extension() is not None

    @property
    def image_label(self) -> str:
        """A short human label of the image reference."""
        if self.image_kind == ImageKind.PLATFORM:
            return (
                f"{self.image_publisher}:{self.image_offer}:{self.image_sku}:{self.image_version}"
            )
        if self.image_kind == ImageKind.GALLERY and self.gallery_image is not None:
            return f"{self.gallery_image}:{self.image_version}"
        return self.custom_image_id

    def application_health_extension(self) -> Extension | None:
        for extension in self.extensions.all():
            if extension.is_application_health:
                return extension
        return None

    def service_fabric_extension(self) -> Extension | None:
        for extension in self.extensions.all():
            if extension.is_service_fabric:
                return extension
        return None


class Extension(models.Model):
    """One extension of a scale set's extension profile."""

    scale_set = models.ForeignKey(ScaleSet, on_delete=models.CASCADE, related_name="extensions")
    name = models.CharField(max_length=100)
    publisher = models.CharField(max_length=100)
    extension_type = models.CharField(max_length=100, help_text="properties.type")
    type_handler_version = models.CharField(max_length=20, default="1.0")
    auto_upgrade_minor_version = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    protected_settings = models.JSONField(default=dict, blank=True)
    provision_after_extensions = models.JSONField(default=list, blank=True)
    credential_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Expiry of a SAS token or other credential in the settings (U9).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scale_set", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["scale_set", "name"], name="extension_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.publisher}.{self.extension_type} {self.type_handler_version})"

    @property
    def is_application_health(self) -> bool:
        return (
            self.publisher == APPLICATION_HEALTH_PUBLISHER
            and self.extension_type in APPLICATION_HEALTH_TYPES
        )

    @property
    def is_service_fabric(self) -> bool:
        return (
            self.publisher == SERVICE_FABRIC_PUBLISHER
            and self.extension_type in SERVICE_FABRIC_TYPES
        )


def provisioning_order(extensions: list[Extension]) -> list[Extension]:
    """U3: extensions in their sequencing order (provisionAfterExtensions), stable by position.

    A cycle or a reference to a missing extension is ignored: the remaining ones follow in
    position order, as the platform would rather provision than hang.
    """
    by_name = {extension.name: extension for extension in extensions}
    ordered: list[Extension] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(extension: Extension) -> None:
        if extension.name in done or extension.name in visiting:
            return
        visiting.add(extension.name)
        for dependency in extension.provision_after_extensions:
            if dependency in by_name:
                visit(by_name[dependency])
        visiting.discard(extension.name)
        done.add(extension.name)
        ordered.append(extension)

    for extension in sorted(extensions, key=lambda e: (e.position, e.name)):
        visit(extension)
    return ordered

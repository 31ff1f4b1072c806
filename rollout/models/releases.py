"""Automatic upgrades across the fleet: releases (T1, T2, T4), trigger policies (T5),
maintenance configurations (T7) and the simulated gallery replication (T4).

A **release** is one image version being rolled out automatically to every scale set that
follows its image: a platform release (publishing a platform image version) is planned in
phases of regions, availability first; a gallery release (a Compute Gallery version replicated
to a region) is steered region by region by its replication. Each scale set it covers is a
**target**; a target's ``operation`` is the automatic upgrade that carried it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from rollout.models.catalog import PlatformImageVersion, Region
from rollout.models.gallery import GalleryImageReplica, GalleryImageVersion
from rollout.models.resources import ResourceGroup
from rollout.models.scale_sets import ScaleSet
from rollout.models.upgrades import UpgradeOperation

# T7: Azure's maintenance configurations with the osimage scope need windows of 5 hours or more.
MINIMUM_WINDOW = timedelta(hours=5)
MAXIMUM_WINDOW = timedelta(hours=23, minutes=55)


class ReleaseKind(models.TextChoices):
    PLATFORM = "platform", "Platform image"
    GALLERY = "gallery", "Compute Gallery image"


class ReleaseStatus(models.TextChoices):
    ROLLING = "Rolling"
    COMPLETED = "Completed", "Completed (every target upgraded or skipped)"
    STOPPED = "Stopped", "Stopped (an upgrade faulted; nothing new starts)"
    SUPERSEDED = "Superseded", "Superseded (a newer version took over some targets)"


class TargetState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"


# A phase is complete when each of its targets is in one of these states (T1).
DONE_TARGET_STATES = (TargetState.SUCCEEDED, TargetState.SKIPPED, TargetState.SUPERSEDED)
OPEN_TARGET_STATES = (TargetState.PENDING, TargetState.RUNNING)


class Release(models.Model):
    """One image version rolled out automatically (see the module docstring)."""

    kind = models.CharField(max_length=10, choices=ReleaseKind.choices)
    platform_version = models.OneToOneField(
        PlatformImageVersion,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="release",
    )
    gallery_version = models.OneToOneField(
        GalleryImageVersion,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="release",
    )
    image_label = models.CharField(max_length=300, help_text="publisher:offer:sku or gallery/image")
    version = models.CharField(max_length=64)
    sort_key = models.CharField(max_length=200, editable=False, db_index=True)
    status = models.CharField(
        max_length=12, choices=ReleaseStatus.choices, default=ReleaseStatus.ROLLING
    )
    status_reason = models.TextField(blank=True, help_text="Why it stopped, ended or resumed.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was published (B7).")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="platform",
                        platform_version__isnull=False,
                        gallery_version__isnull=True,
                    )
                    | models.Q(
                        kind="gallery",
                        platform_version__isnull=True,
                        gallery_version__isnull=False,
                    )
                ),
                name="release_has_one_version_of_its_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} release {self.image_label}:{self.version}"

    @property
    def is_open(self) -> bool:
        """It may still start upgrades (possibly after being resumed)."""
        return self.status == ReleaseStatus.ROLLING


class ReleasePhase(models.Model):
    """T1: a set of regions of a platform release; phase N starts once phase N-1 is done."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="phases")
    index = models.PositiveSmallIntegerField(help_text="0-based; shown as phase index + 1.")
    regions = models.ManyToManyField(Region, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "index"]
        constraints = [
            models.UniqueConstraint(fields=["release", "index"], name="release_phase_unique")
        ]

    def __str__(self) -> str:
        return f"phase {self.index + 1} of {self.release}"


class ReleaseTarget(models.Model):
    """One scale set covered by a release, and the automatic upgrade that carried it."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="targets")
    scale_set = models.ForeignKey(
        ScaleSet, on_delete=models.CASCADE, related_name="release_targets"
    )
    phase = models.ForeignKey(
        ReleasePhase, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(
        default=0, help_text="T2: order inside its region (smaller scale sets first)."
    )
    state = models.CharField(
        max_length=12, choices=TargetState.choices, default=TargetState.PENDING
    )
    eligible_at = models.DateTimeField(
        null=True, blank=True, help_text="T5: when the version became eligible for it."
    )
    operation = models.ForeignKey(
        UpgradeOperation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="release_targets",
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "phase__index", "region__name", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "scale_set"], name="release_target_unique")
        ]
        indexes = [models.Index(fields=["release", "state"])]

    def __str__(self) -> str:
        return f"{self.scale_set} in {self.release}"


class TriggerPolicy(models.Model):
    """T5: when an eligible version starts rolling to a scale set; Azure's delays by default.

    ``immediate`` starts a newly eligible version at once (within seconds of its publication
    or replication). Delays are nominal: ``ROLLWRIGHT_TIME_SCALE`` divides them.
    """

    name = models.CharField(max_length=80, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Applies to scale sets not assigned another policy."
    )
    immediate = models.BooleanField(default=False)
    first_rollout_max_delay = models.DurationField(
        default=timedelta(hours=3),
        help_text="The first rollout after auto-upgrade is first enabled waits up to this long.",
    )
    min_delay = models.DurationField(
        default=timedelta(minutes=30), help_text="Later rollouts wait at least this long..."
    )
    max_delay = models.DurationField(
        default=timedelta(minutes=60), help_text="...and at most this long after eligibility."
    )
    seed = models.IntegerField(default=0, help_text="Seeds the deterministic jitter.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "trigger policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_trigger_policy",
            ),
            models.CheckConstraint(
                condition=models.Q(min_delay__lte=models.F("max_delay")),
                name="trigger_policy_min_delay_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TriggerPolicyAssignment(models.Model):
    scale_set = models.OneToOneField(
        ScaleSet, on_delete=models.CASCADE, related_name="trigger_policy_assignment"
    )
    policy = models.ForeignKey(TriggerPolicy, on_delete=models.CASCADE, related_name="assignments")

    def __str__(self) -> str:
        return f"{self.scale_set} follows {self.policy}"


class MaintenanceScope(models.TextChoices):
    OS_IMAGE = "OSImage"


class MaintenanceConfiguration(models.Model):
    """T7: Azure's maintenance configuration (``Microsoft.Maintenance``) with the osimage scope.

    A window opens at ``start_time`` (wall clock in ``time_zone``) on each day its recurrence
    names, from ``start_date`` on, and lasts ``duration``. ``recur_every`` uses Azure's syntax:
    ``Day``, ``3Days``, ``Week``, ``2Weeks Saturday,Sunday``.
    """

    resource_group = models.ForeignKey(
        ResourceGroup, on_delete=models.CASCADE, related_name="maintenance_configurations"
    )
    name = models.CharField(max_length=80)
    location = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    maintenance_scope = models.CharField(
        max_length=10, choices=MaintenanceScope.choices, default=MaintenanceScope.OS_IMAGE
    )
    start_date = models.DateField(help_text="startDateTime's date, in the time zone.")
    start_time = models.TimeField(help_text="startDateTime's time of day, in the time zone.")
    duration = models.DurationField(
        default=MINIMUM_WINDOW, validators=[MinValueValidator(MINIMUM_WINDOW)]
    )
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA, e.g. Europe/Paris")
    recur_every = models.CharField(max_length=100, default="Day")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["resource_group", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_group", "name"], name="maintenance_configuration_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(duration__gte=MINIMUM_WINDOW),
                name="maintenance_window_at_least_5_hours",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm_id(self) -> str:
        return (
            f"{self.resource_group.arm_id}/providers/Microsoft.Maintenance/"
            f"maintenanceConfigurations/{self.name}"
        )


class MaintenanceConfigurationAssignment(models.Model):
    """A scale set bound to a maintenance configuration (Azure's configurationAssignments)."""

    scale_set = models.OneToOneField(
        ScaleSet, on_delete=models.CASCADE, related_name="maintenance_assignment"
    )
    configuration = models.ForeignKey(
        MaintenanceConfiguration, on_delete=models.CASCADE, related_name="assignments"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.scale_set} in {self.configuration}"


class ReplicationSchedule(models.Model):
    """How the simulated replication of one gallery replica progresses (T4, B2).

    Made when the replication engine first sees the replica replicating: it goes from
    ``from_progress`` to 100% over ``duration`` (nominal, time-scaled) from ``began_at``; with
    ``fail_at_percent`` set it fails on reaching it (rehearsal).
    """

    replica = models.OneToOneField(
        GalleryImageReplica, on_delete=models.CASCADE, related_name="schedule"
    )
    began_at = models.DateTimeField()
    from_progress = models.PositiveSmallIntegerField(default=0)
    duration = models.DurationField()
    fail_at_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="B2: the replication fails on reaching this percent."
    )
    failure_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"replication of {self.replica}"


class GalleryReplication(GalleryImageReplica):
    """The replicas as the replication engine shows them, with its actions (admin, B2)."""

    class Meta:
        proxy = True
        verbose_name = "gallery replication"

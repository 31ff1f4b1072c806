"""Upgrade operations, their batches and per-instance upgrades, the event log and fault rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# Re-exported (``as``): rollout.models' own names for the engine's enums.
from orchestrator.model import InstanceUpgradeState as InstanceUpgradeState
from orchestrator.model import RunningStatus as RunningStatus
from orchestrator.policy import UpgradeKind as UpgradeKind
from rollout.models.choices import choices_of
from rollout.models.instances import Instance, OsDisk
from rollout.models.scale_sets import ScaleSet

# The engine's enums are the models' own (one source, SPEC's states); the labels are the
# admin's and the forms' words, as migrated.
UPGRADE_KIND_CHOICES = choices_of(
    UpgradeKind,
    {UpgradeKind.AUTOMATIC: "Automatic OS upgrade", UpgradeKind.MANUAL: "Manual OS upgrade (M1)"},
)
RUNNING_STATUS_CHOICES = choices_of(RunningStatus)  # Azure's RollingUpgradeStatusCode
INSTANCE_UPGRADE_STATE_CHOICES = choices_of(
    InstanceUpgradeState,
    {
        InstanceUpgradeState.WAITING_FOR_HEALTH: "waiting for health",
        InstanceUpgradeState.ROLLING_BACK: "rolling back",
        InstanceUpgradeState.ROLLED_BACK: "rolled back",
        InstanceUpgradeState.ROLLBACK_FAILED: "rollback failed",
    },
)
ACTIVE_STATUSES = tuple(status for status in RunningStatus if not status.is_final)


class StartedBy(models.TextChoices):
    PLATFORM = "Platform"
    USER = "User"
    UNKNOWN = "Unknown"


class LastAction(models.TextChoices):
    START = "Start"
    CANCEL = "Cancel"


class UpgradeOperation(models.Model):
    """One OS upgrade of one scale set; the database allows one active per scale set."""

    scale_set = models.ForeignKey(ScaleSet, on_delete=models.CASCADE, related_name="upgrades")
    kind = models.CharField(max_length=10, choices=UPGRADE_KIND_CHOICES)
    started_by = models.CharField(max_length=10, choices=StartedBy.choices)
    started_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_image_version = models.CharField(max_length=64)
    target_model_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="upgradePolicy.mode Rolling: the scale set model this rollout applies.",
    )
    target_image_reference = models.JSONField(
        default=dict, help_text="imageReference as on the wire (publisher/offer/sku/version or id)."
    )
    location = models.CharField(max_length=50)
    status = models.CharField(
        max_length=20, choices=RUNNING_STATUS_CHOICES, default=RunningStatus.ROLLING_FORWARD
    )
    last_action = models.CharField(
        max_length=10, choices=LastAction.choices, default=LastAction.START
    )
    last_action_at = models.DateTimeField()
    started_at = models.DateTimeField()
    planned_at = models.DateTimeField(
        null=True, blank=True, help_text="When the engine made the batch plan (StartOperation)."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    automatic_rollback = models.BooleanField(
        default=True, help_text="U4; never for a manual upgrade (M1) or disableAutomaticRollback."
    )
    os_rolling_upgrade_deferral = models.BooleanField(
        default=False,
        help_text="S2: each instance is notified and reimaged only once approved (automatic).",
    )
    policy = models.JSONField(
        default=dict, help_text="The rolling upgrade policy applied (wire names)."
    )
    cancel_requested = models.BooleanField(default=False)
    pause_requested = models.BooleanField(default=False)
    is_paused = models.BooleanField(default=False)
    batch_count = models.PositiveIntegerField(default=0)
    current_batch_index = models.IntegerField(
        null=True, blank=True, help_text="The open batch (0-based), kept for lists and pages."
    )
    next_look_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the engine wants to look again."
    )
    step_count = models.PositiveIntegerField(default=0)
    # progress (Azure's four counts) and rollbackInfo, kept current by every step
    successful_instance_count = models.PositiveIntegerField(default=0)
    failed_instance_count = models.PositiveIntegerField(default=0)
    in_progress_instance_count = models.PositiveIntegerField(default=0)
    pending_instance_count = models.PositiveIntegerField(default=0)
    rolled_back_instance_count = models.PositiveIntegerField(default=0)
    failed_rollback_instance_count = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="The last decision's reasons.")
    expected_duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scale_set"],
                condition=models.Q(status__in=["RollingForward", "RollingBack"]),
                name="one_active_upgrade_per_scale_set",
            )
        ]
        indexes = [
            models.Index(fields=["scale_set", "-started_at"]),
            # Fleet scale: beat's sweep of overdue operations (stepping.overdue_operations).
            models.Index(fields=["status", "next_look_at"], name="upgrade_op_next_look"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.scale_set} to {self.target_image_version}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class UpgradeBatch(models.Model):
    operation = models.ForeignKey(
        UpgradeOperation, on_delete=models.CASCADE, related_name="batches"
    )
    index = models.PositiveIntegerField()
    zones = models.JSONField(default=list, blank=True)
    update_domain = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["operation", "index"]
        verbose_name_plural = "upgrade batches"  # not Django's "batchs"
        constraints = [
            models.UniqueConstraint(fields=["operation", "index"], name="upgrade_batch_unique")
        ]

    def __str__(self) -> str:
        return f"batch {self.index + 1} of {self.operation_id}"


class InstanceUpgrade(models.Model):
    operation = models.ForeignKey(
        UpgradeOperation, on_delete=models.CASCADE, related_name="instance_upgrades"
    )
    batch = models.ForeignKey(
        UpgradeBatch,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="instance_upgrades",
    )
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="upgrades")
    state = models.CharField(
        max_length=20, choices=INSTANCE_UPGRADE_STATE_CHOICES, default=InstanceUpgradeState.PENDING
    )
    old_os_disk = models.ForeignKey(
        OsDisk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_os_disk = models.ForeignKey(
        OsDisk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reimage_started_at = models.DateTimeField(null=True, blank=True)
    reimage_completed_at = models.DateTimeField(null=True, blank=True)
    health_deadline = models.DateTimeField(null=True, blank=True)
    rollback_started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    # S2 osRollingUpgradeDeferral: when the VM was told (Platform.PendingOSUpgrade), and when
    # approveRollingUpgrade reached it (by whom: the APPROVED event).
    notified_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["operation", "batch__index", "instance__instance_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "instance"], name="instance_upgrade_unique"
            )
        ]
        # Fleet scale: a step counts the rows by state and loads the failed and rolling-back.
        indexes = [models.Index(fields=["operation", "state"], name="instance_upgrade_state")]

    def __str__(self) -> str:
        return f"{self.instance} {self.state}"


class EventKind(models.TextChoices):
    ENABLED = "auto_upgrade_enabled", "auto-upgrade enabled"
    DISABLED = "auto_upgrade_disabled", "auto-upgrade disabled"
    MODEL_UPDATED = "model_updated", "model updated"
    UPGRADE_STARTED = "upgrade_started", "upgrade started"
    UPGRADE_FINISHED = "upgrade_finished", "upgrade finished"
    BATCH_STARTED = "batch_started", "batch started"
    BATCH_COMPLETED = "batch_completed", "batch completed"
    INSTANCE_CHANGED = "instance_changed", "instance changed"
    DECISION = "decision", "decision"
    CANCEL_REQUESTED = "cancel_requested", "cancel requested"
    PAUSE_REQUESTED = "pause_requested", "pause requested"
    PAUSED = "paused", "paused"
    RESUMED = "resumed", "resumed"
    FAULT_RULE_ADDED = "fault_rule_added", "fault rule added"
    FAULT_RULE_REMOVED = "fault_rule_removed", "fault rule removed"
    IMAGE_PUBLISHED = "image_published", "image published"
    # Releases, replication and maintenance windows (rollout.services.releases, .gallery).
    RELEASE_PHASE_STARTED = "release_phase_started", "release phase started"
    RELEASE_STOPPED = "release_stopped", "release stopped"
    RELEASE_RESUMED = "release_resumed", "release resumed"
    RELEASE_ENDED = "release_ended", "release ended"
    REPLICATION_COMPLETED = "replication_completed", "replication completed"
    REPLICATION_FAILED = "replication_failed", "replication failed"
    REPLICATION_RESTARTED = "replication_restarted", "replication restarted"
    MAINTENANCE_CONFIGURED = "maintenance_configured", "maintenance window configured"
    MAINTENANCE_ASSIGNED = "maintenance_assigned", "maintenance window assigned"
    TRIGGER_POLICY_ASSIGNED = "trigger_policy_assigned", "trigger policy assigned"
    # Access (R1): who was given or lost which role where (rollout.services.access).
    ROLE_ASSIGNED = "role_assigned", "role assigned"
    ROLE_REMOVED = "role_removed", "role assignment removed"
    # Gates, checkpoints and notifications (G1-G4; rollout.services.gates, .notifications).
    NOTIFICATION_TARGET_CHANGED = "notification_target_changed", "notification target changed"
    GATE_CHANGED = "gate_changed", "gate changed"
    GATE_MEASURED = "gate_measured", "gate measured"
    CHECKPOINT_REACHED = "checkpoint_reached", "checkpoint reached"
    PROMOTED = "promoted", "promoted"
    # Instance actions (rollout.services.scale_sets.vm_actions): reimage, power, delete, protect.
    INSTANCE_ACTION = "instance_action", "instance action"
    INSTANCE_UPDATED = "instance_updated", "instance updated"
    # S2: approveRollingUpgrade (who approved which instances).
    UPGRADE_APPROVED = "upgrade_approved", "upgrade approved"


class Event(models.Model):
    """The append-only event log: the live feed, the audit trail (B7) and replay's source (B3)."""

    id = models.BigAutoField(primary_key=True)
    # The audit trail outlives what it speaks of: deleting a scale set keeps its events.
    scale_set = models.ForeignKey(
        ScaleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    operation = models.ForeignKey(
        UpgradeOperation, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="'Platform' or a user.")
    reason = models.TextField(blank=True, help_text="Why, as the actor said or the rule id.")
    data = models.JSONField(default=dict, blank=True)
    # The scale set's stream position: allocated in commit order under the scale set's stream
    # row lock (rollout.events.streams); null for an event of no scale set.
    sequence = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["scale_set", "id"]),
            models.Index(fields=["operation", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["scale_set", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="event_sequence_unique_per_scale_set",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind}"


class FaultKind(models.TextChoices):
    NEVER_HEALTHY = "never_healthy", "never healthy"
    HEALTHY_AFTER = "healthy_after", "healthy after N seconds"
    UNHEALTHY_AFTER = "unhealthy_after", "unhealthy again after N seconds"
    EXTENSION_FAILS = "extension_fails", "extension provisioning fails"
    REIMAGE_FAILS = "reimage_fails", "reimage fails"
    ROLLBACK_FAILS = "rollback_fails", "rollback fails"


class FaultRule(models.Model):
    """B2 rehearsal: make chosen instances of a scale set fail in a chosen way."""

    scale_set = models.ForeignKey(ScaleSet, on_delete=models.CASCADE, related_name="fault_rules")
    kind = models.CharField(max_length=20, choices=FaultKind.choices)
    seconds = models.FloatField(null=True, blank=True, help_text="N, for the *_after kinds.")
    instance_ids = models.JSONField(default=list, blank=True, help_text="e.g. [0, 3]")
    share = models.FloatField(null=True, blank=True, help_text="0-1: a seeded share of instances.")
    zone = models.CharField(max_length=5, blank=True)
    image_version = models.CharField(
        max_length=64, blank=True, help_text="Only when the instance runs this version."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["scale_set", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share__isnull=True)
                | (models.Q(share__gte=0) & models.Q(share__lte=1)),
                name="fault_rule_share_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.scale_set}"

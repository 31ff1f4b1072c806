"""External gates (G1), checkpoints and bake time (G4): their settings per scale set, and what
each upgrade measured and waited for.

A gate run is one analysis of a scale set's gates at one point of one upgrade: before a batch,
or during the bake time after one. Its measurements are events too (the decision panel,
history and replay read them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orchestrator.gates.model import GatePhase, GateVerdict
from rollout.models.choices import choices_of
from rollout.models.scale_sets import ScaleSet
from rollout.models.upgrades import UpgradeOperation

GATE_VERDICT_CHOICES = choices_of(GateVerdict)
GATE_PHASE_CHOICES = choices_of(
    GatePhase, {GatePhase.BEFORE_BATCH: "before a batch", GatePhase.BAKE: "bake time"}
)


class GateKind(models.TextChoices):
    PROMETHEUS = "prometheus", "Prometheus query"
    HTTP = "http", "HTTP check"


class Gate(models.Model):
    """One external check of a scale set, in Argo Rollouts' analysis vocabulary."""

    scale_set = models.ForeignKey(ScaleSet, on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=GateKind.choices)
    url = models.CharField(
        max_length=2000,
        help_text="Prometheus: its base URL (http://prometheus:9090). HTTP check: the URL to GET.",
    )
    query = models.TextField(blank=True, help_text="Prometheus: the PromQL expression.")
    success_condition = models.CharField(
        max_length=500,
        blank=True,
        help_text="e.g. result < 0.01 (Prometheus: the first sample's value; HTTP: the JSON "
        "answer, and status the HTTP status). HTTP without conditions: a 2xx answer succeeds.",
    )
    failure_condition = models.CharField(
        max_length=500,
        blank=True,
        help_text="Optional. With both conditions, a measurement meeting neither is inconclusive.",
    )
    timeout_seconds = models.FloatField(default=10.0)
    interval_seconds = models.FloatField(
        default=60.0, help_text="Between measurements (a domain duration: time-scaled)."
    )
    count = models.PositiveIntegerField(
        default=1, help_text="Measurements before each batch (during bake: until it ends)."
    )
    failure_limit = models.PositiveIntegerField(
        default=0, help_text="Failed measurements tolerated; one more fails the gate."
    )
    inconclusive_limit = models.PositiveIntegerField(
        default=0, help_text="Inconclusive measurements tolerated; one more pauses the upgrade."
    )
    consecutive_error_limit = models.PositiveIntegerField(
        default=4, help_text="Errors in a row tolerated (unreachable, timeout, bad answer)."
    )
    enabled = models.BooleanField(default=True)
    forced_verdict = models.CharField(
        max_length=15,
        choices=GATE_VERDICT_CHOICES,
        blank=True,
        help_text="Rehearsal (B2): every measurement gives this verdict, without asking the URL.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scale_set", "name"]
        constraints = [
            models.UniqueConstraint(fields=["scale_set", "name"], name="gate_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CheckpointPolicy(models.Model):
    """G4: a scale set's checkpoints and bake time (its absence: none)."""

    scale_set = models.OneToOneField(
        ScaleSet, on_delete=models.CASCADE, related_name="checkpoint_policy"
    )
    checkpoints = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"percent": 20, "delaySeconds": 600}, {"percent": 50}]: no delay = hold '
        "until promoted.",
    )
    bake_seconds = models.FloatField(
        default=0.0, help_text="After each batch, gates keep measuring this long (time-scaled)."
    )

    def __str__(self) -> str:
        return f"checkpoints of {self.scale_set}"


class GateRun(models.Model):
    operation = models.ForeignKey(
        UpgradeOperation, on_delete=models.CASCADE, related_name="gate_runs"
    )
    batch_index = models.PositiveIntegerField(
        help_text="Before a batch: the batch about to start; bake: the batch that just ended."
    )
    phase = models.CharField(max_length=15, choices=GATE_PHASE_CHOICES)
    started_at = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True, help_text="Bake: when measuring ends.")
    next_measurement_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(max_length=15, choices=GATE_VERDICT_CHOICES, blank=True)
    message = models.TextField(blank=True)
    paused_at = models.DateTimeField(
        null=True, blank=True, help_text="When its inconclusive verdict paused the upgrade."
    )
    tallies = models.JSONField(default=dict, blank=True, help_text="Per gate: counts so far.")

    class Meta:
        ordering = ["operation", "id"]

    def __str__(self) -> str:
        return f"gates {self.phase} batch {self.batch_index + 1} of {self.operation_id}"


class GateMeasurement(models.Model):
    run = models.ForeignKey(GateRun, on_delete=models.CASCADE, related_name="measurements")
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL)
    gate_name = models.CharField(max_length=64)
    gate_kind = models.CharField(max_length=12, choices=GateKind.choices)
    at = models.DateTimeField()
    value = models.FloatField(null=True, blank=True)
    answer = models.TextField(blank=True, help_text="What was measured, as text (truncated).")
    condition = models.CharField(max_length=500, blank=True)
    verdict = models.CharField(max_length=15, choices=GATE_VERDICT_CHOICES)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.gate_name}: {self.verdict}"


class CheckpointHold(models.Model):
    """G4: a checkpoint reached by an upgrade, and its promotion."""

    operation = models.ForeignKey(
        UpgradeOperation, on_delete=models.CASCADE, related_name="checkpoint_holds"
    )
    percent = models.PositiveSmallIntegerField()
    batch_index = models.PositiveIntegerField(help_text="The last batch before the checkpoint.")
    reached_at = models.DateTimeField()
    delay_seconds = models.FloatField(null=True, blank=True, help_text="None: until promoted.")
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["operation", "percent"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "percent"], name="checkpoint_once")
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.percent}% of {self.operation_id}"

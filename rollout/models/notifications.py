"""Notifications (G2): where events are sent (targets), and every delivery and attempt.

A delivery row is written in the same transaction as the event it tells of, so a receiver that
is down loses nothing: the row waits, with its attempts, until it is delivered or given up.
"""

from __future__ import annotations

import secrets

from django.db import models

from rollout.models.resources import ResourceGroup
from rollout.models.scale_sets import ScaleSet
from rollout.models.upgrades import Event


class NotificationTopic(models.TextChoices):
    """What a target may subscribe to; the wire name is the ``topic`` of the JSON body."""

    UPGRADE_STARTED = "upgrade.started", "upgrade started"
    BATCH_STARTED = "batch.started", "batch started"
    BATCH_COMPLETED = "batch.completed", "batch completed"
    INSTANCE_ROLLED_BACK = "instance.rolled_back", "instance rolled back"
    UPGRADE_PAUSED = "upgrade.paused", "upgrade paused"
    UPGRADE_RESUMED = "upgrade.resumed", "upgrade resumed"
    UPGRADE_COMPLETED = "upgrade.completed", "upgrade completed"
    UPGRADE_FAULTED = "upgrade.faulted", "upgrade faulted"
    UPGRADE_CANCELLED = "upgrade.cancelled", "upgrade cancelled"
    GATE_FAILED = "gate.failed", "gate failed"
    RELEASE_PHASE_STARTED = "release.phase_started", "release phase started"
    RELEASE_STOPPED = "release.stopped", "release stopped"
    APPROVAL_AWAITED = "approval.awaited", "approval awaited"


class TargetKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON, HMAC-SHA256 signed)"
    APPRISE = "apprise", "Chat or mail (Apprise URL)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    GAVE_UP = "gave_up", "gave up"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class NotificationTarget(models.Model):
    """A webhook or an Apprise URL subscribed to some topics of some scale sets."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=TargetKind.choices, default=TargetKind.WEBHOOK)
    url = models.CharField(
        max_length=2000,
        help_text="Webhook: the https:// or http:// URL to POST to. Apprise: one Apprise URL "
        "(slack://..., msteams://..., mailto://..., json://...).",
    )
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        blank=True,
        help_text="Webhook: the HMAC-SHA256 key of the X-Rollwright-Signature header.",
    )
    topics = models.JSONField(
        default=list, blank=True, help_text="Topics to send; empty sends every topic."
    )
    # Scope: a scale set, a resource group, or (both empty) every scale set and every release.
    scale_set = models.ForeignKey(
        ScaleSet, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resource_group = models.ForeignKey(
        ResourceGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A worker delivering this target's queue holds it until then (a claim by conditional
    # UPDATE, so deliveries go out one at a time, in order, whatever the number of workers).
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One event to send to one target; sent in id order per target."""

    target = models.ForeignKey(
        NotificationTarget, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(max_length=30, choices=NotificationTopic.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(db_index=True)
    attempt_count = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["target", "status", "id"])]

    def __str__(self) -> str:
        return f"{self.topic} to {self.target_id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    duration_ms = models.FloatField()
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

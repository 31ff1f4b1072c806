"""Subscriptions and resource groups: the ARM containers every resource lives in."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower


class Subscription(models.Model):
    subscription_id = models.CharField(max_length=36, unique=True, help_text="A GUID.")
    display_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription_id"]

    def __str__(self) -> str:
        return self.display_name or self.subscription_id

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}"


class ResourceGroup(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="resource_groups"
    )
    name = models.CharField(max_length=90)
    location = models.CharField(max_length=50)
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # ARM names are case-insensitive.
            models.UniqueConstraint(
                "subscription", Lower("name"), name="resource_group_name_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm_id(self) -> str:
        return f"{self.subscription.arm_id}/resourceGroups/{self.name}"

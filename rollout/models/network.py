"""Load balancers and their health probes (a scale set's application health signal)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rollout.models.catalog import Region
from rollout.models.choices import LoadBalancerSku, ProbeProtocol
from rollout.models.resources import ResourceGroup


class LoadBalancer(models.Model):
    resource_group = models.ForeignKey(
        ResourceGroup, on_delete=models.CASCADE, related_name="load_balancers"
    )
    name = models.CharField(max_length=80)
    location = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(
        max_length=10, choices=LoadBalancerSku.choices, default=LoadBalancerSku.STANDARD
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["resource_group", "name"], name="load_balancer_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm_id(self) -> str:
        return f"{self.resource_group.arm_id}/providers/Microsoft.Network/loadBalancers/{self.name}"


class HealthProbe(models.Model):
    load_balancer = models.ForeignKey(LoadBalancer, on_delete=models.CASCADE, related_name="probes")
    name = models.CharField(max_length=80)
    protocol = models.CharField(max_length=5, choices=ProbeProtocol.choices)
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)])
    request_path = models.CharField(max_length=200, blank=True, help_text="Http and Https only.")
    interval_in_seconds = models.PositiveIntegerField(default=15, validators=[MinValueValidator(5)])
    number_of_probes = models.PositiveIntegerField(default=2, validators=[MinValueValidator(1)])
    probe_threshold = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Consecutive results needed to change the verdict.",
    )
    endpoint = models.CharField(
        max_length=200,
        blank=True,
        help_text="host:port of a real endpoint to probe; blank: the simulated provider answers.",
    )

    class Meta:
        ordering = ["load_balancer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["load_balancer", "name"], name="health_probe_unique")
        ]

    def __str__(self) -> str:
        return f"{self.load_balancer.name}/{self.name}"

    @property
    def arm_id(self) -> str:
        return f"{self.load_balancer.arm_id}/probes/{self.name}"

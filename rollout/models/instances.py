"""Instances of a scale set and their disks (kept in the database by the simulated provider)."""

from __future__ import annotations

from django.db import models

from rollout.models.choices import DiskState, HealthState, PowerState, ProvisioningState
from rollout.models.scale_sets import ScaleSet


class Instance(models.Model):
    scale_set = models.ForeignKey(ScaleSet, on_delete=models.CASCADE, related_name="instances")
    instance_id = models.PositiveIntegerField(help_text="Azure's instanceId, 0, 1, 2...")
    zone = models.CharField(max_length=5, blank=True)
    fault_domain = models.PositiveSmallIntegerField(default=0)
    update_domain = models.PositiveSmallIntegerField(default=0)
    power_state = models.CharField(
        max_length=15,
        choices=PowerState.choices,
        default=PowerState.RUNNING,
        help_text="Set by an operator (e.g. deallocated); reimages and faults act on top of it.",
    )
    provisioning_state = models.CharField(
        max_length=20, choices=ProvisioningState.choices, default=ProvisioningState.SUCCEEDED
    )
    health_state = models.CharField(
        max_length=15,
        choices=HealthState.choices,
        default=HealthState.HEALTHY,
        help_text="Application health as the probe or the health extension last reported it.",
    )
    extension_states = models.JSONField(
        default=dict, blank=True, help_text="Extension name → provisioning state (U8)."
    )
    os_disk = models.ForeignKey(
        "OsDisk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.PositiveIntegerField(
        default=1, help_text="The scale set model_version this instance runs (E5)."
    )
    # The simulated provider's record of what was done to the VM (orchestrator.behaviour).
    kept_os_disk = models.ForeignKey(
        "OsDisk",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="U3: the previous OS disk, kept until the VM is judged healthy.",
    )
    reimage_target = models.CharField(max_length=64, blank=True)
    reimage_started_at = models.DateTimeField(null=True, blank=True)
    restore_started_at = models.DateTimeField(null=True, blank=True)
    # protectionPolicy (instance protection): set per VM, never on the scale set's model.
    protect_from_scale_in = models.BooleanField(
        default=False, help_text="Not removed by a capacity decrease (scale-in)."
    )
    protect_from_scale_set_actions = models.BooleanField(
        default=False,
        help_text="Left out of actions started on the scale set: model updates, reimage-all, "
        "OS upgrades, scale-in.",
    )
    user_data = models.TextField(
        blank=True, help_text="Base64; returned only with $expand=userData."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scale_set", "instance_id"]
        constraints = [
            models.UniqueConstraint(fields=["scale_set", "instance_id"], name="instance_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scale_set.name}_{self.instance_id}"

    @property
    def name(self) -> str:
        return f"{self.scale_set.name}_{self.instance_id}"

    @property
    def image_version(self) -> str:
        return self.os_disk.image_version if self.os_disk is not None else ""

    @property
    def latest_model_applied(self) -> bool:
        return self.model_version == self.scale_set.model_version

    @property
    def is_protected_from_scale_in(self) -> bool:
        """Instance protection: either flag keeps the VM through a scale-in."""
        return self.protect_from_scale_in or self.protect_from_scale_set_actions


class OsDisk(models.Model):
    """An OS disk: U3 makes a new one per reimage and keeps the old one until health is known."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="os_disks")
    name = models.CharField(max_length=120)
    image_version = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=DiskState.choices, default=DiskState.ATTACHED)
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instance", "created_at", "id"]

    def __str__(self) -> str:
        return self.name


class DataDisk(models.Model):
    """A data disk; its checksum proves a reimage kept its content (U3)."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="data_disks")
    lun = models.PositiveSmallIntegerField()
    size_gb = models.PositiveIntegerField(default=128)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the content.")

    class Meta:
        ordering = ["instance", "lun"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "lun"], name="data_disk_lun_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instance} LUN {self.lun}"

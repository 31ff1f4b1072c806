"""Enumerations with Azure's wire values, shared by the models, services and API."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from django.db import models

from orchestrator.scale_in import ScaleInRule as ScaleInRule  # re-exported for the models


def choices_of(
    enum: type[StrEnum], labels: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """A field's choices from one of the engine's enums: its values, in its order, labelled
    as ``TextChoices`` would label them (the member's name in title case) unless ``labels``
    says otherwise.

    >>> from orchestrator.model import RunningStatus
    >>> choices_of(RunningStatus)[0]
    ('RollingForward', 'Rolling Forward')
    """
    labels = labels or {}
    return [
        (member.value, labels.get(member, member.name.replace("_", " ").title())) for member in enum
    ]


class OsType(models.TextChoices):
    LINUX = "Linux"
    WINDOWS = "Windows"


class UpgradeMode(models.TextChoices):
    AUTOMATIC = "Automatic"
    MANUAL = "Manual"
    ROLLING = "Rolling"


class PatchMode(models.TextChoices):
    NOT_SET = "", "(not set)"
    IMAGE_DEFAULT = "ImageDefault"
    AUTOMATIC_BY_OS = "AutomaticByOS"
    AUTOMATIC_BY_PLATFORM = "AutomaticByPlatform"
    MANUAL = "Manual"


class ImageKind(models.TextChoices):
    PLATFORM = "platform", "Platform image"
    GALLERY = "gallery", "Compute Gallery image"
    CUSTOM = "custom", "Other custom image"


class ProvisioningState(models.TextChoices):
    CREATING = "Creating"
    UPDATING = "Updating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DELETING = "Deleting"


class PowerState(models.TextChoices):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DEALLOCATING = "deallocating"
    DEALLOCATED = "deallocated"
    UNKNOWN = "unknown"


# ``scaleInPolicy.rules``: the engine's enum (orchestrator.scale_in), Azure's wire values.
SCALE_IN_RULE_CHOICES = choices_of(
    ScaleInRule,
    {
        ScaleInRule.DEFAULT: "Default (balance zones and fault domains, highest id)",
        ScaleInRule.OLDEST_VM: "OldestVM",
        ScaleInRule.NEWEST_VM: "NewestVM",
    },
)


class HealthState(models.TextChoices):
    """Application health as the Rich Application Health extension reports it."""

    UNKNOWN = "Unknown"
    INITIALIZING = "Initializing"
    HEALTHY = "Healthy"
    UNHEALTHY = "Unhealthy"


class LoadBalancerSku(models.TextChoices):
    BASIC = "Basic"
    STANDARD = "Standard"


class ProbeProtocol(models.TextChoices):
    HTTP = "Http"
    HTTPS = "Https"
    TCP = "Tcp"


class ServiceFabricDurability(models.TextChoices):
    NONE = "", "(not Service Fabric)"
    BRONZE = "Bronze"
    SILVER = "Silver"
    GOLD = "Gold"


class ReplicationState(models.TextChoices):
    UNKNOWN = "Unknown"
    REPLICATING = "Replicating"
    COMPLETED = "Completed"
    FAILED = "Failed"


class DiskState(models.TextChoices):
    ATTACHED = "attached"
    KEPT_FOR_ROLLBACK = "kept_for_rollback", "kept for rollback"
    DELETED = "deleted"

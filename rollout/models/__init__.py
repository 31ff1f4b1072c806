"""Rollwright's durable state. The services in rollout.services are the only writers."""

from __future__ import annotations

from rollout.models.catalog import PlatformImage, PlatformImageVersion, Region, version_sort_key
from rollout.models.choices import (
    DiskState,
    HealthState,
    ImageKind,
    LoadBalancerSku,
    OsType,
    PatchMode,
    PowerState,
    ProbeProtocol,
    ProvisioningState,
    ReplicationState,
    ScaleInRule,
    ServiceFabricDurability,
    UpgradeMode,
)
from rollout.models.gallery import Gallery, GalleryImage, GalleryImageReplica, GalleryImageVersion
from rollout.models.instances import DataDisk, Instance, OsDisk
from rollout.models.network import HealthProbe, LoadBalancer
from rollout.models.resources import ResourceGroup, Subscription
from rollout.models.scale_sets import Extension, ScaleSet, provisioning_order
from rollout.models.streams import ScaleSetStream
from rollout.models.upgrades import (
    ACTIVE_STATUSES,
    UPGRADE_KIND_CHOICES,
    Event,
    EventKind,
    FaultKind,
    FaultRule,
    InstanceUpgrade,
    InstanceUpgradeState,
    LastAction,
    RunningStatus,
    StartedBy,
    UpgradeBatch,
    UpgradeKind,
    UpgradeOperation,
)

__all__ = [
    "ACTIVE_STATUSES",
    "UPGRADE_KIND_CHOICES",
    "DataDisk",
    "DiskState",
    "Event",
    "EventKind",
    "Extension",
    "FaultKind",
    "FaultRule",
    "Gallery",
    "GalleryImage",
    "GalleryImageReplica",
    "GalleryImageVersion",
    "HealthProbe",
    "HealthState",
    "ImageKind",
    "Instance",
    "InstanceUpgrade",
    "InstanceUpgradeState",
    "LastAction",
    "LoadBalancer",
    "LoadBalancerSku",
    "OsDisk",
    "OsType",
    "PatchMode",
    "PlatformImage",
    "PlatformImageVersion",
    "PowerState",
    "ProbeProtocol",
    "ProvisioningState",
    "Region",
    "ReplicationState",
    "ResourceGroup",
    "RunningStatus",
    "ScaleInRule",
    "ScaleSet",
    "ScaleSetStream",
    "ServiceFabricDurability",
    "StartedBy",
    "Subscription",
    "UpgradeBatch",
    "UpgradeKind",
    "UpgradeMode",
    "UpgradeOperation",
    "provisioning_order",
    "version_sort_key",
]

# The ARM API's tokens and async operations (rollout.api).
from rollout.models.api import (
    ApiToken,
    AsyncOperation,
    AsyncOperationKind,
    AsyncOperationStatus,
)

# Automatic upgrades across the fleet: releases, trigger policies, maintenance windows (T1-T7).
from rollout.models.releases import (
    DONE_TARGET_STATES,
    OPEN_TARGET_STATES,
    GalleryReplication,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    MaintenanceScope,
    Release,
    ReleaseKind,
    ReleasePhase,
    ReleaseStatus,
    ReleaseTarget,
    ReplicationSchedule,
    TargetState,
    TriggerPolicy,
    TriggerPolicyAssignment,
)

__all__ += ["ApiToken", "AsyncOperation", "AsyncOperationKind", "AsyncOperationStatus"]

# Access (R1, A2): role assignments and service principals (rollout.services.access).
from rollout.models.access import Role, RoleAssignment, ServicePrincipal  # noqa: E402

__all__ += ["Role", "RoleAssignment", "ServicePrincipal"]
__all__ += [
    "DONE_TARGET_STATES",
    "OPEN_TARGET_STATES",
    "GalleryReplication",
    "MaintenanceConfiguration",
    "MaintenanceConfigurationAssignment",
    "MaintenanceScope",
    "Release",
    "ReleaseKind",
    "ReleasePhase",
    "ReleaseStatus",
    "ReleaseTarget",
    "ReplicationSchedule",
    "TargetState",
    "TriggerPolicy",
    "TriggerPolicyAssignment",
]

# Notifications (G2): targets, deliveries and their attempts (rollout.services.notifications).
from rollout.models.notifications import (  # noqa: E402
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationTarget,
    NotificationTopic,
    TargetKind,
)

__all__ += [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "NotificationTarget",
    "NotificationTopic",
    "TargetKind",
]

# Gates (G1), checkpoints and bake time (G4): rollout.services.gates.
from orchestrator.gates.model import GatePhase, GateVerdict  # noqa: E402
from rollout.models.gates import (  # noqa: E402
    CheckpointHold,
    CheckpointPolicy,
    Gate,
    GateKind,
    GateMeasurement,
    GateRun,
)

__all__ += [
    "CheckpointHold",
    "CheckpointPolicy",
    "Gate",
    "GateKind",
    "GateMeasurement",
    "GatePhase",
    "GateRun",
    "GateVerdict",
]

"""VirtualMachineScaleSetVM and its instance view (arm-shapes §2, §2a), and the scale set's
instance view summary (§2b)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from orchestrator.model import Observation
from rollout.api.etags import etag_of
from rollout.api.serializers.scale_sets import image_reference
from rollout.engine.provider import health_label
from rollout.models import HealthState, ImageKind, Instance, ScaleSet
from rollout.services.wire import arm_time

VM_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
POWER_DISPLAY = {
    "starting": "VM starting",
    "running": "VM running",
    "stopping": "VM stopping",
    "stopped": "VM stopped",
    "deallocating": "VM deallocating",
    "deallocated": "VM deallocated",
    "unknown": "VM status unknown",
}
HEALTH_DISPLAY: dict[str, str] = {
    HealthState.HEALTHY: "The VM is reporting healthy",
    HealthState.UNHEALTHY: "The VM is reporting unhealthy",
    HealthState.INITIALIZING: "The VM health is initializing",
    HealthState.UNKNOWN: "The VM health is unknown",
}


def provisioning_status(state: str, time: str | None = None) -> dict[str, Any]:
    """``ProvisioningState/succeeded`` and its siblings (lower case, as Azure writes them)."""
    failed = state.lower() == "failed"
    status: dict[str, Any] = {
        "code": f"ProvisioningState/{state.lower()}",
        "level": "Error" if failed else "Info",
        "displayStatus": f"Provisioning {state.lower()}",
    }
    if time is not None:
        status["time"] = time
    return status


def power_status(state: str) -> dict[str, Any]:
    return {
        "code": f"PowerState/{state}",
        "level": "Info",
        "displayStatus": POWER_DISPLAY.get(state, f"VM {state}"),
    }


def has_health_source(scale_set: ScaleSet) -> bool:
    return scale_set.health_probe_id is not None or any(
        extension.is_application_health for extension in scale_set.extensions.all()
    )


def vm_id(scale_set: ScaleSet, instance: Instance) -> str:
    return str(uuid.uuid5(scale_set.unique_id, str(instance.instance_id)))


def instance_view_wire(
    scale_set: ScaleSet,
    instance: Instance,
    *,
    observed: Observation | None = None,
    power_state_only: bool = False,
) -> dict[str, Any]:
    """Statuses, vmHealth (when the set has a health source), domains, extensions, disks.

    ``observed`` is what the compute provider sees now (a reimage in progress, a VM that never
    became healthy); without it the stored states are shown.
    """
    disk_time = arm_time(instance.os_disk.created_at) if instance.os_disk is not None else None
    power = observed.power_state if observed else instance.power_state
    provisioning = observed.provisioning_state if observed else instance.provisioning_state
    statuses = [power_status(power)]
    if not power_state_only:
        statuses.insert(0, provisioning_status(provisioning, disk_time))
    view: dict[str, Any] = {
        "platformUpdateDomain": instance.update_domain,
        "platformFaultDomain": instance.fault_domain,
        "computerName": f"{scale_set.computer_name_prefix}{instance.instance_id:06x}",
        "osName": scale_set.os_type,
        "statuses": statuses,
    }
    if has_health_source(scale_set):
        health = health_label(observed) if observed else instance.health_state
        view["vmHealth"] = {
            "status": {
                "code": f"HealthState/{health.lower()}",
                "level": "Info" if health == HealthState.HEALTHY else "Warning",
                "displayStatus": HEALTH_DISPLAY.get(health, health),
            }
        }
    view["extensions"] = [
        {
            "name": name,
            "statuses": [provisioning_status(state)],
        }
        for name, state in sorted(
            dict(observed.extension_states).items()
            if observed
            else instance.extension_states.items()
        )
    ]
    if instance.os_disk is not None:
        view["disks"] = [
            {
                "name": instance.os_disk.name,
                "statuses": [provisioning_status("succeeded", disk_time)],
            }
        ]
    return view


def vm_image_reference(scale_set: ScaleSet, instance: Instance) -> dict[str, Any]:
    """The model's reference plus ``exactVersion``, the version on the VM's OS disk."""
    reference = image_reference(scale_set)
    if scale_set.image_kind != ImageKind.CUSTOM and instance.image_version:
        reference["exactVersion"] = instance.image_version
    return reference


def protection_policy(instance: Instance) -> dict[str, bool]:
    return {
        "protectFromScaleIn": instance.protect_from_scale_in,
        "protectFromScaleSetActions": instance.protect_from_scale_set_actions,
    }


def vm_etag(scale_set: ScaleSet, instance: Instance) -> str:
    """A digest of the VM's own model and of what it runs (not of its instance view)."""
    return etag_of(
        {
            "instance": instance.instance_id,
            "model": [instance.model_version, scale_set.model_version],
            "disk": [instance.os_disk_id, instance.image_version],
            "protection": protection_policy(instance),
        },
        instance.user_data,
    )


def vm_wire(
    scale_set: ScaleSet,
    instance: Instance,
    *,
    instance_view: bool = False,
    power_state_only: bool = False,
    observed: Observation | None = None,
    user_data: bool = False,
) -> dict[str, Any]:
    """``userData`` only when asked (``$expand=userData``), as Azure returns it."""
    body: dict[str, Any] = {
        "id": f"{scale_set.arm_id}/virtualMachines/{instance.instance_id}",
        "name": instance.name,
        "type": VM_TYPE,
        "location": scale_set.location.name,
        "instanceId": str(instance.instance_id),
        "sku": {"name": scale_set.sku_name, "tier": scale_set.sku_tier},
    }
    if instance.zone:
        body["zones"] = [instance.zone]
    properties: dict[str, Any] = {
        "latestModelApplied": instance.latest_model_applied,
        "vmId": vm_id(scale_set, instance),
        "provisioningState": observed.provisioning_state
        if observed
        else instance.provisioning_state,
        "timeCreated": arm_time(instance.created_at),
        "storageProfile": {
            "imageReference": vm_image_reference(scale_set, instance),
            "osDisk": {"name": instance.os_disk.name if instance.os_disk else None},
        },
        "osProfile": {
            "computerName": f"{scale_set.computer_name_prefix}{instance.instance_id:06x}",
            "adminUsername": scale_set.admin_username,
        },
    }
    if instance.protect_from_scale_in or instance.protect_from_scale_set_actions:
        properties["protectionPolicy"] = protection_policy(instance)
    if user_data and instance.user_data:
        properties["userData"] = instance.user_data
    body["etag"] = vm_etag(scale_set, instance)
    if instance_view:
        properties["instanceView"] = instance_view_wire(
            scale_set, instance, observed=observed, power_state_only=power_state_only
        )
    body["properties"] = properties
    return body


def scale_set_instance_view(scale_set: ScaleSet, instances: list[Instance]) -> dict[str, Any]:
    """``GET …/instanceView`` of the scale set: counts of each status code."""
    summary: Counter[str] = Counter()
    per_extension: dict[str, Counter[str]] = {}
    for instance in instances:
        summary[f"ProvisioningState/{instance.provisioning_state.lower()}"] += 1
        summary[f"PowerState/{instance.power_state}"] += 1
        for name, state in instance.extension_states.items():
            per_extension.setdefault(name, Counter())[f"ProvisioningState/{state.lower()}"] += 1
    return {
        "virtualMachine": {
            "statusesSummary": [
                {"code": code, "count": count} for code, count in sorted(summary.items())
            ]
        },
        "extensions": [
            {
                "name": name,
                "statusesSummary": [
                    {"code": code, "count": count} for code, count in sorted(counts.items())
                ],
            }
            for name, counts in sorted(per_extension.items())
        ],
        "statuses": [
            provisioning_status(scale_set.provisioning_state, arm_time(scale_set.updated_at))
        ],
        "orchestrationServices": [],
    }

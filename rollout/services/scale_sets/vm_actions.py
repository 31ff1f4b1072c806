"""Actions on a scale set's VMs: reimage, reimage-all, power, delete; and what a VM's own model
holds (instance protection, userData). Every face (API, dashboard, command) calls these; each
validates first, writes nothing when it refuses, and records one audited, live event.

Azure's rules, as documented (learn.microsoft.com, "Instance Protection for Azure Virtual
Machine Scale Set instances"; REST reference of VirtualMachineScaleSets / ...VMs):

- An action **on the scale set** (``POST .../reimage``, ``reimageall``, ``start``, ``powerOff``,
  ``restart``, ``deallocate`` with or without ``instanceIds``) leaves out the VMs with
  ``protectFromScaleSetActions``; the same action **on one VM** (``.../virtualMachines/{id}/
  reimage``) is the user's own and acts on it. Deleting chosen instances is never blocked by
  protection ("user-initiated instance actions, including instance delete, are not blocked").
- Reimage gives the VM a new OS disk from the model's image: the pinned version, or for
  ``latest`` the version the VM runs (``exactVersion`` picks another one); data disks are
  kept; extensions run again. Reimage-all also reimages the data disks (empty again).
- Power: ``powerOff`` stops the VM (still allocated), ``deallocate`` releases it, ``start``
  runs it, ``restart`` restarts a running or stopped VM (not a deallocated one). A VM not
  running is unhealthy for U7/U8 (``orchestrator.health``).
- A VM in the middle of an OS upgrade (reimaging, waiting for health, rolling back) cannot be
  reimaged or deleted until its batch is done: 409 ``Conflict``.
"""

from __future__ import annotations

import hashlib
from copy import copy
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from orchestrator.model import InstanceUpgradeState
from rollout import events
from rollout.engine.provider import provision_extensions
from rollout.models import (
    DataDisk,
    EventKind,
    HealthState,
    Instance,
    InstanceUpgrade,
    PowerState,
    ProvisioningState,
    ScaleSet,
    provisioning_order,
)
from rollout.models.upgrades import ACTIVE_STATUSES
from rollout.services.errors import ServiceError, conflict, invalid_parameter, not_found
from rollout.services.gallery.images import model_image_version
from rollout.services.scale_sets.instances import replace_os_disk

EMPTY_DISK = hashlib.sha256(b"").hexdigest()
BUSY_STATES = (
    InstanceUpgradeState.REIMAGING,
    InstanceUpgradeState.WAITING_FOR_HEALTH,
    InstanceUpgradeState.ROLLING_BACK,
)


class InstanceAction(StrEnum):
    """The verbs, named as Azure's paths name them."""

    REIMAGE = "reimage"
    REIMAGE_ALL = "reimageall"
    START = "start"
    POWER_OFF = "powerOff"
    RESTART = "restart"
    DEALLOCATE = "deallocate"
    DELETE = "delete"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    InstanceAction.REIMAGE: "reimage",
    InstanceAction.REIMAGE_ALL: "reimage all disks",
    InstanceAction.START: "start",
    InstanceAction.POWER_OFF: "power off",
    InstanceAction.RESTART: "restart",
    InstanceAction.DEALLOCATE: "deallocate",
    InstanceAction.DELETE: "delete",
}
POWER_AFTER = {
    InstanceAction.START: PowerState.RUNNING,
    InstanceAction.RESTART: PowerState.RUNNING,
    InstanceAction.POWER_OFF: PowerState.STOPPED,
    InstanceAction.DEALLOCATE: PowerState.DEALLOCATED,
}


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the instances acted on, and those left out as protected."""

    action: InstanceAction
    instance_ids: tuple[int, ...]
    protected: tuple[int, ...] = ()


def act_on_instances(
    scale_set: ScaleSet,
    action: InstanceAction,
    instance_ids: list[int] | None = None,
    *,
    on_scale_set: bool = True,
    exact_version: str | None = None,
    actor: Any = None,
    reason: str = "",
) -> ActionResult:
    """Run ``action`` on the chosen instances (``None``: every instance of the scale set).

    1. Lock the scale set; refuse unknown ids (400), a VM mid-upgrade for reimage and delete
       (409), restart of a deallocated VM (409).
    2. ``on_scale_set``: leave out the VMs protected from scale set actions (not for delete).
    3. Act, then record one ``instance_action`` event naming the VMs and those left out.
    """
    with transaction.atomic():
        current = ScaleSet.objects.select_for_update(of=("self",)).get(pk=scale_set.pk)
        rows = current.instances.select_related("os_disk")
        chosen = list(rows if instance_ids is None else rows.filter(instance_id__in=instance_ids))
        if instance_ids is not None:
            missing = sorted(set(instance_ids) - {i.instance_id for i in chosen})
            if missing:
                raise invalid_parameter(
                    f"Instance ids {missing} do not exist in the scale set '{current.name}'.",
                    "instanceIds",
                )
        protected: list[int] = []
        if on_scale_set and action is not InstanceAction.DELETE:
            protected = sorted(i.instance_id for i in chosen if i.protect_from_scale_set_actions)
            chosen = [i for i in chosen if not i.protect_from_scale_set_actions]
        for instance in chosen:
            instance.scale_set = current
        if action in (InstanceAction.REIMAGE, InstanceAction.REIMAGE_ALL, InstanceAction.DELETE):
            _refuse_mid_upgrade(current, chosen, action)
        now = timezone.now()
        if action is InstanceAction.DELETE:
            _delete(current, chosen)
        elif action in (InstanceAction.REIMAGE, InstanceAction.REIMAGE_ALL):
            _reimage(current, chosen, action, exact_version, now)
        else:
            _power(chosen, action)
        acted = tuple(sorted(i.instance_id for i in chosen))
        summary = f"{action.label} of {_ids_text(acted)}"
        if protected:
            summary += f"; left out, protected from scale set actions: {_ids_text(protected)}"
        events.record_one(
            EventKind.INSTANCE_ACTION,
            scale_set=current,
            actor=actor,
            reason=reason or f"POST {action.value}",
            action=action.value,
            summary=summary,
            instance_ids=list(acted),
            protected=protected,
            power_states={str(i.instance_id): i.power_state for i in chosen}
            if action in POWER_AFTER
            else {},
            capacity=current.capacity,
        )
    return ActionResult(action, acted, tuple(protected))


def _refuse_mid_upgrade(
    scale_set: ScaleSet, instances: list[Instance], action: InstanceAction
) -> None:
    busy = sorted(
        InstanceUpgrade.objects.filter(
            operation__scale_set=scale_set,
            operation__status__in=ACTIVE_STATUSES,
            instance__in=instances,
            state__in=[state.value for state in BUSY_STATES],
        ).values_list("instance__instance_id", flat=True)
    )
    if busy:
        raise conflict(
            f"Cannot {action.label} instances {busy} of '{scale_set.name}': an OS upgrade is "
            "reimaging them or waiting for their health. Retry once their batch is done."
        )


def _reimage(
    scale_set: ScaleSet,
    instances: list[Instance],
    action: InstanceAction,
    exact_version: str | None,
    now: Any,
) -> None:
    """A new OS disk from the model's image; extensions again; reimage-all empties data disks."""
    pinned = scale_set.image_version.lower() != "latest"
    target = None
    if exact_version:
        candidate = copy(scale_set)
        candidate.image_version = exact_version
        target = model_image_version(candidate).version  # refuses a version that does not exist
    elif pinned:
        target = model_image_version(scale_set).version
    extensions = provisioning_order(list(scale_set.extensions.all()))
    for instance in instances:
        version = target or instance.image_version or model_image_version(scale_set).version
        replace_os_disk(instance, version, now)
        _come_up(instance, provision_extensions(extensions, now))
    Instance.objects.bulk_update(
        instances,
        ["os_disk", "extension_states", "provisioning_state", "power_state", "health_state"],
    )
    if action is InstanceAction.REIMAGE_ALL:
        DataDisk.objects.filter(instance__in=instances).update(checksum=EMPTY_DISK)


def _come_up(instance: Instance, extension_states: dict[str, str] | None = None) -> None:
    """The VM runs again; healthy unless an extension failed (U8)."""
    if extension_states is not None:
        instance.extension_states = extension_states
    instance.provisioning_state = ProvisioningState.SUCCEEDED
    instance.power_state = PowerState.RUNNING
    failed = any(state != "Succeeded" for state in instance.extension_states.values())
    instance.health_state = HealthState.UNHEALTHY if failed else HealthState.HEALTHY


def _power(instances: list[Instance], action: InstanceAction) -> None:
    if action is InstanceAction.RESTART:
        deallocated = sorted(
            i.instance_id for i in instances if i.power_state == PowerState.DEALLOCATED
        )
        if deallocated:
            raise ServiceError(
                "OperationNotAllowed",
                f"Operation 'restart' is not allowed on instances {deallocated}: they are "
                "deallocated. Start them instead.",
                "instanceIds",
                status=409,
            )
    for instance in instances:
        if POWER_AFTER[action] == PowerState.RUNNING:
            _come_up(instance)
        else:
            instance.power_state = POWER_AFTER[action]
    Instance.objects.bulk_update(instances, ["provisioning_state", "power_state", "health_state"])


def _delete(scale_set: ScaleSet, instances: list[Instance]) -> None:
    """The VMs go, with their disks; the capacity drops by as many."""
    Instance.objects.filter(pk__in=[i.pk for i in instances]).delete()
    scale_set.capacity = max(0, scale_set.capacity - len(instances))
    scale_set.save(update_fields=["capacity", "updated_at"])


def update_instance(
    scale_set: ScaleSet,
    instance_id: int,
    *,
    protect_from_scale_in: bool | None = None,
    protect_from_scale_set_actions: bool | None = None,
    user_data: str | None = None,
    actor: Any = None,
    reason: str = "",
) -> Instance:
    """A VM's own model: its protection policy and userData (``None``: unchanged).

    Protection is set on the VM only, never on the scale set's model (Azure's rule).
    """
    with transaction.atomic():
        current = ScaleSet.objects.select_for_update(of=("self",)).get(pk=scale_set.pk)
        instance = (
            current.instances.select_related("os_disk").filter(instance_id=instance_id).first()
        )
        if instance is None:
            raise not_found(
                f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{current.name}/"
                f"virtualMachines/{instance_id}' under resource group "
                f"'{current.resource_group.name}' was not found."
            )
        instance.scale_set = current
        wanted = {
            "protect_from_scale_in": protect_from_scale_in,
            "protect_from_scale_set_actions": protect_from_scale_set_actions,
            "user_data": user_data,
        }
        changed = sorted(
            name
            for name, value in wanted.items()
            if value is not None and getattr(instance, name) != value
        )
        for name in changed:
            setattr(instance, name, wanted[name])
        if changed:
            instance.save(update_fields=changed)
            events.record_one(
                EventKind.INSTANCE_UPDATED,
                scale_set=current,
                actor=actor,
                reason=reason,
                instance_ids=[instance.instance_id],
                fields=changed,
                summary=_protection_text(instance, changed),
                protect_from_scale_in=instance.protect_from_scale_in,
                protect_from_scale_set_actions=instance.protect_from_scale_set_actions,
            )
    return instance


def _ids_text(ids: tuple[int, ...] | list[int]) -> str:
    if not ids:
        return "no instance"
    listed = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
    return f"instance{'s' if len(ids) > 1 else ''} {listed}"


def _protection_text(instance: Instance, changed: list[str]) -> str:
    words = []
    if instance.protect_from_scale_set_actions:
        words.append("protected from scale set actions")
    elif instance.protect_from_scale_in:
        words.append("protected from scale-in")
    else:
        words.append("not protected")
    if "user_data" in changed:
        words.append("userData changed")
    return f"instance {instance.instance_id}: {', '.join(words)}"

"""Verbs on a scale set's instances. E5 (``manualupgrade``): bring chosen instances to the
latest model; each validates first and writes nothing when it refuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.engine.provider import provision_extensions
from rollout.models import (
    DiskState,
    EventKind,
    HealthState,
    Instance,
    OsDisk,
    PowerState,
    ProvisioningState,
    ScaleSet,
    provisioning_order,
)
from rollout.services.errors import ServiceError
from rollout.services.gallery.images import model_image_version


def manual_upgrade_instances(
    scale_set: ScaleSet, instance_ids: list[int], *, actor: Any = None, reason: str = ""
) -> list[Instance]:
    """E5 (``manualupgrade``): bring the chosen instances to the scale set's latest model.

    A pinned image version different from the instance's gets a new OS disk; ``latest`` is
    resolved at deploy time only, so it does not move an instance to a newer version (M1 does).
    Extensions are applied again, so renewed credentials heal U9's failed instances.
    """
    with transaction.atomic():
        current = ScaleSet.objects.select_for_update(of=("self",)).get(pk=scale_set.pk)
        instances = list(
            current.instances.select_related("os_disk").filter(instance_id__in=instance_ids)
        )
        missing = sorted(set(instance_ids) - {i.instance_id for i in instances})
        if missing:
            raise ServiceError(
                "InvalidParameter",
                f"Instance ids {missing} do not exist in {current.name}.",
                "instanceIds",
                status=400,
            )
        # Instance protection: a model update initiated on the scale set leaves these out.
        protected = sorted(i.instance_id for i in instances if i.protect_from_scale_set_actions)
        instances = [i for i in instances if not i.protect_from_scale_set_actions]
        pinned = current.image_version.lower() != "latest"
        target = model_image_version(current).version if pinned else None
        extensions = provisioning_order(list(current.extensions.all()))
        now = timezone.now()
        for instance in instances:
            if target is not None and instance.image_version != target:
                replace_os_disk(instance, target, now)
            instance.extension_states = provision_extensions(extensions, now)
            instance.model_version = current.model_version
            instance.user_data = current.user_data
            instance.provisioning_state = ProvisioningState.SUCCEEDED
            instance.power_state = PowerState.RUNNING
            failed = any(state != "Succeeded" for state in instance.extension_states.values())
            instance.health_state = HealthState.UNHEALTHY if failed else HealthState.HEALTHY
        Instance.objects.bulk_update(
            instances,
            [
                "os_disk",
                "extension_states",
                "model_version",
                "user_data",
                "provisioning_state",
                "power_state",
                "health_state",
            ],
        )
        events.record_one(
            EventKind.MODEL_UPDATED,
            scale_set=current,
            actor=actor,
            reason=reason or "E5: manual upgrade to the latest model",
            instance_ids=sorted(i.instance_id for i in instances),
            protected=protected,
            model_version=current.model_version,
        )
    return instances


def replace_os_disk(instance: Instance, image_version: str, at: datetime) -> OsDisk:
    """Give the instance a new OS disk from ``image_version``, deleting the old one."""
    old = instance.os_disk
    if old is not None:
        old.state = DiskState.DELETED
        old.deleted_at = at
        old.save(update_fields=["state", "deleted_at"])
    number = instance.os_disks.count() + 1
    disk = OsDisk.objects.create(
        instance=instance,
        name=f"{instance.scale_set.name}_{instance.instance_id}_OsDisk_{number}",
        image_version=image_version,
        state=DiskState.ATTACHED,
        created_at=at,
    )
    instance.os_disk = disk
    return disk

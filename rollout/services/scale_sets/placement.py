"""Instance placement as Azure does it, and the simulated provider's creation of instances.

Zones are balanced round robin; inside each zone (or the region) instances take update
domains 0-4 round robin, and fault domains round robin over ``platformFaultDomainCount``
(a count of 1 shows a single fault domain, as Azure's instance view does).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime

from django.utils import timezone

from rollout.models import DataDisk, DiskState, Instance, OsDisk, ScaleSet

UPDATE_DOMAIN_COUNT = 5


def placements(
    zones: list[str], fault_domain_count: int, existing: list[tuple[str, int]], count: int
) -> list[tuple[str, int, int]]:
    """(zone, update domain, fault domain) for ``count`` new instances.

    ``existing`` holds (zone, update domain) of the instances already there, so a scale-out
    keeps zones balanced: each new instance goes to the zone with the fewest instances.

    >>> placements(["1", "2", "3"], 1, [], 4)
    [('1', 0, 0), ('2', 0, 0), ('3', 0, 0), ('1', 1, 0)]
    >>> placements([], 5, [], 3)
    [('', 0, 0), ('', 1, 1), ('', 2, 2)]
    """
    zone_list = zones or [""]
    per_zone = Counter(zone for zone, _ in existing)
    result = []
    for _ in range(count):
        zone = min(zone_list, key=lambda z: (per_zone[z], zone_list.index(z)))
        position = per_zone[zone]
        per_zone[zone] += 1
        update_domain = position % UPDATE_DOMAIN_COUNT
        fault_domain = position % fault_domain_count if fault_domain_count > 1 else 0
        result.append((zone, update_domain, fault_domain))
    return result


def data_checksum(scale_set: ScaleSet, instance_id: int, lun: int) -> str:
    """A stand-in for a data disk's content: stable, so a kept disk keeps its checksum."""
    seed = f"{scale_set.unique_id}:{instance_id}:{lun}".encode()
    return hashlib.sha256(seed).hexdigest()


def create_instances(
    scale_set: ScaleSet,
    count: int,
    image_version: str,
    *,
    data_disks: int = 1,
    extension_names: list[str] | None = None,
    at: datetime | None = None,
) -> list[Instance]:
    """Add ``count`` running instances on ``image_version``, with their disks, in bulk."""
    now = at or timezone.now()
    existing = list(scale_set.instances.values_list("zone", "update_domain", "instance_id"))
    next_id = max((row[2] for row in existing), default=-1) + 1
    spots = placements(
        list(scale_set.zones),
        scale_set.platform_fault_domain_count,
        [(zone, ud) for zone, ud, _ in existing],
        count,
    )
    names = (
        extension_names
        if extension_names is not None
        else list(scale_set.extensions.values_list("name", flat=True))
    )
    instances = Instance.objects.bulk_create(
        [
            Instance(
                scale_set=scale_set,
                instance_id=next_id + offset,
                zone=zone,
                update_domain=update_domain,
                fault_domain=fault_domain,
                model_version=scale_set.model_version,
                user_data=scale_set.user_data,
                extension_states={name: "Succeeded" for name in names},
            )
            for offset, (zone, update_domain, fault_domain) in enumerate(spots)
        ]
    )
    instances = list(
        Instance.objects.filter(scale_set=scale_set, instance_id__gte=next_id).order_by(
            "instance_id"
        )
    )
    disks = OsDisk.objects.bulk_create(
        [
            OsDisk(
                instance=instance,
                name=f"{scale_set.name}_{instance.instance_id}_OsDisk_1",
                image_version=image_version,
                state=DiskState.ATTACHED,
                created_at=now,
            )
            for instance in instances
        ]
    )
    if any(disk.pk is None for disk in disks):
        disks = list(OsDisk.objects.filter(instance__in=instances).order_by("instance_id"))
    for instance, disk in zip(instances, disks, strict=True):
        instance.os_disk = disk
    Instance.objects.bulk_update(instances, ["os_disk"])
    DataDisk.objects.bulk_create(
        [
            DataDisk(
                instance=instance,
                lun=lun,
                size_gb=128,
                checksum=data_checksum(scale_set, instance.instance_id, lun),
            )
            for instance in instances
            for lun in range(data_disks)
        ]
    )
    return instances

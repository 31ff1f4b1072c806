"""Which VMs a capacity decrease removes: the scale set's ``scaleInPolicy.rules``.

As Azure documents them (learn.microsoft.com, "Use custom scale-in policies with Azure Virtual
Machine Scale Sets"):

- ``Default``: balance the VMs across availability zones first (remove from the zone with the
  most VMs), then across fault domains within it, then remove the highest instance id;
- ``NewestVM``: balance across zones, then remove the most recently created VM;
- ``OldestVM``: balance across zones, then remove the VM created first.

VMs protected from scale-in (``protectFromScaleIn``, or ``protectFromScaleSetActions``, which
implies it) are never chosen and do not count when balancing.

Worked example: 3 zones holding VMs {0, 3}, {1, 4}, {2} and ``Default``, removing 2: zones 1 and 2
hold the most (2 each); zone 2 (the later) loses 4, then zone 1 loses 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ScaleInRule(StrEnum):
    DEFAULT = "Default"
    OLDEST_VM = "OldestVM"
    NEWEST_VM = "NewestVM"


@dataclass(frozen=True)
class Candidate:
    """A VM as scale-in sees it."""

    instance_id: int
    zone: str
    fault_domain: int
    created_at: datetime
    protected: bool = False


def choose_scale_in(
    candidates: Sequence[Candidate], count: int, rule: ScaleInRule
) -> tuple[int, ...]:
    """The instance ids to remove, at most ``count`` (fewer when too many are protected)."""
    per_zone: dict[str, list[Candidate]] = {}
    for vm in candidates:
        if not vm.protected:
            per_zone.setdefault(vm.zone, []).append(vm)
    chosen: list[int] = []
    while len(chosen) < count and any(per_zone.values()):
        zone = max((z for z in per_zone if per_zone[z]), key=lambda z: (len(per_zone[z]), z))
        members = per_zone[zone]
        victim = _pick(members, rule)
        members.remove(victim)
        chosen.append(victim.instance_id)
    return tuple(chosen)


def _pick(members: list[Candidate], rule: ScaleInRule) -> Candidate:
    if rule is ScaleInRule.NEWEST_VM:
        return max(members, key=lambda vm: (vm.created_at, vm.instance_id))
    if rule is ScaleInRule.OLDEST_VM:
        return min(members, key=lambda vm: (vm.created_at, vm.instance_id))
    # Default: the fault domain with the most VMs, then the highest instance id in it.
    per_domain: dict[int, int] = {}
    for vm in members:
        per_domain[vm.fault_domain] = per_domain.get(vm.fault_domain, 0) + 1
    return max(members, key=lambda vm: (per_domain[vm.fault_domain], vm.instance_id))

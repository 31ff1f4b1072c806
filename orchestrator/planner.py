"""U2 T2 T3 T6: which instances go in which batch, planned once when an operation starts.

1. T6: instances already on the target version are skipped: in no batch. So are the VMs
   protected from scale set actions (``protectFromScaleSetActions``), as Azure leaves them out
   of OS upgrades.
2. U2: the batch size is max(1, floor(total × maxBatchInstancePercent / 100)), counted on the
   TOTAL instance count (skipped ones included); a scale set of 5 or fewer instances upgrades
   one instance per batch.
3. T2, T3: instances are grouped by (zone, update domain); a batch never leaves its group, so it
   never spans two zones (unless enableCrossZoneUpgrade, which groups by update domain only) and
   never two update domains. Groups come zone by zone, then update domain by update domain, so
   zones are upgraded one after another.
4. prioritizeUnhealthyInstances: unhealthy instances are planned first, in batches of their own
   that follow the same grouping.

Worked examples (maxBatchInstancePercent 20):

* 10 VMs in one zone and update domain: batch size 2, 5 batches of 2.
* 5 VMs: 5 batches of 1 (a set of 5 or fewer upgrades one VM at a time).
* 1,000 VMs over 3 zones × 5 update domains (about 67 per group): batch size 200, so each
  (zone, update domain) group is one batch of at most 200: 15 batches, zone 1's five first.
* 10 VMs, 2 already on the target: still batches of 2 (20% of all 10), 4 batches.

Planning is a sort and one pass: 10,000 instances take a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from orchestrator.model import Batch
from orchestrator.policy import EffectivePolicy
from orchestrator.wording import describe_ids, instance_sort_key

# U2: a scale set this small upgrades one instance per batch.
ONE_PER_BATCH_UP_TO = 5


class Placed(Protocol):
    """What the planner needs of an instance (an `InstanceView` has it)."""

    @property
    def instance_id(self) -> str: ...
    @property
    def zone(self) -> str | None: ...
    @property
    def update_domain(self) -> int: ...
    @property
    def image_version(self) -> str: ...
    @property
    def protected(self) -> bool: ...


@dataclass(frozen=True)
class Plan:
    """The batches in order, the skipped instance ids, and the reasons (B1 shows them)."""

    batches: tuple[Batch, ...]
    skipped: tuple[str, ...]
    batch_size: int
    total: int
    reasons: tuple[str, ...]

    def expected_duration(
        self, reimage_time: timedelta, health_time: timedelta, policy: EffectivePolicy
    ) -> timedelta:
        """B1, B8: nominal duration if every batch takes `reimage_time + health_time`.

        Scale it with `policy.scaled` for the time the rollout will take in engine time.
        """
        count = len(self.batches)
        if count == 0:
            return timedelta(0)
        pauses = (count - 1) * policy.rolling.pause_time_between_batches
        return count * (reimage_time + health_time) + pauses


def batch_size_for(total: int, max_batch_instance_percent: int) -> int:
    """U2: the most instances in one batch.

    >>> batch_size_for(10, 20), batch_size_for(5, 20), batch_size_for(1000, 20)
    (2, 1, 200)
    >>> batch_size_for(7, 5), batch_size_for(0, 20)
    (1, 1)
    """
    if total <= ONE_PER_BATCH_UP_TO:
        return 1
    return max(1, total * max_batch_instance_percent // 100)


def plan_batches(
    instances: Sequence[Placed],
    policy: EffectivePolicy,
    target_version: str,
    *,
    unhealthy_ids: Collection[str] = frozenset(),
) -> Plan:
    """Plan every batch of an upgrade to `target_version` (see the module docstring).

    `unhealthy_ids` matters only with prioritizeUnhealthyInstances.
    """
    rolling = policy.rolling
    total = len(instances)
    size = batch_size_for(total, rolling.max_batch_instance_percent)
    left_out = [
        view for view in instances if view.image_version == target_version or view.protected
    ]
    skipped = sorted((view.instance_id for view in left_out), key=instance_sort_key)
    to_upgrade = [
        view for view in instances if view.image_version != target_version and not view.protected
    ]
    first: list[Placed] = []
    if rolling.prioritize_unhealthy_instances and unhealthy_ids:
        first = [view for view in to_upgrade if view.instance_id in unhealthy_ids]
        to_upgrade = [view for view in to_upgrade if view.instance_id not in unhealthy_ids]
    cross_zone = rolling.enable_cross_zone_upgrade
    batches: list[Batch] = []
    for members in (*_groups(first, cross_zone), *_groups(to_upgrade, cross_zone)):
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            zones = sorted({view.zone for view in chunk if view.zone is not None})
            batches.append(
                Batch(
                    index=len(batches),
                    instance_ids=tuple(view.instance_id for view in chunk),
                    zones=tuple(zones),
                    update_domain=chunk[0].update_domain,
                )
            )
    reasons = _reasons(instances, policy, target_version, size, batches, skipped, first)
    return Plan(tuple(batches), tuple(skipped), size, total, reasons)


def _groups(instances: Iterable[Placed], cross_zone: bool) -> list[list[Placed]]:
    """T2, T3: instances per (zone, update domain) group, groups and members in order."""
    groups: dict[tuple[tuple[int, int, str], int], list[Placed]] = {}
    for view in instances:
        zone_key = (0, 0, "") if cross_zone or view.zone is None else instance_sort_key(view.zone)
        groups.setdefault((zone_key, view.update_domain), []).append(view)
    return [
        sorted(groups[key], key=lambda view: instance_sort_key(view.instance_id))
        for key in sorted(groups)
    ]


def _reasons(
    instances: Sequence[Placed],
    policy: EffectivePolicy,
    target_version: str,
    size: int,
    batches: Sequence[Batch],
    skipped: Sequence[str],
    first: Sequence[Placed],
) -> tuple[str, ...]:
    rolling = policy.rolling
    total = len(instances)
    planned = total - len(skipped)
    if total <= ONE_PER_BATCH_UP_TO:
        limit = f"one per batch ({total} instances: 5 or fewer)"
    else:
        limit = (
            f"at most {size} per batch ({rolling.max_batch_instance_percent}% of {total} instances)"
        )
    reasons = [f"U2: {planned} of {total} instances to upgrade in {len(batches)} batches, {limit}"]
    protected = sorted(
        (view.instance_id for view in instances if view.protected), key=instance_sort_key
    )
    on_target = [i for i in skipped if i not in set(protected)]
    if on_target:
        reasons.append(
            f"T6: {len(on_target)} instances already on {target_version} are skipped: "
            f"{describe_ids(on_target)}"
        )
    if protected:
        reasons.append(
            f"Instance protection: {len(protected)} instances protected from scale set "
            f"actions are left out: {describe_ids(protected)}"
        )
    if first:
        ids = sorted((view.instance_id for view in first), key=instance_sort_key)
        reasons.append(
            f"U2: prioritizeUnhealthyInstances: {len(ids)} unhealthy instances go first: "
            f"{describe_ids(ids)}"
        )
    zones = sorted(
        {view.zone for view in instances if view.zone is not None}, key=instance_sort_key
    )
    if rolling.enable_cross_zone_upgrade and len(zones) > 1:
        reasons.append("T2: enableCrossZoneUpgrade: a batch may span zones")
    elif len(zones) > 1:
        reasons.append(
            f"T2: zones one after another ({', '.join(zones)}); no batch spans two zones"
        )
    domains = len({view.update_domain for view in instances})
    if domains > 1:
        reasons.append(f"T3: every batch stays inside one update domain ({domains} update domains)")
    if rolling.max_surge:
        reasons.append("U3: maxSurge is not supported: instances are upgraded in place")
    return tuple(reasons)

"""B2: how the simulated provider's VMs behave, as pure functions of a record, rules and `now`.

The edge stores one `SimulatedInstance` per VM (what was done to it and when) and the scale
set's `FaultRule`s; `BehaviourModel.observe` computes what the VM looks like at any moment,
including `next_change_at`, the exact moment the observation changes next.

Timings (nominal seconds, divided by `time_scale`, each varied by ±`jitter` deterministically
per instance): a reimage takes `reimage_seconds`, a restore `restore_seconds`; a VM is healthy
`healthy_after_seconds` after either finishes.

Fault rules:

* `never_healthy`: the probe answers unhealthy and the Application Health extension reports
  Unhealthy. U8's default signal (power and provisioning) cannot see it: that is why Azure
  wants a health probe.
* `healthy_after` (seconds): healthy that long after a reimage or restore, instead of the default.
* `unhealthy_after` (seconds): the VM goes down (power state stopped, as during maintenance)
  `seconds` after the later of the rule's `enabled_at` and the VM's last reimage or restore.
* `extension_fails`: the reimage ends with the first extension Failed (provisioning Failed).
* `reimage_fails`: the reimage ends with provisioning Failed.
* `rollback_fails`: restoring the previous OS disk ends with provisioning Failed.

A rule selects instances by `instance_ids`, or by `share` (exactly round(share × candidates)
of them, ranked by a hash of (seed, scale set, rule name, instance id): the same VMs on every
step), within `zone` if given; with neither ids nor share, every instance (of the zone).
`image_version` limits a rule to that image (for reimage faults: the image being installed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from orchestrator.model import AppHealthState, Observation

# An unhealthy_after rule with no enabled_at, on a VM untouched so far, has always applied.
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class FaultKind(StrEnum):
    NEVER_HEALTHY = "never_healthy"
    HEALTHY_AFTER = "healthy_after"
    UNHEALTHY_AFTER = "unhealthy_after"
    EXTENSION_FAILS = "extension_fails"
    REIMAGE_FAILS = "reimage_fails"
    ROLLBACK_FAILS = "rollback_fails"


@dataclass(frozen=True)
class FaultRule:
    kind: FaultKind
    seconds: float | None = None
    instance_ids: frozenset[str] = frozenset()
    share: float | None = None
    zone: str | None = None
    image_version: str | None = None
    enabled: bool = True
    enabled_at: datetime | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.share is not None and not 0 <= self.share <= 1:
            raise ValueError(f"share must be from 0 to 1, got {self.share}")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError(f"seconds must not be negative, got {self.seconds}")
        if self.kind is FaultKind.HEALTHY_AFTER and self.seconds is None:
            raise ValueError("healthy_after needs seconds")

    def applies_to_image(self, image_version: str | None) -> bool:
        return self.image_version is None or self.image_version == image_version


@dataclass(frozen=True)
class SimulatedInstance:
    """What the simulated provider stores per VM.

    `image_version` is the OS disk the VM had before the current reimage (the kept disk a
    restore puts back); `reimage_*` and `restore_started_at` record the provider calls.
    """

    instance_id: str
    zone: str | None
    update_domain: int
    fault_domain: int
    image_version: str
    extensions: tuple[str, ...] = ("CustomScript",)
    power_state: str = "running"
    reimage_target: str | None = None
    reimage_started_at: datetime | None = None
    restore_started_at: datetime | None = None


@dataclass(frozen=True)
class BehaviourModel:
    reimage_seconds: float = 60.0
    restore_seconds: float = 30.0
    healthy_after_seconds: float = 20.0
    jitter: float = 0.2
    seed: int = 0
    time_scale: float = 1.0

    def duration(
        self, seconds: float, instance_id: str, started_at: datetime, what: str
    ) -> timedelta:
        """`seconds` scaled and varied by ±jitter, the same for the same VM and start."""
        draw = _draw(f"{self.seed}:{instance_id}:{what}:{started_at.isoformat()}")
        factor = 1 + self.jitter * (2 * draw - 1)
        return timedelta(seconds=seconds * factor / self.time_scale)

    def select(
        self, rule: FaultRule, population: Sequence[SimulatedInstance], scale_set: str
    ) -> frozenset[str]:
        """The instance ids `rule` applies to (see the module docstring)."""
        candidates = [vm for vm in population if rule.zone is None or vm.zone == rule.zone]
        if rule.instance_ids:
            return frozenset(
                vm.instance_id for vm in candidates if vm.instance_id in rule.instance_ids
            )
        ids = [vm.instance_id for vm in candidates]
        if rule.share is None:
            return frozenset(ids)
        count = math.floor(rule.share * len(ids) + 0.5)

        def rank(instance_id: str) -> float:
            return _draw(f"{self.seed}:{scale_set}:{rule.name}:{instance_id}")

        return frozenset(sorted(ids, key=rank)[:count])

    def rules_by_instance(
        self, rules: Iterable[FaultRule], population: Sequence[SimulatedInstance], scale_set: str
    ) -> dict[str, tuple[FaultRule, ...]]:
        """The enabled rules of each instance, selected once for a whole snapshot."""
        found: dict[str, list[FaultRule]] = {vm.instance_id: [] for vm in population}
        for rule in rules:
            if rule.enabled:
                for instance_id in self.select(rule, population, scale_set):
                    found[instance_id].append(rule)
        return {instance_id: tuple(chosen) for instance_id, chosen in found.items()}

    def observe(
        self, vm: SimulatedInstance, rules: Sequence[FaultRule], now: datetime
    ) -> Observation:
        """What `vm` looks like at `now` under its `rules` (from `rules_by_instance`)."""
        target = vm.reimage_target
        if vm.restore_started_at is not None:
            done = vm.restore_started_at + self.duration(
                self.restore_seconds, vm.instance_id, vm.restore_started_at, "restore"
            )
            if now < done:
                return _busy(vm, target or vm.image_version, done)
            if _has(rules, FaultKind.ROLLBACK_FAILS, target):
                return _failed(vm, target or vm.image_version, power_state="stopped")
            return self._settled(vm, vm.image_version, done, rules, now)
        if vm.reimage_started_at is not None and target is not None:
            done = vm.reimage_started_at + self.duration(
                self.reimage_seconds, vm.instance_id, vm.reimage_started_at, "reimage"
            )
            if now < done:
                return _busy(vm, vm.image_version, done)
            if _has(rules, FaultKind.REIMAGE_FAILS, target):
                return _failed(vm, target, power_state="stopped", completed=done)
            if _has(rules, FaultKind.EXTENSION_FAILS, target):
                return _failed(vm, target, power_state="running", completed=done, extension=True)
            return self._settled(vm, target, done, rules, now, reimage_completed_at=done)
        return self._settled(vm, vm.image_version, None, rules, now)

    def _settled(
        self,
        vm: SimulatedInstance,
        image: str,
        since: datetime | None,
        rules: Sequence[FaultRule],
        now: datetime,
        *,
        reimage_completed_at: datetime | None = None,
    ) -> Observation:
        """A VM running `image` since `since` (None: since before anything happened)."""
        rules = [rule for rule in rules if rule.applies_to_image(image)]
        extensions = tuple((name, "Succeeded") for name in vm.extensions)
        down_at = self._down_at(rules, since)
        healthy_at = None if since is None else self._healthy_at(vm, rules, since)
        changes = [moment for moment in (down_at, healthy_at) if moment and moment > now]
        base = Observation(
            image_version=image,
            extension_states=extensions,
            reimage_completed_at=reimage_completed_at,
        )
        if vm.power_state != "running" or (down_at is not None and now >= down_at):
            power = vm.power_state if vm.power_state != "running" else "stopped"
            return replace(base, power_state=power, next_change_at=None)
        if healthy_at is not None and now < healthy_at:
            probe, app = None, AppHealthState.INITIALIZING
        elif _has(rules, FaultKind.NEVER_HEALTHY, image):
            probe, app = False, AppHealthState.UNHEALTHY
        else:
            probe, app = True, AppHealthState.HEALTHY
        return replace(
            base, probe_healthy=probe, app_health=app, next_change_at=min(changes, default=None)
        )

    def _down_at(self, rules: Sequence[FaultRule], since: datetime | None) -> datetime | None:
        moments = []
        for rule in rules:
            if rule.kind is FaultKind.UNHEALTHY_AFTER:
                starts = [moment for moment in (rule.enabled_at, since) if moment is not None]
                start = max(starts, default=_LONG_AGO)
                moments.append(start + self._scaled(rule.seconds or 0.0))
        return min(moments, default=None)

    def _healthy_at(
        self, vm: SimulatedInstance, rules: Sequence[FaultRule], since: datetime
    ) -> datetime:
        delays = [rule.seconds for rule in rules if rule.kind is FaultKind.HEALTHY_AFTER]
        if delays and delays[0] is not None:
            return since + self._scaled(delays[0])
        return since + self.duration(self.healthy_after_seconds, vm.instance_id, since, "healthy")

    def _scaled(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.time_scale)


@lru_cache(maxsize=1 << 16)
def _draw(key: str) -> float:
    """A number in [0, 1) fixed by `key`: a fresh `random.Random` seeded with it."""
    return random.Random(key).random()


def _has(rules: Sequence[FaultRule], kind: FaultKind, image: str | None) -> bool:
    return any(rule.kind is kind and rule.applies_to_image(image) for rule in rules)


def _busy(vm: SimulatedInstance, image: str, done: datetime) -> Observation:
    """A reimage or restore in progress: the VM is down and being provisioned."""
    return Observation(
        image_version=image,
        power_state="starting",
        provisioning_state="Updating",
        extension_states=tuple((name, "Updating") for name in vm.extensions),
        next_change_at=done,
    )


def _failed(
    vm: SimulatedInstance,
    image: str,
    *,
    power_state: str,
    completed: datetime | None = None,
    extension: bool = False,
) -> Observation:
    names = vm.extensions or ("CustomScript",)
    if extension:
        # The first extension fails; those sequenced after it never run.
        states = ((names[0], "Failed"), *((name, "Skipped") for name in names[1:]))
    else:
        states = tuple((name, "Succeeded") for name in vm.extensions)
    return Observation(
        image_version=image,
        power_state=power_state,
        provisioning_state="Failed",
        extension_states=states,
        probe_healthy=False if power_state == "running" else None,
        app_health=AppHealthState.UNHEALTHY if power_state == "running" else None,
        reimage_completed_at=completed,
    )

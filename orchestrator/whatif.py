"""W1: the predicted outcome of an upgrade before anything runs.

The engine is pure, so an upgrade can be played out in memory: the edge hands over what its
simulated provider stores (one `SimulatedInstance` per VM, the fault rules, the behaviour
model), the policy and the health source; `predict` runs `engine.step` over a
`WhatIfWorld` (a `SimulatedWorld` that also keeps the edge's U9 extension states) at full
speed, jumping from one `recheck_at` to the next exactly as the worker would, and sums the
result up: each batch's instances with their outcome, where U1, U5 or U7 would stop the
upgrade (Azure's error code and the figures), which instances would stay on the old image,
and how long it would take.

The real run agrees instance by instance when it steps at the same moments (the behaviour
model's jitter is a function of the VM and the moment a reimage starts): the same seed,
the same start, no operator acting meanwhile. Maintenance windows (T7) are not played: the
prediction is of the upgrade's batches once they may run.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from orchestrator.actions import (
    Action,
    Finish,
    NotifyPendingUpgrade,
    PlanBatches,
    SetRunningStatus,
)
from orchestrator.behaviour import BehaviourModel, FaultRule, SimulatedInstance
from orchestrator.decision import Decision
from orchestrator.health import UnhealthyShare
from orchestrator.model import (
    AppHealthState,
    ErrorInfo,
    HealthSource,
    InstanceProgress,
    InstanceUpgradeState,
    InstanceView,
    Observation,
    OperationView,
    RunningStatus,
    Snapshot,
)
from orchestrator.policy import EffectivePolicy
from orchestrator.simulation import SimulatedWorld

State = InstanceUpgradeState
_PENDING = InstanceProgress()


class Outcome(StrEnum):
    """What the upgrade would do to one instance, by the end."""

    SUCCEEDED = "succeeded"  # on the target image, healthy
    ROLLED_BACK = "rolled_back"  # back on its previous OS disk (U4, or a policy breach)
    FAILED = "failed"  # failed and kept the new disk (M1, no rollback) or never came up (U9)
    ROLLBACK_FAILED = "rollback_failed"  # its previous disk could not be restored
    NOT_UPGRADED = "not_upgraded"  # planned, but the upgrade stopped before its batch
    SKIPPED = "skipped"  # already on the target (T6)


_OUTCOME_OF_STATE = {
    State.SUCCEEDED: Outcome.SUCCEEDED,
    State.ROLLED_BACK: Outcome.ROLLED_BACK,
    State.FAILED: Outcome.FAILED,
    State.ROLLBACK_FAILED: Outcome.ROLLBACK_FAILED,
    State.SKIPPED: Outcome.SKIPPED,
}


def outcome_of(state: InstanceUpgradeState) -> Outcome:
    """An instance's final upgrade state as an outcome; anything unfinished: not upgraded."""
    return _OUTCOME_OF_STATE.get(state, Outcome.NOT_UPGRADED)


@dataclass(frozen=True)
class Stop:
    """Where a health rule stops the upgrade: `rule` (U1, U5, U7), `after_batch` (the number
    of batches completed before it; 0 for U1), Azure's error and the figures."""

    rule: str
    after_batch: int
    error: ErrorInfo
    figures: UnhealthyShare


@dataclass(frozen=True)
class BatchForecast:
    index: int
    zones: tuple[str, ...]
    update_domain: int | None
    outcomes: tuple[tuple[str, Outcome], ...]  # (instance id, outcome), in the batch's order
    started_after: timedelta | None  # from the start of the upgrade; None: never starts
    completed_after: timedelta | None

    @property
    def instance_ids(self) -> tuple[str, ...]:
        return tuple(instance_id for instance_id, _ in self.outcomes)

    def count(self, outcome: Outcome) -> int:
        return sum(found is outcome for _, found in self.outcomes)


@dataclass(frozen=True)
class Prediction:
    target_image_version: str
    status: RunningStatus
    error: ErrorInfo | None
    stop: Stop | None
    batches: tuple[BatchForecast, ...]
    outcomes: Mapping[str, Outcome]  # every instance of the scale set
    left_on_old_image: tuple[str, ...]
    duration: timedelta  # at the policy's time scale, as the run would take
    steps: int
    transcript: tuple[str, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(found is outcome for found in self.outcomes.values())


@dataclass
class WhatIfWorld(SimulatedWorld):
    """A `SimulatedWorld` that keeps extension states as the database edge does (U9).

    `failing_extensions`: extensions whose credential has expired; a reimage runs the
    model's extensions again, so it leaves the first of them Failed (the ones after it
    Skipped) and the VM failed until the model is fixed. `extension_failures`: per VM, the
    extensions a past reimage left failed; a restore of the previous OS disk clears them.
    """

    extension_names: tuple[str, ...] = ()
    failing_extensions: tuple[str, ...] = ()
    extension_failures: dict[str, dict[str, str]] = field(default_factory=dict)
    # S2: the prediction assumes every instance is approved as soon as it is notified.
    approve_at_once: bool = True

    @classmethod
    def of(cls, world: SimulatedWorld) -> WhatIfWorld:
        """A what-if copy of a world that has not started (its VMs, policy, rules...)."""
        return cls(
            vms=dict(world.vms),
            operation=world.operation,
            policy=world.policy,
            health_source=world.health_source,
            behaviour=world.behaviour,
            rules=world.rules,
            scale_set=world.scale_set,
            credential_problems=world.credential_problems,
        )

    _views: dict[str, InstanceView] = field(default_factory=dict)
    _dirty: set[str] = field(default_factory=set)
    _expiries: list[tuple[datetime, str]] = field(default_factory=list)
    _rules_seen: tuple[FaultRule, ...] | None = None

    # What changes an instance's view: a provider call, an action on its progress, the
    # moment its observation changes by itself (`next_change_at`), a new rule.

    def reimage(self, instance_id: str, image_version: str, at: datetime) -> None:
        super().reimage(instance_id, image_version, at)
        self._dirty.add(instance_id)
        states: dict[str, str] = {}
        failed = False
        for name in self.extension_names:
            expired = name in self.failing_extensions
            states[name] = "Skipped" if failed else ("Failed" if expired else "Succeeded")
            failed = failed or expired
        failures = {name: state for name, state in states.items() if state != "Succeeded"}
        if failures:
            self.extension_failures[instance_id] = failures
        else:
            self.extension_failures.pop(instance_id, None)

    def restore_os_disk(self, instance_id: str, at: datetime) -> None:
        super().restore_os_disk(instance_id, at)
        self._dirty.add(instance_id)
        self.extension_failures.pop(instance_id, None)

    def _apply(self, action: Action, now: datetime) -> None:
        super()._apply(action, now)
        if isinstance(action, NotifyPendingUpgrade) and self.approve_at_once:
            self.approve((action.instance_id,), action.at)
        if isinstance(action, PlanBatches):
            self._dirty.update(self.vms)
        elif (instance_id := getattr(action, "instance_id", None)) is not None:
            self._dirty.add(instance_id)

    def observe(self, instance_ids: Sequence[str], at: datetime) -> Mapping[str, Observation]:
        selected = self._rules_by_instance()
        found = {}
        for instance_id in instance_ids:
            observation = self.behaviour.observe(self.vms[instance_id], selected[instance_id], at)
            failed = self.extension_failures.get(instance_id)
            found[instance_id] = (
                with_failed_extensions(observation, failed) if failed else observation
            )
        return found

    def snapshot(self, now: datetime) -> Snapshot:
        """`SimulatedWorld.snapshot`, recomputing only the views that can have changed.

        An observation is a pure function of the VM's record, its rules and `now`, constant
        until its `next_change_at` (the behaviour model's contract); a view changes with its
        observation or its progress. Every other view is the one built before: a step of a
        1,000-VM rollout so observes only its changed instances,
        not the whole scale set's (bench/whatif.py measures it).
        """
        if self.origin is None:
            self.origin = now
        if self._rules_seen is not self.rules or len(self._views) != len(self.vms):
            # Every view again, in the scale set's order (the order views are kept in).
            self._rules_seen = self.rules
            self._views = {}
            self._dirty = set(self.vms)
            everything = True
        else:
            everything = False
        while self._expiries and self._expiries[0][0] <= now:
            self._dirty.add(heapq.heappop(self._expiries)[1])
        if self._dirty:
            dirty = list(self.vms) if everything else list(self._dirty)
            observed = self.observe(dirty, now)
            for instance_id in dirty:
                vm = self.vms[instance_id]
                observation = observed[instance_id]
                self._views[instance_id] = InstanceView(
                    instance_id=instance_id,
                    zone=vm.zone,
                    update_domain=vm.update_domain,
                    fault_domain=vm.fault_domain,
                    observed=observation,
                    progress=self.progress.get(instance_id, _PENDING),
                )
                if observation.next_change_at is not None:
                    heapq.heappush(self._expiries, (observation.next_change_at, instance_id))
            self._dirty = set()
        snapshot = Snapshot(
            policy=self.policy,
            health_source=self.health_source,
            operation=self.operation,
            instances=tuple(self._views.values()),
            credential_problems=self.credential_problems,
        )
        # The engine's index of the views, built from the one kept here (a copy: it is the
        # snapshot's own, and this one changes on the next step).
        snapshot.__dict__["instances_by_id"] = dict(self._views)
        return snapshot


def with_failed_extensions(observed: Observation, failed: Mapping[str, str]) -> Observation:
    """U9: extensions a reimage left failed keep the VM failed (once it is no longer being
    provisioned) until the model is applied again: the same overlay as the database edge's."""
    if not failed or observed.provisioning_state == "Updating":
        return observed
    states = tuple((name, failed.get(name, "Succeeded")) for name, _ in observed.extension_states)
    running = observed.power_state == "running"
    return replace(
        observed,
        provisioning_state="Failed",
        extension_states=states or tuple(failed.items()),
        probe_healthy=False if running else None,
        app_health=AppHealthState.UNHEALTHY if running else None,
    )


def predict(
    *,
    vms: Sequence[SimulatedInstance],
    operation: OperationView,
    policy: EffectivePolicy,
    health_source: HealthSource,
    behaviour: BehaviourModel,
    rules: Sequence[FaultRule] = (),
    scale_set: str = "sim",
    credential_problems: tuple[str, ...] = (),
    failing_extensions: tuple[str, ...] = (),
    extension_failures: Mapping[str, Mapping[str, str]] | None = None,
    start: datetime,
    max_steps: int = 100_000,
) -> Prediction:
    """Play the upgrade out from `start` and say what it would do (module docstring)."""
    world = WhatIfWorld(
        vms={vm.instance_id: vm for vm in vms},
        operation=operation,
        policy=policy,
        health_source=health_source,
        behaviour=behaviour,
        rules=tuple(rules),
        scale_set=scale_set,
        credential_problems=credential_problems,
        extension_names=vms[0].extensions if vms else (),
        failing_extensions=failing_extensions,
        extension_failures={key: dict(value) for key, value in (extension_failures or {}).items()},
    )
    return play(world, start, max_steps=max_steps)


def play(world: SimulatedWorld, start: datetime, *, max_steps: int = 100_000) -> Prediction:
    """Run `world` to its end (it must not have started) and sum it up."""
    stops: list[Stop] = []

    def watch(snapshot: Snapshot, decision: Decision, now: datetime) -> None:
        if stops:
            return
        breach = next((share for share in decision.figures if share.exceeds), None)
        stop_error = _stop_error(decision)
        if breach is not None and stop_error is not None:
            last = snapshot.operation.last_completed_batch
            done = 0 if last is None else last.index + 1
            stops.append(Stop(breach.rule, done, stop_error, breach))

    end = world.run(start, max_steps=max_steps, check=watch)
    target = world.operation.target_image_version
    outcomes = {
        instance_id: outcome_of(world.progress.get(instance_id, _PENDING).upgrade_state)
        for instance_id in world.vms
    }
    seen = world.observe(list(world.vms), end)
    left = tuple(
        instance_id
        for instance_id in world.vms
        if outcomes[instance_id] is Outcome.ROLLBACK_FAILED  # its old disk, attached, failing
        or (
            seen[instance_id].image_version != target
            and outcomes[instance_id] is not Outcome.SKIPPED
        )
    )
    batches = tuple(
        BatchForecast(
            index=batch.index,
            zones=batch.zones,
            update_domain=batch.update_domain,
            outcomes=tuple((i, outcomes[i]) for i in batch.instance_ids),
            started_after=None if batch.started_at is None else batch.started_at - start,
            completed_after=None if batch.completed_at is None else batch.completed_at - start,
        )
        for batch in world.operation.batches
    )
    return Prediction(
        target_image_version=target,
        status=world.operation.status,
        error=world.operation.error,
        stop=stops[0] if stops else None,
        batches=batches,
        outcomes=outcomes,
        left_on_old_image=left,
        duration=end - start,
        steps=world.steps,
        transcript=tuple(world.transcript),
    )


def _stop_error(decision: Decision) -> ErrorInfo | None:
    """The error a decision stops with: a Finish(Faulted), or the RollingBack that precedes
    it under rollbackFailedInstancesOnPolicyBreach."""
    for action in decision.actions:
        if isinstance(action, Finish) and action.status is RunningStatus.FAULTED:
            return action.error
        if isinstance(action, SetRunningStatus) and action.status is RunningStatus.ROLLING_BACK:
            return action.error
    return None

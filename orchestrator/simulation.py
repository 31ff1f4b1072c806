"""`SimulatedWorld`: a scale set and one operation in memory, applying decisions as the edge must.

It is the reference implementation of the edge's contract:

* `snapshot(now)` rebuilds a `Snapshot` from stored state (operation, batches, one
  `InstanceProgress` per instance) plus one `observe` call for every instance;
* `apply(decision, now)` applies the actions in order, each as one update of the stored state
  plus, for Reimage / RestoreOsDisk / MarkSucceeded, one provider call (`actions` docstring);
* it is itself a `ComputeProvider`, backed by `behaviour.BehaviourModel` and fault rules.

Property tests and benchmarks drive whole rollouts with `run`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import assert_never

from orchestrator.actions import (
    Action,
    CompleteBatch,
    Finish,
    MarkFailed,
    MarkRollbackFailed,
    MarkRolledBack,
    MarkSucceeded,
    MarkWaitingForHealth,
    NotifyPendingUpgrade,
    PlanBatches,
    Reimage,
    ReleaseUnapproved,
    RestoreOsDisk,
    SetPaused,
    SetRunningStatus,
    StartBatch,
    StartOperation,
)
from orchestrator.behaviour import BehaviourModel, FaultKind, FaultRule, SimulatedInstance
from orchestrator.clock import ManualClock
from orchestrator.decision import Decision
from orchestrator.engine import step
from orchestrator.gates.actions import PauseForGate, ReachCheckpoint, StartGateRun
from orchestrator.model import (
    HealthSource,
    InstanceProgress,
    InstanceUpgradeState,
    InstanceView,
    Observation,
    OperationView,
    Snapshot,
)
from orchestrator.policy import EffectivePolicy, UpgradeKind, effective_policy

StepHook = Callable[["SimulatedWorld", datetime], None]
CheckHook = Callable[[Snapshot, Decision, datetime], None]

_FLAKY_KINDS = (
    FaultKind.NEVER_HEALTHY,
    FaultKind.HEALTHY_AFTER,
    FaultKind.UNHEALTHY_AFTER,
    FaultKind.EXTENSION_FAILS,
    FaultKind.REIMAGE_FAILS,
    FaultKind.ROLLBACK_FAILS,
)


@dataclass
class SimulatedWorld:
    vms: dict[str, SimulatedInstance]
    operation: OperationView
    policy: EffectivePolicy
    health_source: HealthSource = HealthSource.LOAD_BALANCER_PROBE
    behaviour: BehaviourModel = field(default_factory=BehaviourModel)
    rules: tuple[FaultRule, ...] = ()
    scale_set: str = "sim"
    credential_problems: tuple[str, ...] = ()
    progress: dict[str, InstanceProgress] = field(default_factory=dict)
    ended_at: datetime | None = None
    origin: datetime | None = None
    transcript: list[str] = field(default_factory=list)
    provider_calls: list[str] = field(default_factory=list)
    steps: int = 0
    _selection: tuple[object, dict[str, tuple[FaultRule, ...]]] | None = None

    @classmethod
    def build(
        cls,
        *,
        vms: int,
        zones: int = 0,
        update_domains: int = 5,
        current: str = "1.0",
        target: str = "2.0",
        kind: UpgradeKind = UpgradeKind.AUTOMATIC,
        policy: EffectivePolicy | None = None,
        health_source: HealthSource = HealthSource.LOAD_BALANCER_PROBE,
        rules: Iterable[FaultRule] = (),
        flaky: float = 0.0,
        rng: random.Random | None = None,
        behaviour: BehaviourModel | None = None,
        on_target: Collection[str] = (),
        scale_set: str = "sim",
    ) -> SimulatedWorld:
        """A scale set of `vms` VMs ("0", "1", ...), round robin over `zones` (none: regional)
        and `update_domains`; `flaky` is the share of VMs given a random fault by `rng`."""
        rng = rng or random.Random(0)
        instances = {}
        for number in range(vms):
            instance_id = str(number)
            zone = str(number % zones + 1) if zones else None
            domain = (number // max(zones, 1)) % update_domains
            instances[instance_id] = SimulatedInstance(
                instance_id=instance_id,
                zone=zone,
                update_domain=domain,
                fault_domain=0 if zones else domain,
                image_version=target if instance_id in on_target else current,
            )
        all_rules = [*rules, *_flaky_rules(list(instances), flaky, rng, target)]
        return cls(
            vms=instances,
            operation=OperationView(kind=kind, target_image_version=target),
            policy=policy or effective_policy(kind, None, None),
            health_source=health_source,
            behaviour=behaviour or BehaviourModel(seed=rng.randrange(2**32)),
            rules=tuple(all_rules),
            scale_set=scale_set,
        )

    # The ComputeProvider the edge calls while applying actions.

    def reimage(self, instance_id: str, image_version: str, at: datetime) -> None:
        vm = self.vms[instance_id]
        if vm.reimage_target == image_version and vm.restore_started_at is None:
            return  # already being reimaged to this version: a replayed step
        self.vms[instance_id] = replace(
            vm, reimage_target=image_version, reimage_started_at=at, restore_started_at=None
        )
        self.provider_calls.append(f"reimage {instance_id} {image_version}")

    def restore_os_disk(self, instance_id: str, at: datetime) -> None:
        vm = self.vms[instance_id]
        if vm.restore_started_at is None:
            self.vms[instance_id] = replace(vm, restore_started_at=at)
            self.provider_calls.append(f"restore_os_disk {instance_id}")

    def discard_previous_os_disk(self, instance_id: str, at: datetime) -> None:
        self.provider_calls.append(f"discard_previous_os_disk {instance_id}")

    def observe(self, instance_ids: Sequence[str], at: datetime) -> Mapping[str, Observation]:
        selected = self._rules_by_instance()
        return {
            instance_id: self.behaviour.observe(self.vms[instance_id], selected[instance_id], at)
            for instance_id in instance_ids
        }

    def _rules_by_instance(self) -> dict[str, tuple[FaultRule, ...]]:
        key = (self.rules, tuple(self.vms))
        if self._selection is None or self._selection[0] != key:
            population = list(self.vms.values())
            selected = self.behaviour.rules_by_instance(self.rules, population, self.scale_set)
            self._selection = (key, selected)
        return self._selection[1]

    # Operator verbs (services in the Django edge).

    def request_cancel(self) -> None:
        self.operation = replace(self.operation, cancel_requested=True)

    def request_pause(self) -> None:
        self.operation = replace(self.operation, pause_requested=True)

    def resume(self) -> None:
        self.operation = replace(self.operation, pause_requested=False)

    def approve(self, instance_ids: Collection[str], at: datetime) -> None:
        """S2: approveRollingUpgrade for these instances (those awaiting approval)."""
        for instance_id in instance_ids:
            progress = self.progress.get(instance_id)
            if (
                progress is not None
                and progress.upgrade_state is InstanceUpgradeState.AWAITING_APPROVAL
            ):
                self.progress[instance_id] = replace(progress, approved_at=at)

    def add_rule(self, rule: FaultRule) -> None:
        self.rules = (*self.rules, rule)

    # Snapshot in, decision applied.

    def snapshot(self, now: datetime) -> Snapshot:
        if self.origin is None:
            self.origin = now
        observed = self.observe(list(self.vms), now)
        instances = tuple(
            InstanceView(
                instance_id=vm.instance_id,
                zone=vm.zone,
                update_domain=vm.update_domain,
                fault_domain=vm.fault_domain,
                observed=observed[vm.instance_id],
                progress=self.progress.get(vm.instance_id, InstanceProgress()),
            )
            for vm in self.vms.values()
        )
        return Snapshot(
            policy=self.policy,
            health_source=self.health_source,
            operation=self.operation,
            instances=instances,
            credential_problems=self.credential_problems,
        )

    def apply(self, decision: Decision, now: datetime) -> None:
        """Apply every action in order, and keep the reasons as a transcript."""
        origin = self.origin or now
        for reason in decision.reasons:
            self.transcript.append(f"{(now - origin).total_seconds():8.1f}s  {reason}")
        for action in decision.actions:
            self._apply(action, now)

    def _apply(self, action: Action, now: datetime) -> None:
        operation = self.operation
        match action:
            case StartOperation(at=at):
                self.operation = replace(operation, started_at=at)
            case PlanBatches(batches=batches, skipped=skipped):
                self.operation = replace(operation, batches=batches)
                for batch in batches:
                    for instance_id in batch.instance_ids:
                        self.progress[instance_id] = InstanceProgress(batch_index=batch.index)
                for instance_id in skipped:
                    self.progress[instance_id] = InstanceProgress(InstanceUpgradeState.SKIPPED)
            case StartBatch(index=index, at=at):
                self._update_batch(index, started_at=at)
            case Reimage(instance_id=instance_id, image_version=version, at=at):
                self.reimage(instance_id, version, at)
                self._update(instance_id, InstanceUpgradeState.REIMAGING, reimage_started_at=at)
            case MarkWaitingForHealth(instance_id=instance_id, deadline=deadline):
                state = InstanceUpgradeState.WAITING_FOR_HEALTH
                self._update(instance_id, state, health_deadline=deadline)
            case MarkSucceeded(instance_id=instance_id):
                self.discard_previous_os_disk(instance_id, now)
                self._update(instance_id, InstanceUpgradeState.SUCCEEDED)
            case RestoreOsDisk(instance_id=instance_id, at=at, reason=reason):
                self.restore_os_disk(instance_id, at)
                state = InstanceUpgradeState.ROLLING_BACK
                self._update(instance_id, state, rollback_started_at=at, failure_reason=reason)
            case MarkRolledBack(instance_id=instance_id):
                self._update(instance_id, InstanceUpgradeState.ROLLED_BACK)
            case MarkRollbackFailed(instance_id=instance_id, reason=reason):
                state = InstanceUpgradeState.ROLLBACK_FAILED
                self._update(instance_id, state, failure_reason=reason)
            case MarkFailed(instance_id=instance_id, reason=reason):
                self._update(instance_id, InstanceUpgradeState.FAILED, failure_reason=reason)
            case NotifyPendingUpgrade(instance_id=instance_id):
                self._update(instance_id, InstanceUpgradeState.AWAITING_APPROVAL)
            case ReleaseUnapproved(instance_id=instance_id, reason=reason):
                self._update(instance_id, InstanceUpgradeState.SKIPPED, failure_reason=reason)
            case CompleteBatch(index=index, at=at):
                self._update_batch(index, completed_at=at)
            case SetPaused(paused=paused):
                self.operation = replace(operation, is_paused=paused)
            case SetRunningStatus(status=status, error=error):
                self.operation = replace(operation, status=status, error=error)
            case Finish(status=status, error=error, at=at):
                self.operation = replace(operation, status=status, error=error, is_paused=False)
                self.ended_at = at
            case StartGateRun() | PauseForGate() | ReachCheckpoint():
                pass  # G1, G4: the in-memory world has no gates (its snapshots' gates are None)
            case _:
                assert_never(action)

    def _update(self, instance_id: str, state: InstanceUpgradeState, **fields: object) -> None:
        progress = self.progress.get(instance_id, InstanceProgress())
        self.progress[instance_id] = replace(progress, upgrade_state=state, **fields)  # type: ignore[arg-type]

    def _update_batch(self, index: int, **fields: datetime) -> None:
        batches = list(self.operation.batches)
        batches[index] = replace(batches[index], **fields)  # type: ignore[arg-type]
        self.operation = replace(self.operation, batches=tuple(batches))

    def finished_with_a_reason(self) -> bool:
        """The operation ended, and the transcript says why."""
        return self.operation.status.is_final and bool(self.transcript)

    def run(
        self,
        start: datetime,
        *,
        max_steps: int = 10_000,
        before_step: StepHook | None = None,
        check: CheckHook | None = None,
    ) -> datetime:
        """Step until the operation finishes or pauses; the time it stopped at.

        `before_step` may act as an operator (cancel, pause, add a rule) before each step;
        `check` sees every snapshot with its decision and `now`, before the decision is applied.
        """
        clock = ManualClock(start)
        for _ in range(max_steps):
            now = clock.now()
            if before_step is not None:
                before_step(self, now)
            snapshot = self.snapshot(now)
            decision = step(snapshot, now)
            if check is not None:
                check(snapshot, decision, now)
            self.apply(decision, now)
            self.steps += 1
            if decision.recheck_at is None:
                return now
            clock.move_to(decision.recheck_at)
        raise RuntimeError(f"the operation did not finish within {max_steps} steps")


def _flaky_rules(
    instance_ids: list[str], share: float, rng: random.Random, target: str
) -> list[FaultRule]:
    """One random fault for each VM drawn with probability `share`."""
    rules = []
    for instance_id in instance_ids:
        if rng.random() >= share:
            continue
        kind = rng.choice(_FLAKY_KINDS)
        seconds = None
        if kind in (FaultKind.HEALTHY_AFTER, FaultKind.UNHEALTHY_AFTER):
            seconds = rng.choice((0.0, 30.0, 200.0, 400.0))
        image = target if kind is not FaultKind.UNHEALTHY_AFTER else None
        rules.append(
            FaultRule(kind, seconds, instance_ids=frozenset({instance_id}), image_version=image)
        )
    return rules

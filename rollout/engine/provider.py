"""The simulated compute provider over database rows (DESIGN: the compute provider).

VM behaviour is ``orchestrator.behaviour``'s pure model; this module stores what was done to
each VM (reimage and restore times, the OS disks) and answers ``observe`` from those rows and
the scale set's fault rules. Writes are buffered and flushed in bulk, so applying a batch of
any size costs a constant number of queries.

U3 on reimage: a new OS disk from the target image is attached and the previous one kept
(``kept_os_disk``); data disks are not touched; the model's extensions are applied again in
``provisionAfterExtensions`` order (an extension whose credential expired fails, U9); the
instance runs the scale set's current model afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings

from orchestrator.behaviour import BehaviourModel, SimulatedInstance
from orchestrator.behaviour import FaultKind as EngineFaultKind
from orchestrator.behaviour import FaultRule as EngineFaultRule
from orchestrator.model import AppHealthState, Observation
from rollout.engine.bulk import update_rows
from rollout.models import (
    DiskState,
    Extension,
    FaultRule,
    Instance,
    OsDisk,
    ScaleSet,
    provisioning_order,
)


def behaviour_model() -> BehaviourModel:
    return BehaviourModel(
        seed=getattr(settings, "ROLLWRIGHT_SIMULATION_SEED", 0),
        time_scale=settings.ROLLWRIGHT_TIME_SCALE,
        **getattr(settings, "ROLLWRIGHT_SIMULATION_TIMINGS", {}),
    )


def engine_rule(rule: FaultRule) -> EngineFaultRule:
    return EngineFaultRule(
        kind=EngineFaultKind(rule.kind),
        seconds=rule.seconds,
        instance_ids=frozenset(str(i) for i in rule.instance_ids),
        share=rule.share,
        zone=rule.zone or None,
        image_version=rule.image_version or None,
        enabled=rule.enabled,
        enabled_at=rule.created_at,
        name=f"rule-{rule.pk}",
    )


def provision_extensions(extensions: Sequence[Extension], at: datetime) -> dict[str, str]:
    """U3: extensions (in sequencing order) run again; U9: one whose credential has expired at
    ``at`` fails, and the ones after it never run."""
    states: dict[str, str] = {}
    failed = False
    for extension in extensions:
        expired = (
            extension.credential_expires_at is not None and extension.credential_expires_at <= at
        )
        states[extension.name] = "Skipped" if failed else ("Failed" if expired else "Succeeded")
        failed = failed or expired
    return states


def expired_credentials(extensions: Sequence[Extension], now: datetime) -> tuple[str, ...]:
    """U9: the credentials of the model that have expired at ``now``, named for people."""
    return tuple(
        f"extension '{e.name}' credential (SAS token) expired "
        f"{e.credential_expires_at:%Y-%m-%d %H:%M} UTC"
        for e in extensions
        if e.credential_expires_at is not None and e.credential_expires_at <= now
    )


class DatabaseComputeProvider:
    """``orchestrator.provider.ComputeProvider`` for one scale set, backed by its rows.

    With ``instance_pks`` it loads only those instances (a step of a large scale set loads
    the few it acts on, ``rollout.engine.step_snapshot``); fault rules still select among
    every instance of the scale set (``population``: their instance ids and zones).
    """

    def __init__(
        self,
        scale_set: ScaleSet,
        *,
        behaviour: BehaviourModel | None = None,
        instance_pks: Collection[int] | None = None,
        rules: Sequence[EngineFaultRule] | None = None,
        population: Sequence[tuple[str, str | None]] | None = None,
    ) -> None:
        self.scale_set = scale_set
        self.behaviour = behaviour or behaviour_model()
        rows = scale_set.instances.select_related("os_disk", "kept_os_disk")
        if instance_pks is not None:
            rows = rows.filter(pk__in=list(instance_pks))
        self.instances: dict[str, Instance] = {
            str(instance.instance_id): instance for instance in rows
        }
        self.instances_by_pk = {instance.pk: instance for instance in self.instances.values()}
        self.extensions = provisioning_order(list(scale_set.extensions.all()))
        self.rules = (
            list(rules)
            if rules is not None
            else [engine_rule(rule) for rule in scale_set.fault_rules.all()]
        )
        self._population = population
        self._changed: dict[str, Instance] = {}
        self._new_disks: list[tuple[Instance, OsDisk]] = []
        self._changed_disks: dict[int, OsDisk] = {}
        self._selection: dict[str, tuple[EngineFaultRule, ...]] | None = None

    # ComputeProvider

    def reimage(self, instance_id: str, image_version: str, at: datetime) -> None:
        instance = self.instances[instance_id]
        if (
            instance.reimage_target == image_version
            and instance.restore_started_at is None
            and instance.reimage_started_at is not None
            and instance.kept_os_disk_id is not None
        ):
            return  # already being reimaged to this version: a replayed step
        old = instance.os_disk
        if old is not None:
            old.state = DiskState.KEPT_FOR_ROLLBACK
            self._changed_disks[old.pk] = old
        disk = OsDisk(
            instance=instance,
            name=f"{self.scale_set.name}_{instance.instance_id}_OsDisk_{image_version}",
            image_version=image_version,
            state=DiskState.ATTACHED,
            created_at=at,
        )
        self._new_disks.append((instance, disk))
        instance.kept_os_disk = old
        instance.reimage_target = image_version
        instance.reimage_started_at = at
        instance.restore_started_at = None
        instance.model_version = self.scale_set.model_version
        instance.extension_states = provision_extensions(self.extensions, at)
        self._changed[instance_id] = instance

    def restore_os_disk(self, instance_id: str, at: datetime) -> None:
        instance = self.instances[instance_id]
        if instance.restore_started_at is not None:
            return
        kept, current = instance.kept_os_disk, instance.os_disk
        if kept is not None:
            kept.state = DiskState.ATTACHED
            self._changed_disks[kept.pk] = kept
            if current is not None:
                current.state = DiskState.DELETED
                current.deleted_at = at
                self._changed_disks[current.pk] = current
            instance.os_disk = kept
            instance.kept_os_disk = None
        instance.restore_started_at = at
        instance.extension_states = {e.name: "Succeeded" for e in self.extensions}
        self._changed[instance_id] = instance

    def discard_previous_os_disk(self, instance_id: str, at: datetime) -> None:
        instance = self.instances[instance_id]
        kept = instance.kept_os_disk
        if kept is None:
            return
        kept.state = DiskState.DELETED
        kept.deleted_at = at
        self._changed_disks[kept.pk] = kept
        instance.kept_os_disk = None
        self._changed[instance_id] = instance

    def observe(self, instance_ids: Sequence[str], at: datetime) -> Mapping[str, Observation]:
        selected = self._rules_by_instance()
        return {
            instance_id: self._observe_one(self.instances[instance_id], selected[instance_id], at)
            for instance_id in instance_ids
        }

    # Edge helpers

    def flush(self) -> None:
        """Write every buffered change: a constant number of bulk queries."""
        if self._new_disks:
            disks = OsDisk.objects.bulk_create([disk for _, disk in self._new_disks])
            for (instance, _), disk in zip(self._new_disks, disks, strict=True):
                instance.os_disk = disk
        update_rows(list(self._changed_disks.values()), ["state", "deleted_at"])
        if self._changed:
            update_rows(
                list(self._changed.values()),
                [
                    "os_disk",
                    "kept_os_disk",
                    "reimage_target",
                    "reimage_started_at",
                    "restore_started_at",
                    "model_version",
                    "extension_states",
                ],
            )
        self._new_disks, self._changed_disks, self._changed = [], {}, {}

    def simulated_records(self) -> list[SimulatedInstance]:
        """What the behaviour model knows of every VM, in instance order (W1's what-if)."""
        return [self._record(instance) for instance in self.instances.values()]

    def _record(self, instance: Instance) -> SimulatedInstance:
        kept = instance.kept_os_disk
        current = instance.os_disk
        # While a reimage is running or kept, the VM's "own" image is the kept disk's.
        own = kept.image_version if kept is not None else (current.image_version if current else "")
        reimaging = instance.reimage_started_at is not None and instance.reimage_target
        return SimulatedInstance(
            instance_id=str(instance.instance_id),
            zone=instance.zone or None,
            update_domain=instance.update_domain,
            fault_domain=instance.fault_domain,
            image_version=own,
            extensions=tuple(e.name for e in self.extensions),
            power_state=instance.power_state,
            reimage_target=instance.reimage_target if reimaging else None,
            reimage_started_at=instance.reimage_started_at if reimaging else None,
            restore_started_at=instance.restore_started_at,
        )

    def _observe_one(
        self, instance: Instance, rules: tuple[EngineFaultRule, ...], at: datetime
    ) -> Observation:
        observed = self.behaviour.observe(self._record(instance), rules, at)
        failed = {
            name: state for name, state in instance.extension_states.items() if state != "Succeeded"
        }
        if failed and observed.provisioning_state != "Updating":
            # U9: an extension that failed on the last reimage (an expired credential) keeps the
            # VM failed until the model is applied again with a valid credential (E5).
            states = tuple(
                (name, failed.get(name, "Succeeded")) for name, _ in observed.extension_states
            )
            observed = replace(
                observed,
                provisioning_state="Failed",
                extension_states=states or tuple(failed.items()),
                probe_healthy=False if observed.power_state == "running" else None,
                app_health=AppHealthState.UNHEALTHY if observed.power_state == "running" else None,
            )
        return observed

    def _rules_by_instance(self) -> dict[str, tuple[EngineFaultRule, ...]]:
        if self._selection is None:
            if self._population is None:
                population = [self._record(instance) for instance in self.instances.values()]
            else:
                # Selection reads ids and zones only (BehaviourModel.select).
                population = [
                    SimulatedInstance(instance_id, zone, 0, 0, "")
                    for instance_id, zone in self._population
                ]
            selection = self.behaviour.rules_by_instance(
                self.rules, population, self.scale_set.name
            )
            self._selection = {key: selection.get(key, ()) for key in self.instances}
        return self._selection


def observe_scale_set(scale_set: ScaleSet, at: datetime) -> dict[int, Observation]:
    """What every VM of ``scale_set`` looks like at ``at`` (for the API and the dashboard)."""
    provider = DatabaseComputeProvider(scale_set)
    observed = provider.observe(list(provider.instances), at)
    return {int(instance_id): observation for instance_id, observation in observed.items()}


def health_label(observation: Observation) -> str:
    """Azure's vmHealth wording for an observation: Healthy, Unhealthy, Initializing, Unknown."""
    if observation.power_state != "running" or observation.provisioning_state == "Failed":
        return "Unhealthy"
    if observation.app_health is not None:
        return str(observation.app_health)
    if observation.probe_healthy is None:
        return "Unknown"
    return "Healthy" if observation.probe_healthy else "Unhealthy"


__all__: list[Any] = [
    "DatabaseComputeProvider",
    "behaviour_model",
    "engine_rule",
    "expired_credentials",
    "health_label",
    "observe_scale_set",
    "provision_extensions",
]

"""Applying one engine decision to the database, exactly as ``orchestrator.actions`` says.

Everything happens inside the caller's transaction: row updates, provider calls (buffered and
flushed in bulk), one ``Event`` row per action and ONE broadcast after commit. The number of
queries is constant per step, whatever the batch size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any, assert_never

from orchestrator import actions as a
from orchestrator.decision import Decision
from orchestrator.model import (
    PENDING_STATES,
    InstanceUpgradeState,
    ProgressCounts,
    count_progress,
    progress_of_states,
)
from rollout import events
from rollout.engine.bulk import update_rows
from rollout.engine.estimates import estimate_of
from rollout.engine.figures import figures_by_rule
from rollout.engine.gates import apply_gate_action
from rollout.engine.provider import DatabaseComputeProvider
from rollout.engine.snapshots import image_of, progress_of
from rollout.models import (
    Event,
    EventKind,
    InstanceUpgrade,
    UpgradeBatch,
    UpgradeOperation,
)

INSTANCE_FIELDS = [
    "state",
    "batch",
    "reimage_started_at",
    "reimage_completed_at",
    "health_deadline",
    "rollback_started_at",
    "ended_at",
    "failure_reason",
    "old_os_disk",
    "new_os_disk",
    "notified_at",
]
ESTIMATE_CHANGES = {
    EventKind.BATCH_STARTED,
    EventKind.BATCH_COMPLETED,
    EventKind.PAUSED,
    EventKind.RESUMED,
}
TERMINAL = {
    InstanceUpgradeState.SUCCEEDED,
    InstanceUpgradeState.FAILED,
    InstanceUpgradeState.ROLLED_BACK,
    InstanceUpgradeState.ROLLBACK_FAILED,
}


# A skipped instance's reason when instance protection, not T6, left it out (grid, history).
PROTECTED_REASON = "Instance protection: protectFromScaleSetActions leaves it out"


class Applier:
    """Applies the actions of one decision to one operation's rows."""

    def __init__(
        self,
        operation: UpgradeOperation,
        provider: DatabaseComputeProvider,
        rows: dict[int, InstanceUpgrade],
        batches: list[UpgradeBatch],
        now: datetime,
        counts: Mapping[str, int] | None = None,
        pending: int = 0,
    ) -> None:
        self.operation = operation
        # A scoped step (engine.step_snapshot) loads some rows only: the operation's counts
        # come from all rows' counts at load time (``counts``, by state) plus this step's moves.
        self.base_counts = counts
        self.base_pending = pending
        self.loaded_states = {row.pk: row.state for row in rows.values() if row.pk is not None}
        self.provider = provider
        self.rows = rows
        self.batches = {batch.index: batch for batch in batches}
        # Rows reach batches by batch_id: row.batch would cost one query per row.
        self.batch_by_pk = {batch.pk: batch for batch in batches}
        self.now = now
        self.events: list[Event] = []
        self.changed_rows: dict[int, InstanceUpgrade] = {}
        self.new_rows: list[InstanceUpgrade] = []
        self.changed_batches: dict[int, UpgradeBatch] = {}

    def apply(self, decision: Decision) -> None:
        for action in decision.actions:
            self._apply(action)
        self._write()
        if decision.reasons:
            # As data beside the words, for pages to read: the figures the reasons give (U1 U5
            # U7) and which reasons tell routine progress (their indexes).
            data: dict[str, Any] = {"reasons": list(decision.reasons)}
            if decision.figures:
                data["figures"] = figures_by_rule(decision.figures)
            if decision.routine:
                data["routine"] = list(decision.routine)
            self._event(EventKind.DECISION, **data)
            self.operation.reasons = list(decision.reasons)
        self._refresh_counts()
        self._attach_estimate()
        events.record(self.events)

    # one action each

    def _apply(self, action: a.Action) -> None:
        match action:
            case a.StartOperation(at=at):
                self.operation.planned_at = at
            case a.PlanBatches(batches=batches, skipped=skipped):
                self._plan(batches, skipped)
            case a.StartBatch(index=index, at=at):
                batch = self.batches[index]
                batch.started_at = at
                self.changed_batches[index] = batch
                self.operation.current_batch_index = index
                self._event(EventKind.BATCH_STARTED, batch=index, instances=self._ids(index))
            case a.Reimage(instance_id=instance_id, image_version=version, at=at):
                instance = self.provider.instances[instance_id]
                row = self._row(instance_id)
                row.old_os_disk = instance.os_disk
                self.provider.reimage(instance_id, image_of(version), at)
                self._set(row, InstanceUpgradeState.REIMAGING, reimage_started_at=at)
            case a.MarkWaitingForHealth(instance_id=instance_id, deadline=deadline):
                row = self._row(instance_id)
                self._set(
                    row,
                    InstanceUpgradeState.WAITING_FOR_HEALTH,
                    health_deadline=deadline,
                    reimage_completed_at=self.now,
                )
            case a.MarkSucceeded(instance_id=instance_id):
                self.provider.discard_previous_os_disk(instance_id, self.now)
                self._set(self._row(instance_id), InstanceUpgradeState.SUCCEEDED)
            case a.RestoreOsDisk(instance_id=instance_id, at=at, reason=reason):
                self.provider.restore_os_disk(instance_id, at)
                self._set(
                    self._row(instance_id),
                    InstanceUpgradeState.ROLLING_BACK,
                    rollback_started_at=at,
                    failure_reason=reason,
                )
            case a.MarkRolledBack(instance_id=instance_id):
                self._set(self._row(instance_id), InstanceUpgradeState.ROLLED_BACK)
            case a.MarkRollbackFailed(instance_id=instance_id, reason=reason):
                row = self._row(instance_id)
                self._set(row, InstanceUpgradeState.ROLLBACK_FAILED, failure_reason=reason)
            case a.MarkFailed(instance_id=instance_id, reason=reason):
                self._set(
                    self._row(instance_id), InstanceUpgradeState.FAILED, failure_reason=reason
                )
            case a.NotifyPendingUpgrade(instance_id=instance_id, at=at):
                row = self._row(instance_id)
                self._set(row, InstanceUpgradeState.AWAITING_APPROVAL, notified_at=at)
            case a.ReleaseUnapproved(instance_id=instance_id, reason=reason):
                row = self._row(instance_id)
                self._set(row, InstanceUpgradeState.SKIPPED, failure_reason=reason)
            case a.CompleteBatch(index=index, at=at):
                batch = self.batches[index]
                batch.completed_at = at
                self.changed_batches[index] = batch
                self.operation.current_batch_index = None
                self._event(EventKind.BATCH_COMPLETED, batch=index)
            case a.SetPaused(paused=paused):
                self.operation.is_paused = paused
                self._event(EventKind.PAUSED if paused else EventKind.RESUMED, engine=True)
            case a.SetRunningStatus(status=status, error=error):
                self.operation.status = status
                self.operation.error_code = error.code if error else ""
                self.operation.error_message = error.message if error else ""
            case a.Finish(status=status, error=error, at=at):
                self.operation.status = status
                self.operation.error_code = error.code if error else ""
                self.operation.error_message = error.message if error else ""
                self.operation.ended_at = at
                self.operation.is_paused = False
                self.operation.current_batch_index = None
                self.operation.next_look_at = None
                self._event(
                    EventKind.UPGRADE_FINISHED,
                    status=status,
                    error_code=self.operation.error_code,
                    error_message=self.operation.error_message,
                )
            case a.StartGateRun() | a.PauseForGate() | a.ReachCheckpoint():
                self.events.extend(apply_gate_action(self.operation, action, self.now))
            case _:
                assert_never(action)

    # helpers

    def _plan(self, batches: tuple[Any, ...], skipped: tuple[str, ...]) -> None:
        created = UpgradeBatch.objects.bulk_create(
            [
                UpgradeBatch(
                    operation=self.operation,
                    index=batch.index,
                    zones=list(batch.zones),
                    update_domain=batch.update_domain,
                )
                for batch in batches
            ]
        )
        self.batches = {batch.index: batch for batch in created}
        if any(batch.pk is None for batch in created):
            self.batches = {b.index: b for b in self.operation.batches.all()}
        self.batch_by_pk = {batch.pk: batch for batch in self.batches.values()}
        for batch in batches:
            for instance_id in batch.instance_ids:
                row = self._row(instance_id)
                row.batch = self.batches[batch.index]
                row.state = InstanceUpgradeState.PENDING
        for instance_id in skipped:
            row = self._row(instance_id)
            row.state = InstanceUpgradeState.SKIPPED
            if self.provider.instances[instance_id].protect_from_scale_set_actions:
                row.failure_reason = PROTECTED_REASON  # left out, not on the target (T6)
        self.operation.batch_count = len(batches)
        self._event(
            EventKind.DECISION,
            plan=[
                {
                    "index": batch.index,
                    "instances": list(batch.instance_ids),
                    "zones": list(batch.zones),
                    "update_domain": batch.update_domain,
                }
                for batch in batches
            ],
            skipped=list(skipped),
        )

    def _row(self, instance_id: str) -> InstanceUpgrade:
        instance = self.provider.instances[instance_id]
        row = self.rows.get(instance.pk)
        if row is None:
            row = InstanceUpgrade(operation=self.operation, instance=instance)
            self.rows[instance.pk] = row
            self.new_rows.append(row)
        elif row.pk is not None:
            self.changed_rows[row.pk] = row
        return row

    def _set(self, row: InstanceUpgrade, state: InstanceUpgradeState, **fields: Any) -> None:
        row.state = state
        for name, value in fields.items():
            setattr(row, name, value)
        if state in TERMINAL:
            row.ended_at = self.now
        instance_id = str(self.provider.instances_by_pk[row.instance_id].instance_id)
        batch = self.batch_by_pk.get(row.batch_id) if row.batch_id is not None else None
        self._event(
            EventKind.INSTANCE_CHANGED,
            instance=instance_id,
            state=state,
            batch=batch.index if batch is not None else None,
            reason=row.failure_reason or "",
            deadline=row.health_deadline.isoformat() if row.health_deadline else None,
        )

    def _ids(self, index: int) -> list[str]:
        batch = self.batches[index]
        return sorted(
            (
                str(self.provider.instances_by_pk[row.instance_id].instance_id)
                for row in self.rows.values()
                if row.batch_id == batch.pk
            ),
            key=int,
        )

    def _event(self, kind: EventKind, **data: Any) -> None:
        self.events.append(
            events.new_event(
                kind,
                scale_set=self.operation.scale_set,
                operation=self.operation,
                at=self.now,
                **data,
            )
        )

    def _write(self) -> None:
        self.provider.flush()
        for row in (*self.new_rows, *self.changed_rows.values()):
            if row.state == InstanceUpgradeState.REIMAGING and row.new_os_disk_id is None:
                row.new_os_disk = self.provider.instances_by_pk[row.instance_id].os_disk
        if self.new_rows:
            InstanceUpgrade.objects.bulk_create(self.new_rows)
        update_rows(list(self.changed_rows.values()), INSTANCE_FIELDS)
        update_rows(list(self.changed_batches.values()), ["started_at", "completed_at"])
        self.new_rows, self.changed_rows, self.changed_batches = [], {}, {}

    def _attach_estimate(self) -> None:
        """B8: a step that plans, starts or completes a batch, pauses or resumes changes the
        estimate; the last of its events that says so carries the new one."""
        changed = [e for e in self.events if e.kind in ESTIMATE_CHANGES or "plan" in e.data]
        if not changed:
            return
        behaviour = self.provider.behaviour
        found = estimate_of(self.operation, self.batches.values(), behaviour, self.now)
        if found is not None:
            changed[-1].data["estimate"] = found

    def _refresh_counts(self) -> None:
        if self.base_counts is None:
            batch_index = {batch.pk: batch.index for batch in self.batches.values()}
            counts = count_progress(progress_of(row, batch_index) for row in self.rows.values())
        else:
            counts = self._moved_counts(self.base_counts)
        operation = self.operation
        operation.successful_instance_count = counts.successful
        operation.failed_instance_count = counts.failed
        operation.in_progress_instance_count = counts.in_progress
        operation.pending_instance_count = counts.pending
        operation.rolled_back_instance_count = counts.rolled_back
        operation.failed_rollback_instance_count = counts.rollback_failed

    def _moved_counts(self, base: Mapping[str, int]) -> ProgressCounts:
        """Progress counts from all rows' states at load time plus this step's moves (every
        row a step creates or moves is loaded); pending counts planned rows only."""
        by_state: Counter[str] = Counter(base)
        pending_delta = 0
        for row in self.rows.values():
            before = self.loaded_states.get(row.pk) if row.pk is not None else None
            if before == row.state:
                continue
            if before is not None:
                by_state[before] -= 1
                pending_delta -= before in PENDING_STATES
            by_state[row.state] += 1
            pending_delta += row.state in PENDING_STATES and row.batch_id is not None
        states = {InstanceUpgradeState(state): n for state, n in by_state.items()}
        pending = self.base_pending + pending_delta
        return progress_of_states(states, pending)


def apply_decision(
    operation: UpgradeOperation,
    provider: DatabaseComputeProvider,
    rows: dict[int, InstanceUpgrade],
    batches: list[UpgradeBatch],
    decision: Decision,
    now: datetime,
    counts: Mapping[str, int] | None = None,
    pending: int = 0,
) -> None:
    """Apply ``decision``; ``counts`` (rows by state at load) and ``pending`` (planned pending
    rows) when ``rows`` holds some of the operation's rows only (a scoped step)."""
    Applier(operation, provider, rows, batches, now, counts, pending).apply(decision)

"""web10 (tests/orchestrator/builders.py) at the moments of its rollout that the engine's
rule tests start from: planned into its six batches, batch 1 reimaging, batch 1 waiting for
health. Shared by test_engine.py and test_engine_batch.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from builders import MINUTE, NEW, T0, State, operation, web10, with_vm

from orchestrator.model import InstanceView, OperationView

WEB10_BATCHES = (("0", "3"), ("6", "9"), ("1", "4"), ("7",), ("2", "5"), ("8",))


def planned(instances: list[InstanceView], done: int = 0) -> list[InstanceView]:
    """web10's VMs with their batch index; batches before `done` succeeded on NEW."""
    result: list[InstanceView] = []
    for view in instances:
        index = next(i for i, ids in enumerate(WEB10_BATCHES) if view.instance_id in ids)
        changes: dict[str, object] = {"batch": index}
        if index < done:
            changes.update(state=State.SUCCEEDED, image=NEW)
        result = with_vm([*result, view], view.instance_id, **changes)
    return result


def web10_op(done: int = 0, open_batch: int | None = None, **changes: Any) -> OperationView:
    op = operation(*WEB10_BATCHES, completed=done, open_batch=open_batch, **changes)
    zoned = [
        replace(batch, zones=(str(int(batch.instance_ids[0]) % 3 + 1),)) for batch in op.batches
    ]
    return replace(op, batches=tuple(zoned))


def reimaging(done_at: object = None, **changes: object) -> list[InstanceView]:
    instances = planned(web10())
    for instance_id in ("0", "3"):
        instances = with_vm(
            instances,
            instance_id,
            state=State.REIMAGING,
            reimage_started_at=T0,
            provisioning="Updating",
            power="starting",
            probe=None,
            next_change_at=T0 + MINUTE,
            **changes,
        )
    return instances


def waiting(probe: bool | None, **changes: object) -> list[InstanceView]:
    instances = planned(web10())
    for instance_id in ("0", "3"):
        instances = with_vm(
            instances,
            instance_id,
            state=State.WAITING_FOR_HEALTH,
            reimage_started_at=T0,
            deadline=T0 + 6 * MINUTE,
            image=NEW,
            probe=True,
        )
    return with_vm(instances, "0", probe=probe, **changes)

"""The compute provider: the one interface through which the edge acts on VMs.

The Django edge implements `ComputeProvider` (a simulated provider over DB rows and
`behaviour.BehaviourModel`, or a real one) and calls it while applying actions
(`actions` module docstring); `simulation.SimulatedWorld` is an in-memory implementation.

Contract:

* `reimage` starts a reimage (U3) and returns at once: a new OS disk from `image_version`,
  data disks kept, the model's extensions re-applied in provisionAfterExtensions order, custom
  data re-run, the previous OS disk kept. From the call on, `observe` must report the instance
  as not finished (provisioning "Updating"), then "Succeeded" with `reimage_completed_at`, or
  "Failed". Calling it again for an instance already being reimaged to the same version does
  nothing (a replayed step after a lost transaction).
* `restore_os_disk` puts the kept previous OS disk back (U4 rollback) and returns at once; from
  the call on `observe` reports "Updating", then "Succeeded" (rolled back) or "Failed" (the
  rollback failed). Calling it again while a restore runs does nothing.
* `discard_previous_os_disk` deletes the kept disk once the instance is healthy (MarkSucceeded);
  idempotent.
* `observe` reports every requested instance at `at` (one call per step, not one per VM).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from orchestrator.model import Observation


class ComputeProvider(Protocol):
    def reimage(self, instance_id: str, image_version: str, at: datetime) -> None: ...

    def restore_os_disk(self, instance_id: str, at: datetime) -> None: ...

    def discard_previous_os_disk(self, instance_id: str, at: datetime) -> None: ...

    def observe(self, instance_ids: Sequence[str], at: datetime) -> Mapping[str, Observation]: ...

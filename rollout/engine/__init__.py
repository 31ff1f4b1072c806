"""The engine's edge: the snapshot built from rows and the compute provider, the decision
applied back to them, the simulated provider over database rows, and the bulk writes both use.

Below the services: nothing here imports ``rollout.services``."""

from __future__ import annotations

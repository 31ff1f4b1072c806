"""Scale sets and their instances: creation and deletion, model updates (E1 enabling, E4,
E5), placement, the references a model names, instance verbs and the fault rules (B2)."""

from __future__ import annotations

"""Pure rules of external gates (G1), checkpoints and bake time (G4): conditions, Argo's
analysis verdicts, and what the engine does before a batch."""

from __future__ import annotations

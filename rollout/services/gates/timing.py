"""What a scale set's gates, checkpoints and bake time add to an upgrade's plan (G4 in B1's
preview): the waits, at Azure's pace, and one line each for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from orchestrator.gates.timing import Waits, checkpoint_stops, waits_of
from orchestrator.wording import describe_duration
from rollout.engine.gates import checkpoints_of
from rollout.models import CheckpointPolicy, Gate, ScaleSet


def gate_preview(scale_set: ScaleSet, batch_sizes: Sequence[int]) -> tuple[Waits, list[str]]:
    policy = CheckpointPolicy.objects.filter(scale_set=scale_set).first()
    checkpoints = checkpoints_of(policy)
    bake = timedelta(seconds=policy.bake_seconds if policy else 0.0)
    waits = waits_of(batch_sizes, bake, checkpoints)
    notes = []
    gates = list(
        Gate.objects.filter(scale_set=scale_set, enabled=True).values_list("name", flat=True)
    )
    if gates:
        notes.append(f"G1: gates {', '.join(gates)} are measured before each batch (after U7)")
    if bake > timedelta(0) and len(batch_sizes) > 1:
        during = f"; gates {', '.join(gates)} keep measuring" if gates else ""
        notes.append(f"G4: each batch but the last bakes {describe_duration(bake)}{during}")
    for index, found in sorted(checkpoint_stops(batch_sizes, checkpoints).items()):
        for checkpoint in found:
            wait = (
                f"waits {describe_duration(checkpoint.delay)}"
                if checkpoint.delay is not None
                else "holds until an operator promotes it (not in the expected duration)"
            )
            notes.append(f"G4: checkpoint {checkpoint.percent}% after batch {index + 1}: {wait}")
    return waits, notes

"""W1: the predicted outcome of an upgrade, before it starts.

The preview's plan (B1) says which instance goes in which batch; the what-if plays the whole
upgrade out in memory with ``orchestrator.whatif``: the same engine, the scale set's
instances as the simulated provider stores them (health now included), its fault rules (B2),
its behaviour model's seed and timings, its policy and its expired credentials (U9). It
writes nothing, and it agrees with the real run started at the same moment, instance by
instance, as long as nobody changes the scale set or its rules meanwhile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from orchestrator.model import OperationView
from orchestrator.policy import UpgradeKind as EngineKind
from orchestrator.whatif import Outcome, Prediction, predict
from orchestrator.wording import describe_duration
from rollout.engine.provider import DatabaseComputeProvider, expired_credentials
from rollout.engine.snapshots import health_source_of
from rollout.models import ScaleSet, StartedBy
from rollout.services.upgrades.operations import policy_for
from rollout.services.upgrades.preview import Preview, preview_upgrade


@dataclass(frozen=True)
class WhatIf:
    preview: Preview
    prediction: Prediction
    started_at: datetime
    time_scale: float
    compute_seconds: float  # how long the prediction took to compute

    @property
    def nominal_duration(self) -> timedelta:
        """The predicted duration at Azure's pace."""
        return self.prediction.duration * self.time_scale


def predict_upgrade(
    scale_set: ScaleSet, *, started_by: str = StartedBy.USER, now: datetime | None = None
) -> WhatIf:
    """What an upgrade started ``now`` would do (module docstring). Raises the preview's
    ServiceError when the image has no version to upgrade to."""
    now = now or timezone.now()
    began = time.perf_counter()
    preview = preview_upgrade(scale_set, started_by=started_by, now=now)
    provider = DatabaseComputeProvider(scale_set)
    policy = policy_for(scale_set, preview.kind)
    expired = [
        extension
        for extension in provider.extensions
        if extension.credential_expires_at is not None and extension.credential_expires_at <= now
    ]
    prediction = predict(
        vms=provider.simulated_records(),
        operation=OperationView(
            kind=EngineKind(preview.kind), target_image_version=preview.target_version
        ),
        policy=policy,
        health_source=health_source_of(scale_set),
        behaviour=provider.behaviour,
        rules=provider.rules,
        scale_set=scale_set.name,
        credential_problems=expired_credentials(provider.extensions, now),
        failing_extensions=tuple(extension.name for extension in expired),
        extension_failures={
            key: {
                name: state
                for name, state in instance.extension_states.items()
                if state != "Succeeded"
            }
            for key, instance in provider.instances.items()
            if any(state != "Succeeded" for state in instance.extension_states.values())
        },
        start=now,
    )
    return WhatIf(
        preview=preview,
        prediction=prediction,
        started_at=now,
        time_scale=policy.time_scale,
        compute_seconds=time.perf_counter() - began,
    )


def whatif_data(whatif: WhatIf) -> dict[str, Any]:
    """The prediction as JSON (``preview_upgrade --simulate --json``, the pages' data)."""
    prediction = whatif.prediction
    stop = prediction.stop
    return {
        "scaleSet": whatif.preview.scale_set.name,
        "kind": str(whatif.preview.kind),
        "targetImageVersion": prediction.target_image_version,
        "predictedAt": whatif.started_at.isoformat(),
        "status": str(prediction.status),
        "error": (
            None
            if prediction.error is None
            else {"code": str(prediction.error.code), "message": prediction.error.message}
        ),
        "stop": (
            None
            if stop is None
            else {
                "rule": stop.rule,
                "afterBatch": stop.after_batch,
                "code": str(stop.error.code),
                "message": stop.error.message,
                "unhealthyInstanceCount": stop.figures.unhealthy,
                "instanceCount": stop.figures.total,
                "unhealthyPercent": round(stop.figures.percent, 2),
                "allowedPercent": stop.figures.allowed_percent,
            }
        ),
        "counts": {outcome.value: prediction.count(outcome) for outcome in Outcome},
        "batches": [
            {
                "batch": batch.index + 1,
                "zones": list(batch.zones),
                "updateDomain": batch.update_domain,
                "instances": {instance_id: str(outcome) for instance_id, outcome in batch.outcomes},
                "counts": {outcome.value: batch.count(outcome) for outcome in Outcome},
                "startSeconds": _seconds(batch.started_after),
                "endSeconds": _seconds(batch.completed_after),
            }
            for batch in prediction.batches
        ],
        "leftOnOldImage": list(prediction.left_on_old_image),
        "expectedSeconds": prediction.duration.total_seconds(),
        "expectedDuration": describe_duration(prediction.duration),
        "nominalSeconds": whatif.nominal_duration.total_seconds(),
        "timeScale": whatif.time_scale,
        "engineSteps": prediction.steps,
        "computeSeconds": round(whatif.compute_seconds, 4),
    }


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()

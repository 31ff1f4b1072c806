"""W1 on the pages: the predicted outcome of an upgrade, on the Preview and Rehearsal pages.

A scale set of up to ``AUTOMATIC_UP_TO`` instances is predicted with the page; a larger one
when asked (``?simulate=1``: the page offers a button), since a whole rollout of a thousand
VMs takes the engine a few seconds to play.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from orchestrator.whatif import Outcome
from orchestrator.wording import describe_duration
from rollout.models import ScaleSet, StartedBy
from rollout.services.errors import ServiceError
from rollout.services.upgrades.whatif import predict_upgrade

AUTOMATIC_UP_TO = 200

# How the page words each outcome, and whether it is a success (L4: honest words).
OUTCOME_WORDS = {
    Outcome.SUCCEEDED: "succeed",
    Outcome.ROLLED_BACK: "roll back",
    Outcome.FAILED: "fail",
    Outcome.ROLLBACK_FAILED: "fail to roll back",
    Outcome.NOT_UPGRADED: "not be upgraded",
    Outcome.SKIPPED: "be skipped (already on the target)",
}


def whatif_context(request: HttpRequest, scale_set: ScaleSet, kind: str) -> dict[str, Any]:
    """The template's ``whatif`` (None when not computed), ``whatif_problem`` and
    ``whatif_offer`` (a button to compute it)."""
    asked = request.GET.get("simulate") == "1"
    count = scale_set.instances.count()
    if not asked and count > AUTOMATIC_UP_TO:
        return {"whatif": None, "whatif_problem": "", "whatif_offer": True}
    started_by = StartedBy.PLATFORM if kind == "automatic" else StartedBy.USER
    try:
        whatif = predict_upgrade(scale_set, started_by=started_by)
    except ServiceError as error:
        return {"whatif": None, "whatif_problem": error.message, "whatif_offer": False}
    prediction = whatif.prediction
    batches = []
    for batch in prediction.batches:
        trouble = [
            {"instance_id": instance_id, "outcome": str(outcome), "words": OUTCOME_WORDS[outcome]}
            for instance_id, outcome in batch.outcomes
            if outcome is not Outcome.SUCCEEDED
        ]
        batches.append(
            {
                "number": batch.index + 1,
                "zones": ", ".join(batch.zones) or "regional",
                "update_domain": batch.update_domain,
                "size": len(batch.outcomes),
                "succeeded": batch.count(Outcome.SUCCEEDED),
                "rolled_back": batch.count(Outcome.ROLLED_BACK),
                "failed": batch.count(Outcome.FAILED) + batch.count(Outcome.ROLLBACK_FAILED),
                "runs": batch.started_after is not None,
                "starts": describe_duration(batch.started_after) if batch.started_after else "",
                "trouble": trouble,
                "clean": not trouble,
            }
        )
    stop = prediction.stop
    return {
        "whatif": {
            "status": str(prediction.status),
            "kind": kind,
            "target": prediction.target_image_version,
            "duration": describe_duration(prediction.duration),
            "nominal": describe_duration(whatif.nominal_duration),
            "succeeded": prediction.count(Outcome.SUCCEEDED),
            "rolled_back": prediction.count(Outcome.ROLLED_BACK),
            "failed": prediction.count(Outcome.FAILED) + prediction.count(Outcome.ROLLBACK_FAILED),
            "not_upgraded": prediction.count(Outcome.NOT_UPGRADED),
            "stop": (
                None
                if stop is None
                else {
                    "rule": stop.rule,
                    "where": (
                        "before the first batch"
                        if stop.after_batch == 0
                        else f"after batch {stop.after_batch}"
                    ),
                    "code": str(stop.error.code),
                    "message": stop.error.message,
                }
            ),
            "error": None if prediction.error is None else prediction.error.message,
            "error_code": "" if prediction.error is None else str(prediction.error.code),
            "left": list(prediction.left_on_old_image),
            "batches": batches,
            "compute_ms": round(whatif.compute_seconds * 1000),
            "steps": prediction.steps,
        },
        "whatif_problem": "",
        "whatif_offer": False,
    }

"""W1 on the command line: a prediction as people read it (``preview_upgrade --simulate``)."""

from __future__ import annotations

from typing import Protocol

from orchestrator.whatif import Outcome
from orchestrator.wording import describe_duration, describe_ids
from rollout.services.upgrades.whatif import WhatIf

_COLUMNS = (
    (Outcome.SUCCEEDED, "ok"),
    (Outcome.ROLLED_BACK, "rolled back"),
    (Outcome.FAILED, "failed"),
    (Outcome.ROLLBACK_FAILED, "rb failed"),
    (Outcome.NOT_UPGRADED, "not run"),
)


class Writer(Protocol):
    def write(self, msg: str) -> object: ...


def write_prediction(out: Writer, whatif: WhatIf) -> None:
    prediction = whatif.prediction
    name = whatif.preview.scale_set.name
    out.write(
        f"{name}: predicted {prediction.status} to {prediction.target_image_version} "
        f"({whatif.preview.kind} upgrade), in {describe_duration(prediction.duration)} "
        f"({describe_duration(whatif.nominal_duration)} at Azure's pace)\n"
    )
    header = "  ".join(f"{label:>11}" for _, label in _COLUMNS)
    out.write(f"{'batch':>5}  {'zones':<8} {'UD':>3}  {header}  instances not succeeding\n")
    for batch in prediction.batches:
        zones = ",".join(batch.zones) or "-"
        counts = "  ".join(f"{batch.count(outcome):>11}" for outcome, _ in _COLUMNS)
        trouble = [
            f"{instance_id} {outcome}"
            for instance_id, outcome in batch.outcomes
            if outcome not in (Outcome.SUCCEEDED, Outcome.NOT_UPGRADED)
        ]
        out.write(
            f"{batch.index + 1:>5}  {zones:<8} {batch.update_domain!s:>3}  {counts}  "
            f"{', '.join(trouble) or '-'}\n"
        )
    stop = prediction.stop
    if stop is not None:
        where = (
            "before the first batch" if stop.after_batch == 0 else f"after batch {stop.after_batch}"
        )
        out.write(f"{stop.rule} stops it {where}: {stop.error.code}: {stop.error.message}\n")
    elif prediction.error is not None:
        out.write(f"{prediction.error.code}: {prediction.error.message}\n")
    left = prediction.left_on_old_image
    out.write(f"Left on the old image: {describe_ids(left) if left else 'none'} ({len(left)})\n")
    out.write(
        f"Computed in {whatif.compute_seconds * 1000:.0f} ms ({prediction.steps} engine steps).\n"
    )

"""``preview_upgrade -g GROUP -n NAME``: B1, the batch plan of an OS upgrade as a table;
with ``--simulate``, W1: the predicted outcome of every batch (``--json``: as JSON)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orchestrator.wording import describe_duration, describe_ids
from rollout.management.commands._upgrade_cli import (
    add_scale_set_arguments,
    scale_set_from,
    service_error,
)
from rollout.management.commands._whatif_cli import write_prediction
from rollout.models import StartedBy
from rollout.services.errors import ServiceError
from rollout.services.upgrades.preview import preview_upgrade
from rollout.services.upgrades.whatif import predict_upgrade, whatif_data


class Command(BaseCommand):
    help = "Show which instance goes in which batch, and how long the upgrade should take (B1)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_scale_set_arguments(parser)
        parser.add_argument(
            "--automatic",
            action="store_true",
            help="Plan as the platform's automatic upgrade (default: a user's, M1).",
        )
        parser.add_argument(
            "--simulate",
            action="store_true",
            help="W1: play the upgrade out in memory and print what each batch would do.",
        )
        parser.add_argument(
            "--json", action="store_true", help="With --simulate: the prediction as JSON."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale_set = scale_set_from(options)
        started_by = StartedBy.PLATFORM if options["automatic"] else StartedBy.USER
        if options["json"] and not options["simulate"]:
            raise CommandError("--json goes with --simulate.")
        if options["simulate"]:
            try:
                whatif = predict_upgrade(scale_set, started_by=started_by)
            except ServiceError as error:
                raise service_error(error) from None
            if options["json"]:
                self.stdout.write(json.dumps(whatif_data(whatif), indent=2))
            else:
                write_prediction(self.stdout, whatif)
            return
        try:
            preview = preview_upgrade(scale_set, started_by=started_by)
        except ServiceError as error:
            raise service_error(error) from None
        plan = preview.plan
        self.stdout.write(
            f"{scale_set.name}: {plan.total} instances to {preview.target_version}, "
            f"{len(plan.batches)} batches of at most {plan.batch_size}, "
            f"{len(plan.skipped)} already on it."
        )
        self.stdout.write(f"{'batch':>5}  {'zones':<8} {'UD':>3}  {'size':>4}  instances")
        for batch in plan.batches:
            zones = ",".join(batch.zones) or "-"
            self.stdout.write(
                f"{batch.index + 1:>5}  {zones:<8} {batch.update_domain!s:>3}  "
                f"{len(batch.instance_ids):>4}  {describe_ids(batch.instance_ids)}"
            )
        if plan.skipped:
            self.stdout.write(f"skipped (T6): {describe_ids(plan.skipped)}")
        self.stdout.write(
            f"Expected duration: {describe_duration(preview.nominal_duration)} at Azure's pace, "
            f"{describe_duration(preview.expected_duration)} at time scale "
            f"{settings.ROLLWRIGHT_TIME_SCALE:g}."
        )
        for reason in plan.reasons:
            self.stdout.write(f"  {reason}")
        for note in preview.gate_notes:  # G1, G4
            self.stdout.write(f"  {note}")

"""``os_upgrade_history -g GROUP -n NAME [--json]``: H1, the last five OS upgrades."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.commands._upgrade_cli import add_scale_set_arguments, scale_set_from
from rollout.services.upgrades.reads import history_item, os_upgrade_history


class Command(BaseCommand):
    help = "Show the last 5 OS upgrades of a scale set within 2 months, newest first (H1)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_scale_set_arguments(parser)
        parser.add_argument("--json", action="store_true", help="Azure's wire shape.")

    def handle(self, *args: Any, **options: Any) -> None:
        scale_set = scale_set_from(options)
        operations = os_upgrade_history(scale_set)
        if options["json"]:
            self.stdout.write(
                json.dumps({"value": [history_item(o) for o in operations]}, indent=2)
            )
            return
        if not operations:
            self.stdout.write(f"No OS upgrade of {scale_set.name} in the last 2 months.")
            return
        header = f"{'started':<20} {'by':<9} {'status':<15} {'target':<20} ok  fail  back  error"
        self.stdout.write(header)
        for operation in operations:
            self.stdout.write(
                f"{operation.started_at:%Y-%m-%d %H:%M:%S}  {operation.started_by:<9} "
                f"{operation.status:<15} {operation.target_image_version:<20} "
                f"{operation.successful_instance_count:>3} {operation.failed_instance_count:>5} "
                f"{operation.rolled_back_instance_count:>5}  {operation.error_code}"
            )

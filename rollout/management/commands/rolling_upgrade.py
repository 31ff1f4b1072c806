"""``rolling_upgrade start|cancel|pause|resume|approve|get_latest -g GROUP -n NAME``: the CLI
verbs (``approve [--instance-ids 3,7]``: S2, a deferred upgrade's approval).

``start --wait`` blocks until the upgrade ends with a live progress bar, and exits 1 when it
faulted (2 when cancelled): automation can wait for a rollout (B6).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.commands._upgrade_cli import (
    actor_from,
    add_scale_set_arguments,
    scale_set_from,
    service_error,
    stdout_of,
    wait_for,
)
from rollout.models import StartedBy
from rollout.services.access.roles import (
    APPROVE_UPGRADE,
    CANCEL_UPGRADE,
    PAUSE_UPGRADE,
    RESUME_UPGRADE,
    START_OS_UPGRADE,
)
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.upgrades.approvals import approve_rolling_upgrade
from rollout.services.upgrades.operations import (
    cancel_upgrade,
    pause_upgrade,
    resume_upgrade,
    start_os_upgrade,
)
from rollout.services.upgrades.reads import rolling_upgrade_status

VERBS = ("start", "cancel", "pause", "resume", "approve", "get_latest")
VERB_ACTIONS = {
    "start": START_OS_UPGRADE,
    "cancel": CANCEL_UPGRADE,
    "pause": PAUSE_UPGRADE,
    "resume": RESUME_UPGRADE,
    "approve": APPROVE_UPGRADE,
}


class Command(BaseCommand):
    help = "Start, cancel, pause, resume or show the OS rolling upgrade of a scale set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=VERBS)
        add_scale_set_arguments(parser)
        parser.add_argument("--reason", default="", help="Why: recorded in the audit log (B7).")
        parser.add_argument("--user", help="Act as this user (default: 'command line').")
        parser.add_argument(
            "--wait", action="store_true", help="start/resume: block until the upgrade ends."
        )
        parser.add_argument("--timeout", type=float, help="With --wait: give up after N seconds.")
        parser.add_argument(
            "--instance-ids",
            help="approve: these instances (comma-separated; default: every one awaiting it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale_set = scale_set_from(options)
        verb = options["verb"]
        if verb == "get_latest":
            try:
                self.stdout.write(json.dumps(rolling_upgrade_status(scale_set), indent=2))
            except ServiceError as error:
                raise service_error(error) from None
            return
        actor = actor_from(options, VERB_ACTIONS[verb], Scope.of(scale_set))
        reason = options["reason"]
        try:
            if verb == "start":
                operation = start_os_upgrade(
                    scale_set, started_by=StartedBy.USER, actor=actor, reason=reason
                )
                self.stdout.write(
                    f"Started the OS upgrade of {scale_set.name} to "
                    f"{operation.target_image_version} (operation {operation.id})."
                )
            elif verb == "cancel":
                operation = cancel_upgrade(scale_set, actor=actor, reason=reason)
                self.stdout.write(
                    f"Cancelling the upgrade of {scale_set.name}: the current batch finishes."
                )
            elif verb == "approve":
                raw = options["instance_ids"] or ""
                ids = [part.strip() for part in raw.split(",") if part.strip()] or None
                approved = approve_rolling_upgrade(scale_set, ids, actor=actor, reason=reason)
                self.stdout.write(f"Approved the OS upgrade of {', '.join(approved)}.")
                return
            elif verb == "pause":
                operation = pause_upgrade(scale_set, actor=actor, reason=reason)
                self.stdout.write(f"Pausing the upgrade of {scale_set.name} after this batch.")
            else:
                operation = resume_upgrade(scale_set, actor=actor, reason=reason)
                self.stdout.write(f"Resuming the upgrade of {scale_set.name}.")
        except ServiceError as error:
            raise service_error(error) from None
        if options["wait"] and verb in ("start", "resume"):
            code = wait_for(operation, stdout_of(self), timeout=options["timeout"])
            if code:
                sys.exit(code)

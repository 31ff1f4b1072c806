"""Act on a scale set's instances from the command line, as ``az vmss`` does (issue 12):

    python manage.py vmss_instances reimage     -g RG -n NAME [--instance-ids 0 3] [--exact-version]
    python manage.py vmss_instances reimage-all -g RG -n NAME [--instance-ids ...]
    python manage.py vmss_instances power-off   -g RG -n NAME [--instance-ids ...]
        (also start, restart, deallocate)
    python manage.py vmss_instances delete      -g RG -n NAME --instance-ids 4 5
    python manage.py vmss_instances protect     -g RG -n NAME --instance-ids 2 [--scale-in-only]
    python manage.py vmss_instances unprotect   -g RG -n NAME --instance-ids 2

These are actions on the scale set, as the API's ``POST .../reimage``: without
``--instance-ids`` they reach every instance, and the VMs protected from scale set actions are
left out (say ``--per-vm`` to act on each VM as its own path does, protection or not). Each
goes through ``rollout.services.scale_sets.vm_actions``, audited as the API's and the
dashboard's are; ``--user`` acts as that user, as far as their roles allow.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.management.commands._upgrade_cli import (
    actor_from,
    add_scale_set_arguments,
    scale_set_from,
    service_error,
)
from rollout.services.access.roles import WRITE_VM, instance_action
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.scale_sets.vm_actions import InstanceAction, act_on_instances, update_instance

VERBS = {
    "reimage": InstanceAction.REIMAGE,
    "reimage-all": InstanceAction.REIMAGE_ALL,
    "start": InstanceAction.START,
    "power-off": InstanceAction.POWER_OFF,
    "restart": InstanceAction.RESTART,
    "deallocate": InstanceAction.DEALLOCATE,
    "delete": InstanceAction.DELETE,
}
PROTECTION = ("protect", "unprotect")


class Command(BaseCommand):
    help = "Reimage, power, delete or protect a scale set's instances (az vmss's verbs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=[*VERBS, *PROTECTION])
        add_scale_set_arguments(parser)
        parser.add_argument("--instance-ids", nargs="+", type=int, default=None)
        parser.add_argument("--exact-version", default=None, help="reimage: this image version")
        parser.add_argument(
            "--per-vm",
            action="store_true",
            help="act on each VM as its own path does (instance protection does not apply)",
        )
        parser.add_argument(
            "--scale-in-only",
            action="store_true",
            help="protect: from scale-in only (protectFromScaleIn), not from scale set actions",
        )
        parser.add_argument("--reason", default="")
        parser.add_argument("--user", default="", help="act as this user (R1)")

    def handle(self, *args: Any, **options: Any) -> None:
        scale_set = scale_set_from(options)
        verb, ids = options["verb"], options["instance_ids"]
        per_vm = options["per_vm"] or verb in PROTECTION
        if ids is None and (verb == "delete" or per_vm):
            raise CommandError(f"{verb} needs --instance-ids.")
        action = (
            WRITE_VM
            if verb in PROTECTION
            else instance_action(VERBS[verb].value, per_vm=options["per_vm"])
        )
        actor = actor_from(options, action, Scope.of(scale_set))
        reason = options["reason"] or f"command line: {verb}"
        try:
            if verb in PROTECTION:
                on = verb == "protect"
                for instance_id in ids or []:
                    update_instance(
                        scale_set,
                        instance_id,
                        protect_from_scale_in=on,
                        protect_from_scale_set_actions=on and not options["scale_in_only"],
                        actor=actor,
                        reason=reason,
                    )
                self.stdout.write(f"{verb}: instances {ids}")
                return
            targets = [[i] for i in ids] if per_vm and ids else [ids]
            for chosen in targets:
                result = act_on_instances(
                    scale_set,
                    VERBS[verb],
                    chosen,
                    on_scale_set=not per_vm,
                    exact_version=options["exact_version"],
                    actor=actor,
                    reason=reason,
                )
                line = f"{verb}: instances {list(result.instance_ids)}"
                if result.protected:
                    line += f"; left out (protected): {list(result.protected)}"
                self.stdout.write(line)
        except ServiceError as error:
            raise service_error(error) from None

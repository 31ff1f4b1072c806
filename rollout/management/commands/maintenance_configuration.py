"""``maintenance_configuration create|assign|unassign|show``: T7's maintenance windows.

    maintenance_configuration create -g GROUP nightly --location westeurope \\
        --start "2026-01-05 02:00" --duration 05:00 --time-zone Europe/Paris --recur-every Day
    maintenance_configuration assign -g GROUP nightly --scale-set web-10
    maintenance_configuration unassign -g GROUP --scale-set web-10
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rollout.engine.windows import window_of
from rollout.management.commands._upgrade_cli import actor_from, service_error
from rollout.models import MaintenanceConfiguration
from rollout.services.access.roles import WRITE_SCALE_SET
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.lookup import get_resource_group, get_scale_set
from rollout.services.releases.maintenance import (
    assign_maintenance_configuration,
    create_or_update_maintenance_configuration,
)
from rollout.services.resource_groups import resolve_region

VERBS = ("create", "assign", "unassign", "show")


class Command(BaseCommand):
    help = "Create, assign or show maintenance configurations (osimage scope, T7)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=VERBS)
        parser.add_argument("name", nargs="?", help="The configuration's name.")
        parser.add_argument("--resource-group", "-g", required=True)
        parser.add_argument("--location")
        parser.add_argument("--start", help="'yyyy-MM-dd HH:mm' in the time zone.")
        parser.add_argument("--duration", default="05:00", help="HH:mm, at least 05:00.")
        parser.add_argument("--time-zone", default="UTC", help="IANA, e.g. Europe/Paris.")
        parser.add_argument("--recur-every", default="Day", help="Day, 2Days, Week Sat,Sun...")
        parser.add_argument("--scale-set", help="assign/unassign: the scale set.")
        parser.add_argument("--reason", default="")
        parser.add_argument("--user")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            group = get_resource_group(options["resource_group"])
            actor, reason = actor_from(options, WRITE_SCALE_SET, Scope.of(group)), options["reason"]
            if verb == "unassign":
                scale_set = get_scale_set(group.name, self._need(options, "scale_set"))
                assign_maintenance_configuration(scale_set, None, actor=actor, reason=reason)
                self.stdout.write(f"{scale_set.name} is bound to no maintenance window.")
                return
            name = self._need(options, "name")
            if verb == "create":
                configuration, created = create_or_update_maintenance_configuration(
                    group,
                    name,
                    location=resolve_region(self._need(options, "location")),
                    start=self._need(options, "start"),
                    duration=options["duration"],
                    time_zone=options["time_zone"],
                    recur_every=options["recur_every"],
                    actor=actor,
                    reason=reason,
                )
                self.stdout.write(f"{'Created' if created else 'Updated'} {configuration.name}.")
            found = MaintenanceConfiguration.objects.filter(
                resource_group=group, name__iexact=name
            ).first()
            if found is None:
                raise CommandError(f"No maintenance configuration {name} in {group.name}.")
            configuration = found
            if verb == "assign":
                scale_set = get_scale_set(group.name, self._need(options, "scale_set"))
                assign_maintenance_configuration(
                    scale_set, configuration, actor=actor, reason=reason
                )
                self.stdout.write(f"{scale_set.name} follows {configuration.name}.")
        except ServiceError as error:
            raise service_error(error) from None
        window = window_of(configuration, timezone.now())
        if window is not None:
            self.stdout.write(
                f"{configuration.name}: {configuration.recur_every}, {configuration.duration} "
                f"from {configuration.start_time:%H:%M} {configuration.time_zone}; next window "
                f"{window.opens_label} to {window.closes_label}."
            )

    @staticmethod
    def _need(options: dict[str, Any], key: str) -> str:
        value = options.get(key)
        if not value:
            flag = "a configuration name" if key == "name" else f"--{key.replace('_', '-')}"
            raise CommandError(f"{flag} is required here.")
        return str(value)

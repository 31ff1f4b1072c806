"""``releases list|show ID|stop ID|resume ID|next``: follow and steer automatic rollouts.

``show`` prints a release's phases and targets; ``stop`` holds it (running upgrades finish);
``resume`` retries its failed scale sets and goes on; ``next [-g GROUP] [-n NAME]`` prints
each scale set's next automatic upgrade and why it waits (T1-T7).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rollout.management.commands._upgrade_cli import actor_from, service_error
from rollout.models import Release, ScaleSet
from rollout.services.access.roles import MANAGE_RELEASES
from rollout.services.errors import ServiceError
from rollout.services.releases.publishing import resume_release, stop_release
from rollout.services.releases.triggers import next_upgrade_status

VERBS = ("list", "show", "stop", "resume", "next")


class Command(BaseCommand):
    help = "List, show, stop or resume releases; show each scale set's next automatic upgrade."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=VERBS)
        parser.add_argument("release", nargs="?", type=int, help="show/stop/resume: its id.")
        parser.add_argument("--resource-group", "-g", help="next: only this resource group.")
        parser.add_argument("--name", "-n", help="next: only this scale set.")
        parser.add_argument("--reason", default="", help="Why: recorded in the audit log (B7).")
        parser.add_argument("--user", help="Act as this user (default: 'command line').")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "list":
            for row in Release.objects.all()[:50]:
                self.stdout.write(
                    f"{row.pk:>5}  {row.created_at:%Y-%m-%d %H:%M}  {row.status:<10}  "
                    f"{row.image_label}:{row.version}"
                )
            return
        if verb == "next":
            self._next(options)
            return
        if options["release"] is None:
            raise CommandError(f"releases {verb} needs a release id.")
        release = Release.objects.filter(pk=options["release"]).first()
        if release is None:
            raise CommandError(f"No release {options['release']}.")
        try:
            if verb == "stop":
                stop_release(
                    release, actor=actor_from(options, MANAGE_RELEASES), reason=options["reason"]
                )
            elif verb == "resume":
                resume_release(
                    release, actor=actor_from(options, MANAGE_RELEASES), reason=options["reason"]
                )
        except ServiceError as error:
            raise service_error(error) from None
        release.refresh_from_db()
        self._show(release)

    def _show(self, release: Release) -> None:
        self.stdout.write(f"{release} — {release.status}")
        if release.status_reason:
            self.stdout.write(f"  {release.status_reason}")
        for phase in release.phases.prefetch_related("regions").order_by("index"):
            regions = ", ".join(sorted(r.name for r in phase.regions.all()))
            state = (
                "done" if phase.completed_at else ("running" if phase.started_at else "not started")
            )
            self.stdout.write(f"  phase {phase.index + 1}: {regions} ({state})")
        for target in release.targets.select_related("scale_set", "region", "phase"):
            where = f"phase {target.phase.index + 1}" if target.phase else "-"
            self.stdout.write(
                f"    {target.scale_set.name:<20} {target.region.name:<14} {where:<8} "
                f"{target.state:<10} {target.message}"
            )

    def _next(self, options: dict[str, Any]) -> None:
        rows = ScaleSet.objects.select_related("location", "gallery_image").order_by("name")
        if options["resource_group"]:
            rows = rows.filter(resource_group__name__iexact=options["resource_group"])
        if options["name"]:
            rows = rows.filter(name__iexact=options["name"])
        now = timezone.now()
        for scale_set in rows:
            when, why = next_upgrade_status(scale_set, now)
            at = f"{when:%H:%M:%S}" if when else "-"
            self.stdout.write(f"{scale_set.name:<18} {at:<9} {why}")

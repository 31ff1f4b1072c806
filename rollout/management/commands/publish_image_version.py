"""``publish_image_version PUBLISHER OFFER SKU VERSION [--region R ...]``: publish a platform
image version; when it is the newest of its SKU, its release rolls it out across the fleet in
availability-first phases (T1, T2, T5). Prints the plan."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.commands._upgrade_cli import actor_from, service_error
from rollout.services.access.roles import PUBLISH_PLATFORM_IMAGE
from rollout.services.errors import ServiceError
from rollout.services.releases.publishing import publish_image_version


class Command(BaseCommand):
    help = "Publish a platform image version and roll it out to the fleet (a platform release)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("publisher")
        parser.add_argument("offer")
        parser.add_argument("sku")
        parser.add_argument("version", help="Major.Minor.Build, e.g. 22.04.202612010")
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            help="Make it available in this region (repeat; default: every region).",
        )
        parser.add_argument("--reason", default="", help="Why: recorded in the audit log (B7).")
        parser.add_argument("--user", help="Act as this user (default: 'command line').")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            published = publish_image_version(
                options["publisher"],
                options["offer"],
                options["sku"],
                options["version"],
                regions=options["regions"],
                actor=actor_from(options, PUBLISH_PLATFORM_IMAGE),
                reason=options["reason"],
            )
        except ServiceError as error:
            raise service_error(error) from None
        verb = "Published" if published.created else "Updated"
        added = ", ".join(published.regions_added) or "no new region"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {published.version} (regions added: {added}).")
        )
        self.stdout.write(published.message)
        if published.release is not None:
            self.stdout.write(
                f"Release {published.release.pk}: follow it with "
                f"`manage.py releases show {published.release.pk}`."
            )

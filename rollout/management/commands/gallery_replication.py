"""``gallery_replication -g GROUP --gallery G --image I VERSION [--fail R | --complete R |
--restart R]``: show a gallery version's replication per region, or steer it (B2 rehearsal:
``--fail eastus --at-percent 50`` fails it on reaching 50%; nothing rolls out there, T4)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.management.commands._upgrade_cli import actor_from, service_error
from rollout.models import GalleryImageReplica
from rollout.services.access.roles import WRITE_GALLERY_VERSION
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.gallery.publishing import get_gallery, get_gallery_image
from rollout.services.gallery.replication import (
    complete_replication,
    fail_replication,
    restart_replication,
)
from rollout.services.lookup import get_resource_group


class Command(BaseCommand):
    help = "Show or steer the replication of a Compute Gallery image version (T4, B2)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version")
        parser.add_argument("--resource-group", "-g", required=True)
        parser.add_argument("--gallery", required=True)
        parser.add_argument("--image", required=True)
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--fail", metavar="REGION", help="Make this region's replica fail.")
        action.add_argument("--complete", metavar="REGION", help="Finish this region's now.")
        action.add_argument("--restart", metavar="REGION", help="Replicate this region again.")
        parser.add_argument("--at-percent", type=int, help="With --fail: on reaching N%%.")
        parser.add_argument("--reason", default="")
        parser.add_argument("--user")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            group = get_resource_group(options["resource_group"])
            gallery = get_gallery(
                group.subscription.subscription_id, group.name, options["gallery"]
            )
            image = get_gallery_image(gallery, options["image"])
            version = image.versions.filter(name=options["version"]).first()
            if version is None:
                raise CommandError(f"{image} has no version {options['version']}.")
            replicas = {
                r.region.name: r for r in version.replicas.select_related("region", "version")
            }
            actor, reason = (
                actor_from(options, WRITE_GALLERY_VERSION, Scope.of(group)),
                options["reason"],
            )
            for verb in ("fail", "complete", "restart"):
                region = options[verb]
                if region is None:
                    continue
                replica = replicas.get(region)
                if replica is None:
                    raise CommandError(f"{version} is not replicated to {region}.")
                if verb == "fail":
                    fail_replication(
                        replica, at_percent=options["at_percent"], reason=reason, actor=actor
                    )
                elif verb == "complete":
                    complete_replication(replica, actor=actor, reason=reason)
                else:
                    restart_replication(replica, actor=actor, reason=reason)
        except ServiceError as error:
            raise service_error(error) from None
        for replica in GalleryImageReplica.objects.filter(version=version).select_related("region"):
            when = f" at {replica.completed_at:%Y-%m-%d %H:%M:%S}" if replica.completed_at else ""
            self.stdout.write(
                f"{replica.region.name:<16} {replica.state:<12} {replica.progress:>3}%{when}"
            )

"""``publish_gallery_image_version -g GROUP --gallery G --image I VERSION --target-region R``:
publish a Compute Gallery image version and replicate it region by region (T4). Scale sets on
the image upgrade in a region once the version is replicated there; ``--exclude-from-latest``
publishes a version no automatic upgrade takes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.commands._upgrade_cli import actor_from, service_error
from rollout.services.access.roles import WRITE_GALLERY_VERSION
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.gallery.publishing import (
    TargetRegionSpec,
    get_gallery,
    get_gallery_image,
    publish_gallery_image_version,
)
from rollout.services.lookup import get_resource_group


class Command(BaseCommand):
    help = "Publish a Compute Gallery image version and replicate it to target regions (T4)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="Major.Minor.Patch, e.g. 1.4.0")
        parser.add_argument("--resource-group", "-g", required=True)
        parser.add_argument("--gallery", required=True)
        parser.add_argument("--image", required=True, help="The image definition.")
        parser.add_argument("--location", help="The version's own region (default: the gallery's).")
        parser.add_argument(
            "--target-region",
            action="append",
            dest="target_regions",
            help="Replicate to this region (repeat). Its own region is always a target.",
        )
        parser.add_argument("--exclude-from-latest", action="store_true")
        parser.add_argument("--reason", default="", help="Why: recorded in the audit log (B7).")
        parser.add_argument("--user", help="Act as this user (default: 'command line').")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            group = get_resource_group(options["resource_group"])
            gallery = get_gallery(
                group.subscription.subscription_id, group.name, options["gallery"]
            )
            image = get_gallery_image(gallery, options["image"])
            targets = [TargetRegionSpec(name) for name in options["target_regions"] or []]
            version, created = publish_gallery_image_version(
                image,
                options["version"],
                options["location"] or gallery.location.name,
                target_regions=targets or None,
                exclude_from_latest=options["exclude_from_latest"] or None,
                actor=actor_from(options, WRITE_GALLERY_VERSION, Scope.of(group)),
                reason=options["reason"],
            )
        except ServiceError as error:
            raise service_error(error) from None
        regions = ", ".join(
            sorted(r.region.name for r in version.replicas.select_related("region"))
        )
        verb = "Published" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {version}: replicating to {regions}."))
        if version.exclude_from_latest:
            self.stdout.write("Excluded from latest: no automatic upgrade takes it (T4).")

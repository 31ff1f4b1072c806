"""``python manage.py create_api_token USER [--name N] [--expires-in 90d]``: issue a bearer
token for the ARM API.

The token is printed once, alone on stdout (so a script can capture it); only its SHA-256 is
kept. It expires after ``--expires-in`` (days, hours or minutes: ``30d``, ``12h``, ``45m``;
by default ``ROLLWRIGHT_API_TOKEN_DAYS``, 90 days). Revoke it in the admin (API tokens).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.services.access.grants import grants_of
from rollout.services.access.tokens import issue_token, parse_lifetime
from rollout.services.errors import ServiceError


class Command(BaseCommand):
    help = "Issue an API bearer token for USER and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="username of the token's owner")
        parser.add_argument("--name", default="", help="what the token is for (shown in the admin)")
        parser.add_argument(
            "--expires-in", help="how long it lasts: 30d, 12h, 45m (default: 90 days)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        try:
            user = users.objects.get(**{users.USERNAME_FIELD: options["user"]})
        except users.DoesNotExist:
            raise CommandError(f"No user named '{options['user']}'.") from None
        if not user.is_active:
            raise CommandError(f"The user '{options['user']}' is inactive.")
        try:
            lifetime = parse_lifetime(options["expires_in"]) if options["expires_in"] else None
            row, token = issue_token(user, options["name"][:100], lifetime)
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(token)
        roles = describe_roles(user)
        self.stderr.write(
            f"Token {row.prefix} for {user.get_username()} ({roles}), valid until "
            f"{row.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only now: store it. Use it as "
            "'Authorization: Bearer <token>'; revoke it in the admin."
        )


def describe_roles(user: Any) -> str:
    grants = grants_of(user).grants
    if not grants:
        return "no role yet: it may do nothing until given one"
    return ", ".join(
        f"{grant.role} of /subscriptions/{grant.subscription_id}"
        + (f"/resourceGroups/{grant.resource_group}" if grant.resource_group else "")
        if grant.subscription_id
        else f"{grant.role} of /"
        for grant in grants
    )

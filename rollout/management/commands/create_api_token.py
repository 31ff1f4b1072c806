"""``python manage.py create_api_token USER [--name N]``: issue a bearer token for the ARM API.

The token is printed once, alone on stdout (so a script can capture it); only its SHA-256 is
kept. Revoke it in the admin (API tokens).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.api.auth import OPERATOR_PERMISSION
from rollout.services.access.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API bearer token for USER and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="username of the token's owner")
        parser.add_argument("--name", default="", help="what the token is for (shown in the admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        try:
            user = users.objects.get(**{users.USERNAME_FIELD: options["user"]})
        except users.DoesNotExist:
            raise CommandError(f"No user named '{options['user']}'.") from None
        if not user.is_active:
            raise CommandError(f"The user '{options['user']}' is inactive.")
        row, token = issue_token(user, options["name"][:100])
        self.stdout.write(token)
        access = "read and write" if user.has_perm(OPERATOR_PERMISSION) else "read-only"
        self.stderr.write(
            f"Token {row.prefix} for {user.get_username()} ({access}). It is shown only now: "
            "store it. Use it as 'Authorization: Bearer <token>'; revoke it in the admin."
        )

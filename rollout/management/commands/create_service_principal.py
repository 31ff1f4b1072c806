"""``python manage.py create_service_principal NAME [--role ROLE --scope SCOPE] [--json]``.

Creates a service principal (A2) and prints its ``appId``, ``password`` (the client secret,
shown only now; stored hashed) and ``tenant``, as ``az ad sp create-for-rbac`` does. With
``--role`` it is given that role at ``--scope`` (``/subscriptions/{id}`` or
``/subscriptions/{id}/resourceGroups/{name}``; a subscription not used yet is created). Then:

    az login --service-principal -u <appId> -p <password> --tenant <tenant>
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rollout.models import Role
from rollout.services.access.assignments import assign_role
from rollout.services.access.scopes import Scope
from rollout.services.access.service_principals import create_service_principal
from rollout.services.errors import ServiceError
from rollout.services.resource_groups import ensure_subscription


class Command(BaseCommand):
    help = "Create a service principal that signs in with OAuth2 client credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="its display name (and user name)")
        parser.add_argument("--role", choices=Role.values, help="a role to give it")
        parser.add_argument("--scope", help="where the role holds: /subscriptions/{id}[/...]")
        parser.add_argument("--json", action="store_true", help="print appId, password, tenant")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["role"]) != bool(options["scope"]):
            raise CommandError("--role and --scope go together.")
        try:
            with transaction.atomic():
                service_principal, secret = create_service_principal(options["name"])
                if options["role"]:
                    scope = Scope.parse(options["scope"])
                    if scope.subscription_id is not None:
                        ensure_subscription(scope.subscription_id)  # its first use
                    assign_role(
                        service_principal.user,
                        options["role"],
                        scope,
                        reason="create_service_principal",
                    )
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        answer = {
            "appId": service_principal.app_id,
            "password": secret,
            "tenant": settings.ROLLWRIGHT_TENANT_ID,
        }
        if options["json"]:
            self.stdout.write(json.dumps(answer, indent=2))
        else:
            for key, value in answer.items():
                self.stdout.write(f"{key}: {value}")
        role = f" as {options['role']} of {options['scope']}" if options["role"] else ""
        self.stderr.write(
            f"Service principal {service_principal.display_name}{role}. The password is shown "
            "only now: store it. Sign in with: az login --service-principal -u <appId> "
            "-p <password> --tenant <tenant>"
        )

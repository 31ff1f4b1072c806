"""``python manage.py create_demo_operator``: the demo's login accounts (DEBUG only).

``operator`` is a superuser (Owner at the root: every subscription, the platform, the admin)
and, explicitly, Owner of the demo subscription; ``viewer`` is Reader of the demo
subscription (R1).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rollout.demo.fleet import DEMO_SUBSCRIPTION
from rollout.models import Role
from rollout.services.access.assignments import assign_role
from rollout.services.access.scopes import Scope
from rollout.services.resource_groups import ensure_subscription

DEMO_PASSWORD = "rollwright-demo"


class Command(BaseCommand):
    help = "Create the demo operator (admin, Owner) and a viewer (Reader of the demo fleet)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts have a published password: only with DEBUG=1.")
        users = get_user_model()
        operator, _ = users.objects.get_or_create(username="operator")
        operator.is_staff = operator.is_superuser = True
        operator.set_password(DEMO_PASSWORD)
        operator.save()
        viewer, _ = users.objects.get_or_create(username="viewer")
        viewer.set_password(DEMO_PASSWORD)
        viewer.save()
        demo = Scope.of(ensure_subscription(DEMO_SUBSCRIPTION))
        assign_role(operator, Role.OWNER, demo, reason="demo login")
        assign_role(viewer, Role.READER, demo, reason="demo login")
        self.stdout.write(
            self.style.WARNING(
                f"Demo logins (DEBUG only): operator / {DEMO_PASSWORD} (Owner, admin), "
                f"viewer / {DEMO_PASSWORD} (Reader of the demo subscription)."
            )
        )

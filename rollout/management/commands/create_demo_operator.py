"""``python manage.py create_demo_operator``: the demo's login accounts (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

DEMO_PASSWORD = "rollwright-demo"
OPERATORS_GROUP = "operators"


def operators_group() -> Group:
    """The group whose members may act (enable, start, cancel...): the operator permission."""
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    group.permissions.add(
        Permission.objects.get(codename="operate_scaleset", content_type__app_label="rollout")
    )
    return group


class Command(BaseCommand):
    help = "Create the demo operator (admin + operator permission) and a read-only viewer."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts have a published password: only with DEBUG=1.")
        users = get_user_model()
        operator, _ = users.objects.get_or_create(username="operator")
        operator.is_staff = operator.is_superuser = True
        operator.set_password(DEMO_PASSWORD)
        operator.save()
        operator.groups.add(operators_group())
        viewer, _ = users.objects.get_or_create(username="viewer")
        viewer.set_password(DEMO_PASSWORD)
        viewer.save()
        self.stdout.write(
            self.style.WARNING(
                f"Demo logins (DEBUG only): operator / {DEMO_PASSWORD} (operator and admin), "
                f"viewer / {DEMO_PASSWORD} (read-only)."
            )
        )

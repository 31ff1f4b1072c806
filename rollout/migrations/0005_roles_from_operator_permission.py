"""The operator permission becomes role assignments (R1), then goes.

Before roles, any user with ``rollout.operate_scaleset`` (directly or through the
``operators`` group) could act on every scale set, and every other user could read them all.
Each existing subscription keeps that: permission holders become its Contributors, and the
other active users (not superusers, who are Owners at the root anyway) its Readers. Then the
permission and the ``operators`` group (which held only it) are deleted.
"""

from django.db import migrations
from django.db.models import Q


def permission_to_roles(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    Subscription = apps.get_model("rollout", "Subscription")
    RoleAssignment = apps.get_model("rollout", "RoleAssignment")
    permission = Permission.objects.filter(
        codename="operate_scaleset", content_type__app_label="rollout"
    ).first()
    operators = set()
    if permission is not None:
        operators = set(
            User.objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission))
            .values_list("pk", flat=True)
            .distinct()
        )
    readers = set(
        User.objects.filter(is_active=True, is_superuser=False).values_list("pk", flat=True)
    )
    for subscription in Subscription.objects.all():
        for pk in operators:
            RoleAssignment.objects.get_or_create(
                principal_id=pk, role="Contributor", subscription=subscription, resource_group=None
            )
        for pk in readers - operators:
            RoleAssignment.objects.get_or_create(
                principal_id=pk, role="Reader", subscription=subscription, resource_group=None
            )
    if permission is not None:
        for group in Group.objects.filter(name="operators", permissions=permission):
            if group.permissions.count() == 1:
                group.delete()
        permission.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0004_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(permission_to_roles, migrations.RunPython.noop),
    ]

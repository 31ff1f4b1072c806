"""Role assignments and service principals (R1, A2); API tokens expire; the operator
permission goes (0005 turns its holders into role assignments)."""

import uuid
from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_existing_tokens(apps, schema_editor):
    """Tokens issued before tokens expired last 90 days from this migration."""
    ApiToken = apps.get_model("rollout", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=90)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0003_model_rollouts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="scaleset",
            options={"ordering": ["resource_group", "name"]},
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="After this the token is refused.", null=True),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="After this the token is refused."),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(
                blank=True, help_text="Updated at most once a minute.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("auto_upgrade_enabled", "auto-upgrade enabled"),
                    ("auto_upgrade_disabled", "auto-upgrade disabled"),
                    ("model_updated", "model updated"),
                    ("upgrade_started", "upgrade started"),
                    ("upgrade_finished", "upgrade finished"),
                    ("batch_started", "batch started"),
                    ("batch_completed", "batch completed"),
                    ("instance_changed", "instance changed"),
                    ("decision", "decision"),
                    ("cancel_requested", "cancel requested"),
                    ("pause_requested", "pause requested"),
                    ("paused", "paused"),
                    ("resumed", "resumed"),
                    ("fault_rule_added", "fault rule added"),
                    ("fault_rule_removed", "fault rule removed"),
                    ("image_published", "image published"),
                    ("release_phase_started", "release phase started"),
                    ("release_stopped", "release stopped"),
                    ("release_resumed", "release resumed"),
                    ("release_ended", "release ended"),
                    ("replication_completed", "replication completed"),
                    ("replication_failed", "replication failed"),
                    ("replication_restarted", "replication restarted"),
                    ("maintenance_configured", "maintenance window configured"),
                    ("maintenance_assigned", "maintenance window assigned"),
                    ("trigger_policy_assigned", "trigger policy assigned"),
                    ("role_assigned", "role assigned"),
                    ("role_removed", "role assignment removed"),
                ],
                max_length=30,
            ),
        ),
        migrations.CreateModel(
            name="ServicePrincipal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("display_name", models.CharField(max_length=100, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_principal",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_principal",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "service principal",
                "ordering": ["display_name"],
            },
        ),
        migrations.CreateModel(
            name="RoleAssignment",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("Owner", "Owner"),
                            ("Contributor", "Contributor"),
                            ("Reader", "Reader"),
                            ("Rollout Operator", "Rollout Operator"),
                        ],
                        max_length=30,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "principal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="role_assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "resource_group",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the whole subscription.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="role_assignments",
                        to="rollout.resourcegroup",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the root scope '/' (every subscription and the platform catalogue).",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="role_assignments",
                        to="rollout.subscription",
                    ),
                ),
            ],
            options={
                "ordering": ["subscription", "resource_group", "role", "created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("resource_group__isnull", True),
                            ("subscription__isnull", False),
                            _connector="OR",
                        ),
                        name="role_assignment_group_in_subscription",
                    ),
                    models.UniqueConstraint(
                        models.F("principal"),
                        models.F("role"),
                        condition=models.Q(("subscription__isnull", True)),
                        name="role_assignment_unique_at_root",
                    ),
                    models.UniqueConstraint(
                        models.F("principal"),
                        models.F("role"),
                        models.F("subscription"),
                        condition=models.Q(
                            ("resource_group__isnull", True), ("subscription__isnull", False)
                        ),
                        name="role_assignment_unique_at_subscription",
                    ),
                    models.UniqueConstraint(
                        models.F("principal"),
                        models.F("role"),
                        models.F("resource_group"),
                        condition=models.Q(("resource_group__isnull", False)),
                        name="role_assignment_unique_at_resource_group",
                    ),
                ],
            },
        ),
    ]

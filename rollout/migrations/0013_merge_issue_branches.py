"""Joins the migrations of issues 10, 12, 13, 14 and 15, written side by side from 0005."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0006_event_sequences"),
        ("rollout", "0007_vm_actions"),
        ("rollout", "0008_deferral_approval"),
        ("rollout", "0009_fleet_scale"),
        ("rollout", "0010_gates_and_notifications"),
        ("rollout", "0011_presentation"),
    ]

    operations: list[migrations.operations.base.Operation] = []

"""Issue 10.9: the admin says "upgrade batches", not Django's "upgrade batchs"."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0005_roles_from_operator_permission")]

    operations = [
        migrations.AlterModelOptions(
            name="upgradebatch",
            options={"ordering": ["operation", "index"], "verbose_name_plural": "upgrade batches"},
        ),
    ]

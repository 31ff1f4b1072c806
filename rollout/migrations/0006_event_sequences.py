"""One ordered stream per scale set: ``Event.sequence`` and the stream rows that allocate it.

Existing events are numbered per scale set in id order (the best order known for history),
and each scale set's stream starts after its last event.
"""

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 2_000


def number_existing_events(apps, schema_editor):
    Event = apps.get_model("rollout", "Event")
    ScaleSet = apps.get_model("rollout", "ScaleSet")
    ScaleSetStream = apps.get_model("rollout", "ScaleSetStream")
    streams = []
    for scale_set_id in ScaleSet.objects.values_list("pk", flat=True).iterator():
        sequence = 0
        pending = []
        for event in (
            Event.objects.filter(scale_set_id=scale_set_id).only("pk").order_by("pk").iterator()
        ):
            sequence += 1
            event.sequence = sequence
            pending.append(event)
            if len(pending) >= CHUNK:
                Event.objects.bulk_update(pending, ["sequence"])
                pending = []
        if pending:
            Event.objects.bulk_update(pending, ["sequence"])
        streams.append(ScaleSetStream(scale_set_id=scale_set_id, sequence=sequence))
    ScaleSetStream.objects.bulk_create(streams, batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0005_roles_from_operator_permission"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScaleSetStream",
            fields=[
                (
                    "scale_set",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="stream",
                        serialize=False,
                        to="rollout.scaleset",
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="event",
            name="sequence",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(number_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("sequence__isnull", False)),
                fields=("scale_set", "sequence"),
                name="event_sequence_unique_per_scale_set",
            ),
        ),
    ]

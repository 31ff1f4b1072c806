"""Each scale set's ordered stream of events: the last sequence number allocated to it.

The row is the stream's lock: ``rollout.events.streams.allocate`` increments it with an
``UPDATE`` inside the transaction that writes the events, so the lock is held until that
transaction commits and sequence numbers are visible in the order they were allocated,
whichever process (web, worker, admin, API, command) writes them. Database ids are not
commit order; these are.
"""

from __future__ import annotations

from django.db import models

from rollout.models.scale_sets import ScaleSet


class ScaleSetStream(models.Model):
    scale_set = models.OneToOneField(
        ScaleSet, primary_key=True, on_delete=models.CASCADE, related_name="stream"
    )
    sequence = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stream of scale set {self.scale_set_id} at {self.sequence}"

"""The event log (the audit trail, B7) and its live stream (B4).

``log`` writes ``Event`` rows inside the caller's transaction and broadcasts them after
commit: the only module that knows the channel layer exists.
"""

from __future__ import annotations

from rollout.events.log import (
    FLEET_GROUP,
    EventPayload,
    EventsMessage,
    as_payload,
    group_for,
    new_event,
    record,
    record_one,
)

__all__ = [
    "FLEET_GROUP",
    "EventPayload",
    "EventsMessage",
    "as_payload",
    "group_for",
    "new_event",
    "record",
    "record_one",
]

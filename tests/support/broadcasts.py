"""What ``rollout.events.log.broadcast`` sends after commit, collected for a test (L3)."""

from __future__ import annotations

from typing import Any

import pytest


class Broadcasts:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def __call__(self, payloads: list[Any]) -> None:
        self.payloads.extend(payloads)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [payload for payload in self.payloads if payload["kind"] == kind]


def collect_broadcasts(monkeypatch: pytest.MonkeyPatch) -> Broadcasts:
    collected = Broadcasts()
    monkeypatch.setattr("rollout.events.log.broadcast", collected)
    return collected


def assert_live_and_audited(
    collected: Broadcasts, kind: str, scale_set_id: int, actor: str, reason: str = ""
) -> dict[str, Any]:
    """L3: one event of ``kind`` was broadcast after commit, in the scale set's stream (a
    sequence), naming who did it (B7); the audit row is the same event."""
    from rollout.models import Event

    [payload] = collected.of(kind)
    assert payload["scale_set"] == scale_set_id
    assert payload["sequence"] is not None and payload["sequence"] >= 1
    assert payload["actor"] == actor
    if reason:
        assert payload["reason"] == reason
    row = Event.objects.get(pk=payload["id"])
    assert row.sequence == payload["sequence"] and row.actor_name == actor
    return payload

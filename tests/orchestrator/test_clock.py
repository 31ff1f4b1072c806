from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from builders import MINUTE, T0

from orchestrator.clock import ManualClock, require_aware


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(T0)
    clock.advance(MINUTE)
    assert clock.now() == T0 + MINUTE
    clock.move_to(T0 + 2 * MINUTE)
    assert clock.now() == T0 + 2 * MINUTE
    with pytest.raises(ValueError, match="cannot go back"):
        clock.move_to(T0)


def test_clocks_speak_utc_and_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        ManualClock(datetime(2026, 1, 1))
    paris = datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert require_aware(paris) == T0
    assert require_aware(paris).tzinfo is UTC

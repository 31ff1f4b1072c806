"""T5: when an eligible version's automatic rollout may start (Azure's delays, pure).

After automatic OS upgrade is first enabled on a scale set, its first rollout may take up to 3
hours (once); later rollouts start 30 to 60 minutes after a version becomes eligible. Each
scale set and version draws its wait deterministically (``jitter``), so every worker and
every read agree; ``time_scale`` compresses the waits like every domain duration. An
immediate policy waits nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_POLICY = "azure-default"


@dataclass(frozen=True)
class Delays:
    """The trigger policy a scale set follows (nominal durations, Azure's by default)."""

    name: str = DEFAULT_POLICY
    immediate: bool = False
    first_rollout_max_delay: timedelta = timedelta(hours=3)
    min_delay: timedelta = timedelta(minutes=30)
    max_delay: timedelta = timedelta(minutes=60)
    seed: int = 0


def jitter(seed: int, key: str) -> float:
    """A deterministic draw in [0, 1) for ``key``: the same scale set and version always wait
    the same time, on every worker and in every read."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Due:
    at: datetime
    kind: str  # "immediate", "first" (first rollout after enabling) or "later"


def due_at(
    delays: Delays,
    scale_set_key: int,
    version: str,
    eligible_at: datetime,
    *,
    first_enabled_at: datetime | None,
    had_automatic_rollout: bool,
    time_scale: float,
) -> Due:
    """T5: when the rollout of ``version`` (eligible at ``eligible_at``) may start.

    Later rollouts: ``eligible_at`` plus a jittered 30-60 minutes. Until the scale set's first
    automatic rollout (once), also no earlier than its first enablement plus a jittered 0-3
    hours. Every delay is divided by ``time_scale``; immediate mode waits nothing.
    ``scale_set_key`` (the scale set's id) seeds the jitter, so every read agrees.
    """
    if delays.immediate:
        return Due(eligible_at, "immediate")
    scale = time_scale
    spread = delays.max_delay - delays.min_delay
    wait = delays.min_delay + spread * jitter(delays.seed, f"later:{scale_set_key}:{version}")
    later = Due(eligible_at + wait / scale, "later")
    enabled = first_enabled_at
    if had_automatic_rollout or enabled is None:
        return later
    first_wait = delays.first_rollout_max_delay * jitter(delays.seed, f"first:{scale_set_key}")
    first = Due(enabled + first_wait / scale, "first")
    return first if first.at > later.at else later


def describe_delay(
    due: Due, version: str, eligible: datetime, delays: Delays, now: datetime, *, seconds: bool
) -> str:
    """Why a rollout waits for its T5 delay, in one sentence (``seconds``: see describe_clock)."""
    until = describe_clock(due.at, now, seconds=seconds)
    if due.kind == "first":
        return (
            f"T5: first-rollout delay until {until} (up to "
            f"{_hours(delays.first_rollout_max_delay)} after automatic OS upgrade was first "
            "enabled)."
        )
    return (
        f"T5: {version} eligible since {describe_clock(eligible, now, seconds=seconds)}; rollout "
        f"delay until "
        f"{until} ({_minutes(delays.min_delay)} to {_minutes(delays.max_delay)} minutes after "
        "a version becomes eligible)."
    )


def describe_clock(moment: datetime, now: datetime, *, seconds: bool = False) -> str:
    """``14:05 UTC`` (``14:05:09 UTC`` with ``seconds``, for time running faster than Azure's);
    with the date when more than a day away."""
    text = moment.astimezone(UTC).strftime("%H:%M:%S UTC" if seconds else "%H:%M UTC")
    if abs(moment - now) >= timedelta(hours=24):
        text = moment.astimezone(UTC).strftime("%Y-%m-%d ") + text
    return text


def _hours(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _minutes(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 60:g}"

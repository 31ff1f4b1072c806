"""Small formatting helpers shared by the reasons and error messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

# A reason lists at most this many instance ids; a plan of 10,000 stays readable.
MAX_LISTED_IDS = 10


def describe_ids(instance_ids: Sequence[str]) -> str:
    """`describe_ids(["0", "3"]) == "0, 3"`; long lists end with "… and 90 more"."""
    shown = ", ".join(instance_ids[:MAX_LISTED_IDS])
    hidden = len(instance_ids) - MAX_LISTED_IDS
    return f"{shown} … and {hidden} more" if hidden > 0 else shown


def describe_duration(duration: timedelta) -> str:
    """`describe_duration(timedelta(minutes=5)) == "5 minutes"`; 90 s is "1 minute 30 seconds"."""
    total = round(duration.total_seconds())
    parts = []
    for unit, seconds in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, total = divmod(total, seconds)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def describe_percent(count: int, total: int) -> str:
    """`describe_percent(3, 10) == "30%"`, `describe_percent(1, 3) == "33.33%"`."""
    if total == 0:
        return "0%"
    text = f"{count * 100 / total:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def describe_time(moment: datetime) -> str:
    """UTC, to the second: `2026-01-01T00:05:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instance_sort_key(instance_id: str) -> tuple[int, int, str]:
    """Azure instance ids are "0", "1", … "10": numbers sort as numbers, others after them."""
    if instance_id.isdigit():
        return (0, int(instance_id), "")
    return (1, 0, instance_id)

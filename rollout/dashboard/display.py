"""Words and proportions for templates (``static/rollwright/js/format.js`` mirrors them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest

from rollout.dashboard.messages import Counts, FleetOperation, OperationView

STATUS_LABELS = {
    "RollingForward": "Rolling forward",
    "RollingBack": "Rolling back",
    "Cancelled": "Cancelled",
    "Completed": "Completed",
    "Faulted": "Faulted",
}


RUNNING_HOOKS = frozenset({"rolling", "paused", "pausing", "cancelling"})


@dataclass(frozen=True)
class Segment:
    state: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Progress:
    status: str  # a CSS hook: rolling, paused, pausing, cancelling, completed, faulted...
    label: str
    done: int
    total: int
    segments: tuple[Segment, ...]

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_HOOKS

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)


def status_of(operation: OperationView | FleetOperation) -> tuple[str, str]:
    """(CSS hook, words): "paused" beats "Rolling forward", as an operator reads it."""
    status = operation["status"]
    if status in ("RollingForward", "RollingBack"):
        if operation["is_paused"]:
            return "paused", "Paused"
        if operation["cancel_requested"]:
            return "cancelling", "Cancelling"
        if operation["pause_requested"]:
            return "pausing", "Pausing"
        return "rolling", STATUS_LABELS[status]
    return status.lower(), STATUS_LABELS.get(status, status)


def progress_of(operation: OperationView | FleetOperation) -> Progress:
    counts: Counts = operation["counts"]
    failed_only = counts["failed"] - counts["rolled_back"] - counts["rollback_failed"]
    parts = (
        ("succeeded", "succeeded", counts["successful"]),
        ("failed", "failed", failed_only),
        ("rolled_back", "rolled back", counts["rolled_back"]),
        ("rollback_failed", "rollback failed", counts["rollback_failed"]),
        ("in_progress", "in progress", counts["in_progress"]),
        ("pending", "pending", counts["pending"]),
    )
    total = sum(count for _, _, count in parts)
    done = counts["successful"] + counts["failed"]
    segments = tuple(
        Segment(state, label, count, 0.0 if total == 0 else 100 * count / total)
        for state, label, count in parts
        if count
    )
    hook, label = status_of(operation)
    return Progress(hook, label, done, total, segments)


def control_messages(request: HttpRequest, control: str) -> dict[int, str]:
    """Refusals a plain form post left for ``control`` (``actions``), by scale set id."""
    found: dict[int, str] = {}
    prefix = f"control-{control}-"
    for message in messages.get_messages(request):
        for tag in message.extra_tags.split():
            if tag.startswith(prefix) and message.level == messages.ERROR:
                found[int(tag.removeprefix(prefix))] = str(message.message)
    return found

"""The dashboard's words for states, statuses and events: the one place they are written.

Templates read them through ``status_of`` and ``progress_of``; the pages' scripts read them as
the ``vocabulary`` the views embed (``json_script``), so the browser never spells a state, a
status or an event kind itself (STYLE 2.11). Which instance state counts where comes from the
engine (``orchestrator.model.count_progress``), not from a second list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from django.contrib import messages
from django.http import HttpRequest
from django.utils.text import capfirst

from orchestrator.model import InstanceProgress, InstanceUpgradeState, count_progress
from orchestrator.policy import HEALTH_WAIT
from orchestrator.wording import describe_duration
from rollout.dashboard.messages import (
    Counts,
    FleetOperation,
    OperationView,
    StateWords,
    Vocabulary,
)
from rollout.models import ACTIVE_STATUSES, UPGRADE_KIND_CHOICES, EventKind, RunningStatus

State = InstanceUpgradeState
_WAIT = describe_duration(HEALTH_WAIT)

# Each instance state (and idle: no upgrade has touched the instance yet) as a label and a
# sentence, in the legend's order.
INSTANCE_STATES: dict[str, tuple[str, str]] = {
    State.PENDING: ("pending", "planned into a batch that has not started yet"),
    State.REIMAGING: ("reimaging", "getting a new OS disk from the target image (U3)"),
    State.WAITING_FOR_HEALTH: ("waiting for health", f"reimaged: {_WAIT} to be healthy (U4)"),
    State.AWAITING_APPROVAL: (
        "awaiting approval",
        "notified (Platform.PendingOSUpgrade); reimaged once approved (S2)",
    ),
    State.SUCCEEDED: ("healthy on the new image", "upgraded; its previous OS disk is deleted"),
    State.ROLLING_BACK: ("rolling back", "getting its previous OS disk back"),
    State.ROLLED_BACK: ("rolled back", f"not healthy within {_WAIT}: back on its previous disk"),
    State.FAILED: ("failed", "not upgraded; no rollback restored its previous disk"),
    State.ROLLBACK_FAILED: ("rollback failed", "its previous OS disk could not be restored"),
    State.SKIPPED: ("skipped: already on the target", "already on the target image (T6)"),
    "idle": ("not upgraded", "no upgrade has touched it yet"),
}

# Power states (Azure's PowerState/...) as the grid says them; a VM not running is unhealthy
# for U7 and U8 whatever its probe says.
POWER_WORDS = {
    "running": "running",
    "starting": "starting: unhealthy until running (U8)",
    "stopping": "stopping: unhealthy (U8)",
    "stopped": "powered off: unhealthy (U7, U8)",
    "deallocating": "deallocating: unhealthy (U8)",
    "deallocated": "deallocated: unhealthy (U7, U8)",
    "unknown": "power state unknown",
}

# The grid's per-instance actions (issue 12): (verb, button, confirmation or "").
INSTANCE_VERBS = (
    (
        "reimage",
        "Reimage",
        "Reimage this VM? It gets a new OS disk from the model's image; its data disks are kept.",
    ),
    ("restart", "Restart", ""),
    (
        "powerOff",
        "Power off",
        "Power off this VM? It stays allocated and counts as unhealthy "
        "(U7, U8) until it runs again.",
    ),
    ("start", "Power on", ""),
    ("protect", "Protect", ""),
    ("unprotect", "Remove protection", ""),
)

# The instance_changed events the log opens with: failures, and rollbacks as they start.
LOGGED_STATES = frozenset(
    state for state in State if state.is_failure or state is State.ROLLING_BACK
)

# The progress bar's segments in reading order, and the instance states each one counts.
SEGMENTS: tuple[tuple[str, str, frozenset[State]], ...] = (
    ("succeeded", "succeeded", frozenset({State.SUCCEEDED})),
    ("failed", "failed", frozenset({State.FAILED})),
    ("rolled_back", "rolled back", frozenset({State.ROLLED_BACK})),
    ("rollback_failed", "rollback failed", frozenset({State.ROLLBACK_FAILED})),
    ("in_progress", "in progress", frozenset(state for state in State if state.is_in_progress)),
    ("pending", "pending", frozenset({State.PENDING, State.AWAITING_APPROVAL})),
)

STATUS_LABELS = {
    RunningStatus.ROLLING_FORWARD: "Rolling forward",
    RunningStatus.ROLLING_BACK: "Rolling back",
    RunningStatus.CANCELLED: "Cancelled",
    RunningStatus.COMPLETED: "Completed",
    RunningStatus.FAULTED: "Faulted",
}
# What an operator asked of a running upgrade outranks its status ("Paused", not "Rolling
# forward"), first match first: (CSS hook, the operation's flag, words).
Flag = Literal["is_paused", "cancel_requested", "pause_requested"]
CONDITIONS: tuple[tuple[str, Flag, str], ...] = (
    ("paused", "is_paused", "Paused"),
    ("cancelling", "cancel_requested", "Cancelling"),
    ("pausing", "pause_requested", "Pausing"),
)
RUNNING_HOOKS = frozenset({"rolling", *(hook for hook, _, _ in CONDITIONS)})
# Honest words (issue 10): an ended upgrade with failed or rolled-back instances is never shown
# as plain success. Its hook marks and colours it, its words give the counts (SEGMENTS' labels):
# "Completed with failures: 1 rolled back".
TROUBLED: dict[str, tuple[str, str]] = {
    RunningStatus.COMPLETED: ("completed-failures", "Completed with failures"),
    RunningStatus.CANCELLED: ("cancelled", "Cancelled"),
    RunningStatus.FAULTED: ("faulted", "Faulted"),
}
FAILURE_SEGMENTS = ("failed", "rolled_back", "rollback_failed")

# B7: the events that are someone's action (an operator's, or the platform's scheduler's);
# one the engine wrote itself (``data.engine``: a resume taking effect) is not.
AUDIT_KINDS = (
    EventKind.ENABLED,
    EventKind.DISABLED,
    EventKind.MODEL_UPDATED,
    EventKind.UPGRADE_STARTED,
    EventKind.CANCEL_REQUESTED,
    EventKind.PAUSE_REQUESTED,
    EventKind.RESUMED,
    EventKind.UPGRADE_APPROVED,
    EventKind.FAULT_RULE_ADDED,
    EventKind.FAULT_RULE_REMOVED,
    EventKind.IMAGE_PUBLISHED,
    EventKind.INSTANCE_ACTION,
    EventKind.INSTANCE_UPDATED,
    EventKind.GATE_CHANGED,  # G1, G4
    EventKind.PROMOTED,
    EventKind.NOTIFICATION_TARGET_CHANGED,  # G2
)


def vocabulary() -> Vocabulary:
    """Every word and enum the pages' scripts need, for ``json_script``."""
    return {
        "states": {key: _state_words(key) for key in INSTANCE_STATES},
        "segments": [{"key": key, "label": label} for key, label, _ in SEGMENTS],
        "statuses": {str(status): label for status, label in STATUS_LABELS.items()},
        "conditions": [
            {"hook": hook, "flag": flag, "label": label} for hook, flag, label in CONDITIONS
        ],
        "active_statuses": [str(status) for status in ACTIVE_STATUSES],
        "upgrade_kinds": dict(UPGRADE_KIND_CHOICES),
        "event_kinds": {str(kind): capfirst(str(kind.label)) for kind in EventKind},
        "audit_kinds": [str(kind) for kind in AUDIT_KINDS],
        "power_states": POWER_WORDS,
        "protected": "protected from scale set actions: left out of OS upgrades, model "
        "updates and reimage-all",
        "troubled": {
            str(status): {"hook": hook, "label": label}
            for status, (hook, label) in TROUBLED.items()
        },
        "failure_segments": list(FAILURE_SEGMENTS),
    }


def _state_words(key: str) -> StateWords:
    label, description = INSTANCE_STATES[key]
    counts: list[str] = []
    segment = None
    if key in State.__members__.values():
        state = State(key)
        # A planned instance in this state: the Azure counts it adds to, as the engine counts.
        tally = asdict(count_progress([InstanceProgress(state, batch_index=0)]))
        counts = [bucket for bucket, count in tally.items() if count]
        segment = next((name for name, _, states in SEGMENTS if state in states), None)
    return {
        "label": label,
        "description": description,
        "counts": counts,
        "segment": segment,
        "logged": key in LOGGED_STATES,
    }


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
    status = RunningStatus(operation["status"])
    if status not in ACTIVE_STATUSES:
        found = operation.get("counts")
        return outcome_of(status, found) if found else (status.lower(), STATUS_LABELS[status])
    for hook, flag, label in CONDITIONS:
        if operation[flag]:
            return hook, label
    return "rolling", STATUS_LABELS[status]


def failures_of(counts: Counts) -> list[tuple[str, int]]:
    """The failure segments of ``counts`` that hold instances, as (label, count)."""
    values = {
        "failed": counts["failed"] - counts["rolled_back"] - counts["rollback_failed"],
        "rolled_back": counts["rolled_back"],
        "rollback_failed": counts["rollback_failed"],
    }
    labels = {key: label for key, label, _ in SEGMENTS}
    return [(labels[key], values[key]) for key in FAILURE_SEGMENTS if values[key] > 0]


def outcome_of(status: RunningStatus, counts: Counts) -> tuple[str, str]:
    """(CSS hook, words) of an ended upgrade: "Completed" only when nothing failed.

    >>> outcome_of(RunningStatus.COMPLETED, {"successful": 9, "failed": 1, "in_progress": 0,
    ...     "pending": 0, "rolled_back": 1, "rollback_failed": 0, "skipped": 0})
    ('completed-failures', 'Completed with failures: 1 rolled back')
    """
    failures = failures_of(counts)
    if not failures or status not in TROUBLED:
        return status.lower(), STATUS_LABELS[status]
    hook, label = TROUBLED[status]
    return hook, f"{label}: " + ", ".join(f"{count} {words}" for words, count in failures)


def progress_of(operation: OperationView | FleetOperation) -> Progress:
    counts: Counts = operation["counts"]
    failed_only = counts["failed"] - counts["rolled_back"] - counts["rollback_failed"]
    values = {
        "succeeded": counts["successful"],
        "failed": failed_only,
        "rolled_back": counts["rolled_back"],
        "rollback_failed": counts["rollback_failed"],
        "in_progress": counts["in_progress"],
        "pending": counts["pending"],
    }
    total = sum(values.values())
    done = counts["successful"] + counts["failed"]
    segments = tuple(
        Segment(key, label, values[key], 0.0 if total == 0 else 100 * values[key] / total)
        for key, label, _ in SEGMENTS
        if values[key]
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

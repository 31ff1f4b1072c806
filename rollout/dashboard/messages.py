"""Every shape the dashboard sends to a browser, one ``TypedDict`` each (STYLE 2.5).

A websocket message's ``type`` is a ``Literal``. The same snapshots are embedded in the pages
(``json_script``), so the first paint needs no round trip: the socket then resumes after the
snapshot's ``last_event_id``.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from rollout.engine.estimates import EstimateData
from rollout.engine.figures import FigureData
from rollout.events.log import EventPayload

# idle: no upgrade has touched the instance yet; the rest are InstanceUpgradeState's values.
CellState = Literal[
    "idle",
    "pending",
    "awaiting_approval",
    "reimaging",
    "waiting_for_health",
    "rolling_back",
    "succeeded",
    "failed",
    "rolled_back",
    "rollback_failed",
    "skipped",
]


class ScaleSetHeader(TypedDict):
    id: int
    name: str
    resource_group: str
    region: str
    zones: list[str]
    capacity: int
    auto_upgrade: bool


class Counts(TypedDict):
    """Azure's progress and rollbackInfo counts (H1), plus skipped."""

    successful: int
    failed: int
    in_progress: int
    pending: int
    rolled_back: int
    rollback_failed: int
    skipped: int


class OperationView(TypedDict):
    id: int
    kind: str
    started_by: str
    started_by_user: str
    status: str
    is_paused: bool
    pause_requested: bool
    cancel_requested: bool
    automatic_rollback: bool
    target_image_version: str
    batch_count: int
    current_batch: int | None
    started_at: str
    ended_at: str | None
    error_code: str
    error_message: str
    reasons: list[str]
    counts: Counts


class InstanceCell(TypedDict):
    id: str
    zone: str
    update_domain: int
    fault_domain: int
    state: CellState
    batch: int | None
    deadline: str | None
    reason: str
    image_version: str


class BatchView(TypedDict):
    index: int
    zones: list[str]
    update_domain: int | None
    instances: list[str]
    started_at: str | None
    completed_at: str | None


class Share(FigureData):
    """A gauge's figures: U5's, or the scale set's (U1, U7). ``measured_at``: when the engine
    measured them for a decision; None: the read model measured them just now."""

    measured_at: str | None


class Timing(TypedDict):
    """What the browser needs to count down the health wait (U4), in wall seconds."""

    time_scale: float
    health_wait_seconds: float


class FaultRuleView(TypedDict):
    id: int
    kind: str
    description: str
    instance_ids: list[int]
    enabled: bool


class ScaleSetSnapshot(TypedDict):
    """``last_event_id``: resume after it. ``operation_cursor``: the newest event of the shown
    upgrade the snapshot includes; its events are totally ordered (the operation row's lock
    serialises them), so the browser skips any of them at or below it."""

    last_event_id: int
    operation_cursor: int
    server_time: str
    scale_set: ScaleSetHeader
    operation: OperationView | None
    batches: list[BatchView]
    instances: list[InstanceCell]
    shares: list[Share]
    timing: Timing
    estimate: EstimateData | None  # B8, while the upgrade runs
    fault_rules: list[FaultRuleView]
    events: list[EventPayload]


class ImageView(TypedDict):
    label: str
    detail: str
    versions: dict[str, int]
    latest: str | None
    up_to_date: bool


class FleetOperation(TypedDict):
    id: int
    status: str
    is_paused: bool
    pause_requested: bool
    cancel_requested: bool
    kind: str
    target_image_version: str
    batch_count: int
    current_batch: int | None
    ended_at: str | None
    error_code: str
    error_message: str
    counts: Counts


Severity = Literal["error", "warning", "info"]


class AttentionItem(TypedDict):
    scale_set: int
    name: str
    severity: Severity
    rank: int  # the strip's order: errors, warnings, the rest
    title: str
    detail: str


class NextUpgradeView(TypedDict):
    """T1-T7: what holds the next automatic upgrade back (``services.releases.triggers``)."""

    code: str
    why: str
    when: str | None


class FleetRow(TypedDict):
    id: int
    name: str
    resource_group: str
    region: str
    region_name: str
    zones: list[str]
    capacity: int
    image: ImageView
    auto_upgrade: bool
    refusal: str | None
    operation: FleetOperation | None
    next_upgrade: NextUpgradeView | None
    attention: list[AttentionItem]


class FleetSnapshot(TypedDict):
    last_event_id: int
    server_time: str
    rows: list[FleetRow]


class StateWords(TypedDict):
    """An instance state as the pages word it, and where the engine counts it: ``counts``, the
    Azure counts (``Counts``) a planned instance in it adds to; ``segment``, its part of the
    progress bar; ``logged``, whether its events open the log."""

    label: str
    description: str
    counts: list[str]
    segment: str | None
    logged: bool


class ConditionWords(TypedDict):
    """A running upgrade's status gives way to this when the operation's ``flag`` is set."""

    hook: str
    flag: str
    label: str


class SegmentWords(TypedDict):
    key: str
    label: str


class Vocabulary(TypedDict):
    """The words and enums the pages' scripts read (``display.vocabulary``), never spell."""

    states: dict[str, StateWords]  # CellState -> words, in the legend's order
    segments: list[SegmentWords]  # the progress bar, in reading order
    statuses: dict[str, str]  # RunningStatus -> words
    conditions: list[ConditionWords]  # what outranks a running status, first match first
    active_statuses: list[str]
    upgrade_kinds: dict[str, str]
    event_kinds: dict[str, str]  # EventKind -> words
    audit_kinds: list[str]  # B7: the event kinds that are someone's action


class SnapshotMessage(TypedDict):
    type: Literal["snapshot"]
    snapshot: ScaleSetSnapshot


class FleetSnapshotMessage(TypedDict):
    type: Literal["fleet.snapshot"]
    snapshot: FleetSnapshot


class EventsOut(TypedDict):
    """Events as committed (``catch_up`` false) or read back on resume (true)."""

    type: Literal["events"]
    events: list[EventPayload]
    catch_up: bool


class ResyncRequest(TypedDict):
    """From the browser: send me a fresh snapshot (a new upgrade started)."""

    type: Literal["resync"]

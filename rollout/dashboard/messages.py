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
    power_state: str  # running, stopped, deallocated...: not running is unhealthy (U8)
    protected: bool  # protectFromScaleSetActions: left out of scale set actions


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
    """``sequence``: the scale set's stream position the snapshot reflects (every event
    numbered up to it, none after); the browser applies the events numbered after it, in
    order (``rollout.events.streams``)."""

    sequence: int
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
    """``sequence``: the scale set's stream position the row reflects."""

    id: int
    sequence: int
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
    """``platform``: the newest event of no scale set the rows reflect."""

    last_event_id: int
    platform: int
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


class TroubledWords(TypedDict):
    """An ended status with failed or rolled-back instances (display.TROUBLED)."""

    hook: str
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
    # An instance's power state (not running: unhealthy, U8) and its protection, as words.
    power_states: dict[str, str]
    protected: str
    troubled: dict[str, TroubledWords]  # RunningStatus -> how it reads with failures
    failure_segments: list[str]  # the segments that count failures


class SnapshotMessage(TypedDict):
    type: Literal["snapshot"]
    snapshot: ScaleSetSnapshot


class FleetSnapshotMessage(TypedDict):
    type: Literal["fleet.snapshot"]
    snapshot: FleetSnapshot


class FleetHeadsMessage(TypedDict):
    """The fleet socket's summary, on connect and every ``HEARTBEAT_SECONDS``: each visible
    scale set's stream head, and the newest event of no scale set (``platform``). The page
    fetches again every row older than its head: nothing dropped stays unseen."""

    type: Literal["fleet.heads"]
    heads: dict[str, int]
    platform: int
    server_time: str


class HeadMessage(TypedDict):
    """The scale set socket's heartbeat: the stream's committed head. A page behind it asks
    for the events after its own sequence (``ResyncRequest``)."""

    type: Literal["head"]
    sequence: int


class EventsOut(TypedDict):
    """Events as committed (``catch_up`` false) or read back on resume (true)."""

    type: Literal["events"]
    events: list[EventPayload]
    catch_up: bool


class ResyncRequest(TypedDict, total=False):
    """From the browser: the events after ``after`` (its sequence), or, without it (or when
    too far behind), a fresh snapshot. Rate limited per connection (``RESYNC_*``)."""

    type: Literal["resync"]
    after: int

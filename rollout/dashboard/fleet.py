"""The fleet page's read model: one row per scale set, and what needs attention.

A row says where the scale set runs, which image versions its instances run against the
newest available (T4 for gallery images), whether auto-upgrade is on (and, when off, why
turning it on would be refused: E2), and how its running or last upgrade went.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from rollout.dashboard.messages import (
    AttentionItem,
    FleetOperation,
    FleetRow,
    FleetSnapshot,
    ImageView,
    NextUpgradeView,
    Severity,
)
from rollout.dashboard.views_of import counts_of, iso, last_event_id
from rollout.events import streams
from rollout.models import (
    ACTIVE_STATUSES,
    ImageKind,
    Instance,
    RunningStatus,
    ScaleSet,
    UpgradeOperation,
    version_sort_key,
)
from rollout.services import auto_upgrade_refusal
from rollout.services.gallery.images import latest_available_version
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.triggers import outlook

# The strip's order: errors first, then warnings, then the rest.
SEVERITY_RANKS: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}

STATE_FILTERS = {
    "upgrading": "Upgrading now",
    "attention": "Needs attention",
    "outdated": "Update available",
    "current": "Up to date",
    "auto_on": "Auto-upgrade on",
    "auto_off": "Auto-upgrade off",
}


def fleet_snapshot(
    *,
    region: str = "",
    state: str = "",
    ids: Iterable[int] | None = None,
    visible: Q | None = None,
) -> FleetSnapshot:
    with streams.consistent_read():
        cursor = last_event_id()
        return {
            "last_event_id": cursor,
            "platform": last_event_id(scale_set__isnull=True),
            "server_time": timezone.now().isoformat(),
            "rows": fleet_rows(region=region, state=state, ids=ids, visible=visible),
        }


def fleet_rows(
    *,
    region: str = "",
    state: str = "",
    ids: Iterable[int] | None = None,
    visible: Q | None = None,
) -> list[FleetRow]:
    """Every scale set (of ``region``, in ``state``: a key of STATE_FILTERS, among those
    ``visible`` selects: the ones the user may see, R1), by name. Each row says the stream
    position it reflects (``sequence``), read first in a consistent read."""
    with streams.consistent_read():
        return _fleet_rows(region=region, state=state, ids=ids, visible=visible)


def _fleet_rows(
    *, region: str, state: str, ids: Iterable[int] | None, visible: Q | None
) -> list[FleetRow]:
    chosen_ids = None if ids is None else list(ids)
    heads = streams.heads(chosen_ids)
    latest = UpgradeOperation.objects.filter(scale_set=OuterRef("pk")).order_by(
        "-started_at", "-id"
    )
    scale_sets = (
        ScaleSet.objects.select_related("location", "resource_group", "gallery_image")
        .annotate(latest_operation=Subquery(latest.values("pk")[:1]))
        .order_by("name", "pk")
    )
    if visible is not None:
        scale_sets = scale_sets.filter(visible)
    if region:
        scale_sets = scale_sets.filter(location__name=region)
    if chosen_ids is not None:
        scale_sets = scale_sets.filter(pk__in=chosen_ids)
    chosen = list(scale_sets)
    operations = UpgradeOperation.objects.in_bulk(
        [s.latest_operation for s in chosen if s.latest_operation]
    )
    versions = _versions([s.pk for s in chosen])
    rows = []
    for scale_set in chosen:
        operation = operations.get(scale_set.latest_operation)
        row = _row(scale_set, operation, versions.get(scale_set.pk, {}))
        row["sequence"] = heads.get(scale_set.pk, 0)
        if matches(row, state):
            rows.append(row)
    return rows


def attention(rows: Iterable[FleetRow]) -> list[AttentionItem]:
    """The strip at the top of the fleet page: errors first, then warnings, then the rest
    (by ``rank``, which the page also sorts by when a row's items change), by name."""
    items = [item for row in rows for item in row["attention"]]
    return sorted(items, key=lambda item: (item["rank"], item["name"]))


def matches(row: FleetRow, state: str) -> bool:
    operation = row["operation"]
    running = operation is not None and operation["status"] in ACTIVE_STATUSES
    return {
        "": True,
        "upgrading": running,
        "attention": bool(row["attention"]),
        "outdated": not row["image"]["up_to_date"],
        "current": row["image"]["up_to_date"],
        "auto_on": row["auto_upgrade"],
        "auto_off": not row["auto_upgrade"],
    }.get(state, True)


def _row(
    scale_set: ScaleSet, operation: UpgradeOperation | None, versions: dict[str, int]
) -> FleetRow:
    refusal = None
    if not scale_set.enable_automatic_os_upgrade:
        error = auto_upgrade_refusal(scale_set)
        refusal = error.message if error is not None else None
    image = _image(scale_set, versions)
    fleet_operation = _operation(operation) if operation is not None else None
    row: FleetRow = {
        "id": scale_set.pk,
        "sequence": 0,
        "name": scale_set.name,
        "resource_group": scale_set.resource_group.name,
        "region": scale_set.location.name,
        "region_name": scale_set.location.display_name or scale_set.location.name,
        "zones": [str(zone) for zone in scale_set.zones],
        "capacity": scale_set.capacity,
        "image": image,
        "auto_upgrade": scale_set.enable_automatic_os_upgrade,
        "refusal": refusal,
        "operation": fleet_operation,
        "next_upgrade": next_upgrade_of(scale_set),
        "attention": [],
    }
    row["attention"] = _attention(row, operation)
    return row


def next_upgrade_of(scale_set: ScaleSet, now: datetime | None = None) -> NextUpgradeView | None:
    """The next automatic upgrade and why it waits; None when auto-upgrade is off."""
    seen = outlook(scale_set, now)
    if seen.code in (OutlookCode.OFF, OutlookCode.NOT_APPLICABLE):
        return None
    return {"code": seen.code, "why": seen.why, "when": iso(seen.when)}


def _image(scale_set: ScaleSet, versions: dict[str, int]) -> ImageView:
    if scale_set.image_kind == ImageKind.PLATFORM:
        label, detail = (
            scale_set.image_sku,
            f"{scale_set.image_publisher} · {scale_set.image_offer}",
        )
    elif scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image is not None:
        label, detail = scale_set.gallery_image.name, "Compute Gallery image"
    else:
        label, detail = "custom image", scale_set.custom_image_id
    resolved = latest_available_version(scale_set)
    latest = resolved.version if resolved is not None else None
    ordered = dict(sorted(versions.items(), key=lambda item: version_sort_key(item[0])))
    up_to_date = latest is None or set(ordered) <= {latest}
    return {
        "label": label,
        "detail": detail,
        "versions": ordered,
        "latest": latest,
        "up_to_date": up_to_date,
    }


def _operation(operation: UpgradeOperation) -> FleetOperation:
    return {
        "id": operation.pk,
        "status": operation.status,
        "is_paused": operation.is_paused,
        "pause_requested": operation.pause_requested,
        "cancel_requested": operation.cancel_requested,
        "kind": operation.kind,
        "target_image_version": operation.target_image_version,
        "batch_count": operation.batch_count,
        "current_batch": operation.current_batch_index,
        "ended_at": iso(operation.ended_at),
        "error_code": operation.error_code,
        "error_message": operation.error_message,
        "counts": counts_of(operation),
    }


def _attention(row: FleetRow, operation: UpgradeOperation | None) -> list[AttentionItem]:
    items: list[AttentionItem] = []

    def add(severity: Severity, title: str, detail: str) -> None:
        items.append(
            {
                "scale_set": row["id"],
                "name": row["name"],
                "severity": severity,
                "rank": SEVERITY_RANKS[severity],
                "title": title,
                "detail": detail,
            }
        )

    if operation is not None:
        when = _ago(operation.ended_at)
        if operation.status == RunningStatus.FAULTED:
            add("error", "Upgrade faulted", f"{operation.error_code}: {operation.error_message}")
        elif operation.status == RunningStatus.CANCELLED:
            add("warning", "Upgrade cancelled", f"Stopped {when}; no further batch ran (U10).")
        elif operation.is_paused:
            add("warning", "Upgrade paused", "Paused between batches (B5): resume or cancel it.")
        rolled_back = operation.rolled_back_instance_count
        if rolled_back and operation.status != RunningStatus.FAULTED:
            add(
                "warning",
                f"{rolled_back} instance{'s' if rolled_back > 1 else ''} rolled back",
                "Not healthy within 5 minutes on the new image: the previous OS disk was "
                "restored (U4).",
            )
        if operation.failed_rollback_instance_count:
            add(
                "error",
                f"{operation.failed_rollback_instance_count} rollback(s) failed",
                "These instances could not get their previous OS disk back.",
            )
    if row["refusal"]:
        add("info", "Auto-upgrade would be refused", row["refusal"])
    return items


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "recently"
    return f"at {moment:%Y-%m-%d %H:%M} UTC"


def _versions(scale_set_ids: list[int]) -> dict[int, dict[str, int]]:
    """Instances per image version, per scale set: one query."""
    found: dict[int, Counter[str]] = defaultdict(Counter)
    rows = Instance.objects.filter(scale_set_id__in=scale_set_ids).values_list(
        "scale_set_id", "os_disk__image_version"
    )
    for scale_set_id, version in rows:
        found[scale_set_id][version or "unknown"] += 1
    return {key: dict(counter) for key, counter in found.items()}

"""A scale set's gates (G1), checkpoints and bake time (G4), and promotion: validated first
(``ServiceError``, nothing written), then written with their audit event (B7), live (L3)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from orchestrator.gates.conditions import ConditionError, parse
from orchestrator.gates.model import GateVerdict
from rollout import events
from rollout.models import (
    ACTIVE_STATUSES,
    CheckpointHold,
    CheckpointPolicy,
    EventKind,
    Gate,
    GateKind,
    ScaleSet,
    UpgradeOperation,
)
from rollout.services import wakeups
from rollout.services.errors import ServiceError, invalid_parameter, not_found

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Fields a gate takes, with their wire names (the API's camelCase).
GATE_FIELDS = {
    "kind": "kind",
    "url": "url",
    "query": "query",
    "success_condition": "successCondition",
    "failure_condition": "failureCondition",
    "timeout_seconds": "timeoutSeconds",
    "interval_seconds": "intervalSeconds",
    "count": "count",
    "failure_limit": "failureLimit",
    "inconclusive_limit": "inconclusiveLimit",
    "consecutive_error_limit": "consecutiveErrorLimit",
    "enabled": "enabled",
    "forced_verdict": "forcedVerdict",
}


def check_gate(gate: Gate) -> None:
    """Refuse a gate that cannot work, naming the property to fix (wire names)."""
    if not NAME.match(gate.name or ""):
        raise invalid_parameter(
            "A gate's name is 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit.",
            "name",
        )
    if gate.kind not in GateKind.values:
        raise invalid_parameter(f"kind is one of {', '.join(GateKind.values)}.", "properties.kind")
    parsed = urlparse(gate.url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid_parameter("url starts with http:// or https://.", "properties.url")
    if gate.kind == GateKind.PROMETHEUS:
        if not gate.query.strip():
            raise invalid_parameter("A Prometheus gate needs a PromQL query.", "properties.query")
        if not gate.success_condition and not gate.failure_condition:
            raise invalid_parameter(
                "A Prometheus gate needs a success or failure condition (e.g. result < 0.01).",
                "properties.successCondition",
            )
    for field in ("success_condition", "failure_condition"):
        text = getattr(gate, field)
        if text:
            try:
                parse(text)
            except ConditionError as error:
                raise invalid_parameter(str(error), f"properties.{GATE_FIELDS[field]}") from None
    if not 0 < gate.timeout_seconds <= 300:
        raise invalid_parameter(
            "timeoutSeconds is more than 0 and at most 300.", "properties.timeoutSeconds"
        )
    if gate.interval_seconds < 1:
        raise invalid_parameter("intervalSeconds is at least 1.", "properties.intervalSeconds")
    if gate.count < 1:
        raise invalid_parameter("count is at least 1.", "properties.count")
    if gate.forced_verdict and gate.forced_verdict not in GateVerdict.__members__.values():
        raise invalid_parameter(
            f"forcedVerdict is empty or one of {', '.join(v.value for v in GateVerdict)}.",
            "properties.forcedVerdict",
        )


def save_gate(
    scale_set: ScaleSet,
    name: str,
    values: Mapping[str, Any],
    *,
    actor: Any = None,
    reason: str = "",
) -> tuple[Gate, bool]:
    """Create or replace the gate ``name`` of ``scale_set`` with ``values`` (model field
    names); returns it and whether it was created."""
    gate = Gate.objects.filter(scale_set=scale_set, name=name).first()
    created = gate is None
    if gate is None:
        gate = Gate(scale_set=scale_set, name=name)
    unknown = set(values) - set(GATE_FIELDS)
    if unknown:
        raise invalid_parameter(f"unknown gate properties: {', '.join(sorted(unknown))}")
    for field, value in values.items():
        setattr(gate, field, value)
    check_gate(gate)
    with transaction.atomic():
        gate.save()
        _audit(scale_set, gate, "created" if created else "changed", actor, reason)
    return gate, created


def delete_gate(scale_set: ScaleSet, name: str, *, actor: Any = None, reason: str = "") -> None:
    gate = Gate.objects.filter(scale_set=scale_set, name=name).first()
    if gate is None:
        raise not_found(f"The gate '{name}' of scale set '{scale_set.name}' was not found.")
    with transaction.atomic():
        _audit(scale_set, gate, "deleted", actor, reason)
        gate.delete()


def describe_gate(gate: Gate) -> str:
    """One line for people: "error-rate (Prometheus query): result < 0.01, 3 x every 60 s"."""
    condition = gate.success_condition or (
        f"not ({gate.failure_condition})" if gate.failure_condition else "2xx"
    )
    text = (
        f"{gate.name} ({gate.get_kind_display()}): {condition}, {gate.count} x every "
        f"{gate.interval_seconds:g} s, failure limit {gate.failure_limit}"
    )
    if gate.forced_verdict:
        text += f" (rehearsal: forced {gate.forced_verdict})"
    if not gate.enabled:
        text += " (disabled)"
    return text


def set_checkpoints(
    scale_set: ScaleSet,
    checkpoints: Sequence[Mapping[str, Any]],
    bake_seconds: float,
    *,
    actor: Any = None,
    reason: str = "",
) -> CheckpointPolicy:
    """G4: checkpoints at percentages (each with ``delaySeconds``, or none: hold until
    promoted) and the bake time after each batch."""
    cleaned = []
    for position, item in enumerate(checkpoints):
        target = f"properties.checkpoints[{position}]"
        try:
            percent = int(item["percent"])
        except (KeyError, TypeError, ValueError):
            raise invalid_parameter("Each checkpoint has a whole percent.", target) from None
        if not 1 <= percent <= 100:
            raise invalid_parameter("A checkpoint's percent is 1 to 100.", f"{target}.percent")
        entry: dict[str, Any] = {"percent": percent}
        delay = item.get("delaySeconds")
        if delay is not None:
            if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
                raise invalid_parameter(
                    "delaySeconds is a number of seconds.", f"{target}.delaySeconds"
                )
            entry["delaySeconds"] = float(delay)
        cleaned.append(entry)
    percents = [c["percent"] for c in cleaned]
    if len(set(percents)) != len(percents):
        raise invalid_parameter("Checkpoint percentages are distinct.", "properties.checkpoints")
    if not isinstance(bake_seconds, int | float) or bake_seconds < 0:
        raise invalid_parameter("bakeSeconds is 0 or more.", "properties.bakeSeconds")
    cleaned.sort(key=lambda c: c["percent"])
    with transaction.atomic():
        policy, _ = CheckpointPolicy.objects.update_or_create(
            scale_set=scale_set,
            defaults={"checkpoints": cleaned, "bake_seconds": float(bake_seconds)},
        )
        events.record_one(
            EventKind.GATE_CHANGED,
            scale_set=scale_set,
            actor=actor,
            reason=reason,
            change="checkpoints",
            checkpoints=cleaned,
            bake_seconds=float(bake_seconds),
        )
    return policy


def promote(scale_set: ScaleSet, *, actor: Any = None, reason: str = "") -> CheckpointHold:
    """G4: let the running upgrade go on past the checkpoint it holds at."""
    with transaction.atomic():
        operation = (
            UpgradeOperation.objects.select_for_update(of=("self",))
            .filter(scale_set=scale_set, status__in=ACTIVE_STATUSES)
            .first()
        )
        # The latest checkpoint reached and not promoted: a hold, or a delay to cut short.
        hold = (
            CheckpointHold.objects.filter(operation=operation, promoted_at__isnull=True)
            .order_by("-percent")
            .first()
            if operation is not None
            else None
        )
        if operation is None or hold is None:
            raise ServiceError(
                "Conflict",
                f"No upgrade of '{scale_set.name}' is waiting at a checkpoint.",
                status=409,
            )
        now = timezone.now()
        user = actor if getattr(actor, "is_authenticated", False) else None
        hold.promoted_at = now
        hold.promoted_by = user
        hold.promoted_by_name = (
            actor.get_username() if user is not None else str(actor or "command line")
        )
        hold.save(update_fields=["promoted_at", "promoted_by", "promoted_by_name"])
        events.record_one(
            EventKind.PROMOTED,
            scale_set=scale_set,
            operation=operation,
            actor=actor,
            reason=reason,
            percent=hold.percent,
        )
        if not operation.is_paused:
            operation.next_look_at = now
            operation.save(update_fields=["next_look_at"])
            wakeups.advance_operation(operation.pk)
    return hold


def _audit(scale_set: ScaleSet, gate: Gate, what: str, actor: Any, reason: str) -> None:
    events.record_one(
        EventKind.GATE_CHANGED,
        scale_set=scale_set,
        actor=actor,
        reason=reason,
        change=what,
        gate=gate.name,
        description=describe_gate(gate),
    )

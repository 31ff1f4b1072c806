"""B2 rehearsal: add and remove the fault rules that make chosen instances fail.

Both verbs validate first (raising ``ServiceError``, writing nothing), then write the rule and
its audit event (B7: who, why, and what the rule does) in one transaction. The admin edits the
same rows; the simulated provider reads them on its next observation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.models import EventKind, FaultKind, FaultRule, ScaleSet
from rollout.services.errors import invalid_parameter, not_found

# The kinds whose behaviour needs a number of seconds (orchestrator.behaviour).
NEEDS_SECONDS = frozenset({FaultKind.HEALTHY_AFTER, FaultKind.UNHEALTHY_AFTER})


def describe_fault_rule(rule: FaultRule) -> str:
    """One line for people: "never healthy: instances 3, 7 (only on 22.04.202611110)"."""
    kind = FaultKind(rule.kind)
    what = kind.label
    if kind in NEEDS_SECONDS and rule.seconds is not None:
        what = what.replace("N seconds", f"{rule.seconds:g} s")
    if rule.instance_ids:
        ids = ", ".join(str(i) for i in rule.instance_ids)
        targets = f"instance{'s' if len(rule.instance_ids) > 1 else ''} {ids}"
    elif rule.share is not None:
        targets = f"{rule.share:.0%} of the instances"
    else:
        targets = "every instance"
    if rule.zone:
        targets += f" in zone {rule.zone}"
    text = f"{what}: {targets}"
    if rule.image_version:
        text += f" (only on {rule.image_version})"
    if not rule.enabled:
        text += " (disabled)"
    return text


def add_fault_rule(
    scale_set: ScaleSet,
    *,
    kind: str,
    instance_ids: Iterable[int] = (),
    share: float | None = None,
    zone: str = "",
    seconds: float | None = None,
    image_version: str = "",
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> FaultRule:
    """Make instances of ``scale_set`` misbehave from now on (B2); returns the saved rule.

    A rule picks its instances by ids, or by a share (0-1) of them, within a zone if given;
    with neither, every instance (of the zone).
    """
    ids = sorted(set(instance_ids))
    _check(scale_set, kind, ids, share, zone, seconds)
    now = now or timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        rule = FaultRule.objects.create(
            scale_set=scale_set,
            kind=kind,
            instance_ids=ids,
            share=share,
            zone=zone,
            seconds=seconds,
            image_version=image_version.strip(),
            enabled=True,
            created_at=now,
            created_by=user,
            reason=reason[:200],
        )
        events.record_one(
            EventKind.FAULT_RULE_ADDED,
            scale_set=scale_set,
            actor=actor,
            reason=reason,
            at=now,
            **_event_data(rule),
        )
    return rule


def remove_fault_rule(
    scale_set: ScaleSet, rule_id: int, *, actor: Any = None, reason: str = ""
) -> None:
    """Delete one fault rule of ``scale_set``; its audit event keeps what it did."""
    with transaction.atomic():
        rule = (
            FaultRule.objects.select_for_update(of=("self",))
            .filter(pk=rule_id, scale_set=scale_set)
            .first()
        )
        if rule is None:
            raise not_found(f"{scale_set.name} has no fault rule {rule_id}.", "NotFound")
        data = _event_data(rule)
        rule.delete()
        events.record_one(
            EventKind.FAULT_RULE_REMOVED,
            scale_set=scale_set,
            actor=actor,
            reason=reason,
            **data,
        )


def _event_data(rule: FaultRule) -> dict[str, Any]:
    return {
        "rule": rule.pk,
        "fault_kind": rule.kind,
        "instance_ids": list(rule.instance_ids),
        "share": rule.share,
        "zone": rule.zone,
        "seconds": rule.seconds,
        "image_version": rule.image_version,
        "description": describe_fault_rule(rule),
    }


def _check(
    scale_set: ScaleSet,
    kind: str,
    ids: list[int],
    share: float | None,
    zone: str,
    seconds: float | None,
) -> None:
    if kind not in FaultKind.values:
        raise invalid_parameter(
            f"Unknown fault kind '{kind}': use one of {', '.join(FaultKind.values)}.", "kind"
        )
    if kind in NEEDS_SECONDS and seconds is None:
        raise invalid_parameter(f"A '{kind}' rule needs a number of seconds.", "seconds")
    if seconds is not None and seconds < 0:
        raise invalid_parameter("Seconds must not be negative.", "seconds")
    if share is not None and not 0 <= share <= 1:
        raise invalid_parameter("The share is a fraction from 0 to 1 (0.3 is 30%).", "share")
    if ids and share is not None:
        raise invalid_parameter("Pick instances by ids or by a share, not both.", "share")
    if ids:
        existing = set(
            scale_set.instances.filter(instance_id__in=ids).values_list("instance_id", flat=True)
        )
        missing = [i for i in ids if i not in existing]
        if missing:
            shown = ", ".join(str(i) for i in missing)
            raise invalid_parameter(f"{scale_set.name} has no instance {shown}.", "instance_ids")
    if zone and zone not in {str(z) for z in scale_set.zones}:
        zones = ", ".join(scale_set.zones) or "none: it is regional"
        raise invalid_parameter(
            f"{scale_set.name} has no zone '{zone}' (its zones: {zones}).", "zone"
        )

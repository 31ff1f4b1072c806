"""Notification targets (G2): made, changed, removed and retried only here, each audited (B7)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.events.notifications import wake
from rollout.models import (
    Delivery,
    DeliveryStatus,
    EventKind,
    NotificationTarget,
    NotificationTopic,
    TargetKind,
)
from rollout.services.errors import ServiceError, invalid_parameter

TOPICS = [topic.value for topic in NotificationTopic]


def problems_of(target: NotificationTarget) -> ServiceError | None:
    """What makes a target unusable, naming the field to fix; None when it is fine."""
    if not target.name.strip():
        return invalid_parameter("A notification target needs a name.", "name")
    if target.kind not in TargetKind.values:
        return invalid_parameter(f"kind must be one of {', '.join(TargetKind.values)}.", "kind")
    if target.kind == TargetKind.WEBHOOK:
        parsed = urlparse(target.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return invalid_parameter("A webhook URL starts with https:// or http://.", "url")
    else:
        import apprise

        if not apprise.Apprise().add(target.url):
            return invalid_parameter(
                "Apprise does not understand this URL (e.g. slack://..., msteams://..., "
                "mailto://...; see the Apprise wiki).",
                "url",
            )
    if not isinstance(target.topics, list) or any(t not in TOPICS for t in target.topics):
        return invalid_parameter(f"topics are some of: {', '.join(TOPICS)}.", "topics")
    if target.scale_set_id is not None and target.resource_group_id is not None:
        return invalid_parameter(
            "Scope a target to a scale set or to a resource group, not both.", "scale_set"
        )
    return None


def save_target(target: NotificationTarget, *, actor: Any = None, reason: str = "") -> None:
    """Create or change a target (refused, changing nothing, when ``problems_of`` says so)."""
    problem = problems_of(target)
    if problem is not None:
        raise problem
    with transaction.atomic():
        created = target.pk is None
        target.save()
        _audit(target, "created" if created else "changed", actor, reason)


def delete_target(target: NotificationTarget, *, actor: Any = None, reason: str = "") -> None:
    with transaction.atomic():
        _audit(target, "deleted", actor, reason)
        target.delete()


def retry_delivery(delivery: Delivery, *, actor: Any = None, reason: str = "") -> None:
    """Send a delivery that was given up once more, now (it keeps its attempts)."""
    if delivery.status != DeliveryStatus.GAVE_UP:
        raise ServiceError("Conflict", "Only a delivery that was given up can be retried.")
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
        )
        target = delivery.target
        _audit(target, f"delivery {delivery.pk} retried", actor, reason)
        target_ids = [target.pk]
        transaction.on_commit(lambda: wake(target_ids))


def _audit(target: NotificationTarget, what: str, actor: Any, reason: str) -> None:
    events.record_one(
        EventKind.NOTIFICATION_TARGET_CHANGED,
        scale_set=target.scale_set,
        actor=actor,
        reason=reason,
        target=target.name,
        target_kind=target.kind,
        change=what,
        topics=list(target.topics),
    )

"""Delivering a target's queue (G2): in order, one at a time, retried with back-off.

1. A worker claims the target by a conditional UPDATE of its lease (``claim``); another worker
   finding it claimed does nothing, so two workers never send a target's deliveries out of
   order. A worker killed mid-send lets the lease run out; beat's sweep wakes the target again.
2. It sends the oldest pending delivery. Success marks it delivered and goes on to the next; a
   failure records the attempt and schedules the next one after a back-off that doubles
   (``retry_delay``). The deliveries behind it wait, so a receiver sees them in order.
3. After ``ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS`` attempts the delivery is given up (kept, with its
   attempts, in the admin) and the queue moves on.

No transaction is open while a request is in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rollout.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationTarget,
    TargetKind,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Rollwright-Signature"
TIMESTAMP_HEADER = "X-Rollwright-Timestamp"
DELIVERY_HEADER = "X-Rollwright-Delivery"
TOPIC_HEADER = "X-Rollwright-Topic"
MAX_BACKOFF = timedelta(hours=1)
# Deliveries one claim sends back to back before handing the target back.
BURST = 100


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` HMAC-SHA256 of ``timestamp.body``.

    A receiver recomputes it with the shared secret and compares in constant time; the
    timestamp inside the signed text lets it refuse replays of old deliveries.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def retry_delay(attempts: int) -> timedelta:
    """Back-off after ``attempts`` failed attempts: the base, doubled each time, capped at an
    hour. With the 10 s default: 10 s, 20 s, 40 s ... 1 h."""
    base = settings.ROLLWRIGHT_WEBHOOK_RETRY_SECONDS
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(target_id: int, now: datetime) -> bool:
    lease = timedelta(seconds=settings.ROLLWRIGHT_WEBHOOK_TIMEOUT * 3 + 30)
    claimed = (
        NotificationTarget.objects.filter(pk=target_id, enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease)
    )
    return claimed == 1


def release(target_id: int) -> None:
    NotificationTarget.objects.filter(pk=target_id).update(lease_until=None)


def deliver_queue(target_id: int) -> datetime | None:
    """Send the target's due deliveries in order; return when to look again (None: nothing
    waits, or another worker holds the target)."""
    if not claim(target_id, timezone.now()):
        return None
    try:
        target = NotificationTarget.objects.get(pk=target_id)
        for _ in range(BURST):
            head = (
                Delivery.objects.filter(target=target, status=DeliveryStatus.PENDING)
                .order_by("id")
                .first()
            )
            if head is None:
                return None
            now = timezone.now()
            if head.next_attempt_at > now:
                return head.next_attempt_at
            if not attempt(target, head):
                return head.next_attempt_at
        return timezone.now()
    finally:
        release(target_id)


def attempt(target: NotificationTarget, delivery: Delivery) -> bool:
    """One attempt at one delivery, recorded; True when it was delivered."""
    started = timezone.now()
    clock = time.perf_counter()
    outcome = send(target, delivery)
    duration_ms = (time.perf_counter() - clock) * 1000
    delivery.attempt_count += 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        at=started,
        duration_ms=duration_ms,
        ok=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error[:2000],
    )
    now = timezone.now()
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    else:
        delivery.last_error = outcome.error[:2000]
        if delivery.attempt_count >= settings.ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.GAVE_UP
            logger.warning("gave up delivery %s to %s: %s", delivery.pk, target, outcome.error)
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempt_count)
    delivery.save(
        update_fields=["attempt_count", "status", "delivered_at", "last_error", "next_attempt_at"]
    )
    return outcome.ok


def send(target: NotificationTarget, delivery: Delivery) -> Outcome:
    if target.kind == TargetKind.APPRISE:
        return send_apprise(target.url, delivery)
    return post_webhook(target, delivery)


def post_webhook(target: NotificationTarget, delivery: Delivery) -> Outcome:
    body = encode(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Rollwright-Webhook/1",
        TIMESTAMP_HEADER: timestamp,
        DELIVERY_HEADER: str(delivery.pk),
        TOPIC_HEADER: delivery.topic,
    }
    if target.secret:
        headers[SIGNATURE_HEADER] = sign(target.secret, timestamp, body)
    try:
        response = requests.post(
            target.url,
            data=body,
            headers=headers,
            timeout=settings.ROLLWRIGHT_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    return Outcome(
        ok=False,
        status_code=response.status_code,
        error=f"HTTP {response.status_code}: {response.text[:500]}",
    )


def send_apprise(url: str, delivery: Delivery) -> Outcome:
    """Chat and mail through Apprise (Slack, Teams, e-mail...): a title and a line of text."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Outcome(ok=False, error="Apprise does not understand this URL")
    title, text = words_of(delivery.payload)
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        ok = notifier.notify(title=title, body=text)
        log = captured.getvalue().strip()
    return Outcome(ok=bool(ok), error="" if ok else (log or "Apprise could not notify"))


def words_of(payload: dict[str, Any]) -> tuple[str, str]:
    """A chat message's title and body: what happened, where, and why."""
    scale_set = payload.get("scaleSet") or {}
    where = (
        f"{scale_set.get('resourceGroup')}/{scale_set.get('name')}" if scale_set else "the fleet"
    )
    topic = str(payload.get("topic", "")).replace(".", " ").replace("_", " ")
    title = f"Rollwright: {topic} ({where})"
    data = payload.get("data") or {}
    keys = ("status", "batch", "instance", "error_code")
    details = [f"{key}: {data[key]}" for key in keys if data.get(key) not in (None, "")]
    lines = [payload.get("reason") or "", *details, data.get("error_message") or ""]
    return title, "\n".join(line for line in lines if line) or title


def due_targets(now: datetime | None = None) -> list[int]:
    """Targets with a pending delivery due and no live lease (the sweep's work)."""
    now = now or timezone.now()
    return list(
        NotificationTarget.objects.filter(
            enabled=True,
            deliveries__status=DeliveryStatus.PENDING,
            deliveries__next_attempt_at__lte=now,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
        .distinct()
    )

"""G2: notifications are written with their events, signed, retried in order, and audited."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from rollout import events
from rollout.events.notifications import topic_of
from rollout.models import (
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    NotificationTarget,
    StartedBy,
    TargetKind,
)
from rollout.services import ServiceError
from rollout.services.notifications.delivery import deliver_queue, retry_delay, words_of
from rollout.services.notifications.targets import retry_delivery, save_target
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.conftest import automatic
from tests.support import wait_until
from tests.support.receivers import WebhookReceiver

SECRET = "s3cret"


def webhook(url: str, **fields: object) -> NotificationTarget:
    target = NotificationTarget(name=f"hook-{url[-5:]}", url=url, secret=SECRET, **fields)
    save_target(target, actor="test")
    return target


def test_g2_topics_of_events():
    def kind(kind: EventKind, **data: object) -> str | None:
        return topic_of(Event(kind=kind, data=data))

    assert kind(EventKind.UPGRADE_FINISHED, status="Completed") == "upgrade.completed"
    assert kind(EventKind.UPGRADE_FINISHED, status="Cancelled") == "upgrade.cancelled"
    assert kind(EventKind.INSTANCE_CHANGED, state="rolled_back") == "instance.rolled_back"
    assert kind(EventKind.INSTANCE_CHANGED, state="succeeded") is None
    assert kind(EventKind.RESUMED, engine=True) == "upgrade.resumed"
    assert kind(EventKind.RESUMED) is None  # the operator's request: audited, not notified twice
    assert kind(EventKind.DECISION, reasons=["U6"]) is None
    # A failed measurement within the failure limit is news for the log, not a failed gate.
    assert kind(EventKind.GATE_MEASURED, verdict="failed", gate_verdict=None) is None
    assert kind(EventKind.GATE_MEASURED, verdict="error", gate_verdict="error") == "gate.failed"


@pytest.mark.django_db
def test_g2_a_delivery_is_written_with_its_event_and_not_without(web10):
    target = webhook("http://127.0.0.1:9/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record_one(EventKind.BATCH_STARTED, scale_set=web10, batch=0)
        assert Delivery.objects.count() == 1
        raise RuntimeError("rolled back")
    assert Delivery.objects.count() == 0
    events.record_one(EventKind.BATCH_STARTED, scale_set=web10, batch=0)
    delivery = Delivery.objects.get()
    assert (delivery.target, delivery.topic) == (target, "batch.started")
    assert delivery.payload["scaleSet"]["name"] == "web10"
    assert delivery.payload["scaleSet"]["id"].endswith("/virtualMachineScaleSets/web10")


@pytest.mark.django_db
def test_g2_topics_and_scope_filter_deliveries(web10, tiny3):
    webhook("http://127.0.0.1:9/a", topics=["upgrade.faulted"])
    only_tiny = webhook("http://127.0.0.1:9/b", scale_set=tiny3)
    events.record_one(EventKind.BATCH_STARTED, scale_set=web10, batch=0)
    assert Delivery.objects.count() == 0
    events.record_one(EventKind.BATCH_STARTED, scale_set=tiny3, batch=0)
    assert list(Delivery.objects.values_list("target", flat=True)) == [only_tiny.pk]


@pytest.mark.django_db
def test_g2_a_bad_target_is_refused_and_nothing_changes():
    with pytest.raises(ServiceError) as refused:
        save_target(NotificationTarget(name="x", url="ftp://example.org/"), actor="test")
    assert refused.value.target == "url"
    with pytest.raises(ServiceError) as refused:
        save_target(
            NotificationTarget(name="y", kind=TargetKind.APPRISE, url="nonsense"), actor="test"
        )
    assert refused.value.target == "url"
    with pytest.raises(ServiceError) as refused:
        save_target(NotificationTarget(name="z", url="http://a/", topics=["nope"]), actor="test")
    assert refused.value.target == "topics"
    assert not NotificationTarget.objects.exists()
    assert not Event.objects.filter(kind=EventKind.NOTIFICATION_TARGET_CHANGED).exists()


@pytest.mark.django_db
def test_g2_creating_a_target_is_audited(web10):
    webhook("http://127.0.0.1:9/hook", scale_set=web10)
    event = Event.objects.get(kind=EventKind.NOTIFICATION_TARGET_CHANGED)
    assert (event.scale_set, event.actor_name, event.data["change"]) == (web10, "test", "created")


@pytest.mark.django_db
def test_g2_signed_deliveries_in_order_retried_after_a_refusal(web10, settings):
    settings.ROLLWRIGHT_WEBHOOK_RETRY_SECONDS = 0.05
    with WebhookReceiver(secret=SECRET, refuse_first=2) as receiver:
        target = webhook(f"{receiver.url}/hook")
        for index in range(3):
            events.record_one(EventKind.BATCH_STARTED, scale_set=web10, batch=index)
        # The first attempt is refused: the queue stops there, nothing overtakes it.
        again = deliver_queue(target.pk)
        assert again is not None
        assert receiver.received == []
        deadline = time.monotonic() + 10
        while Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
            deliver_queue(target.pk)
        assert [item.json["data"]["batch"] for item in receiver.received] == [0, 1, 2]
        assert all(item.signature_ok for item in receiver.received)
        first = Delivery.objects.order_by("id").first()
        assert first is not None
        attempts = list(first.attempts.values_list("ok", "status_code"))
        assert attempts == [(False, 503), (False, 503), (True, 204)]
        assert receiver.received[0].headers["X-Rollwright-Topic"] == "batch.started"
        assert json.loads(receiver.received[0].body)["eventId"] == first.event_id


@pytest.mark.django_db
def test_g2_a_receiver_that_is_down_loses_nothing_and_is_given_up_at_the_limit(web10, settings):
    settings.ROLLWRIGHT_WEBHOOK_RETRY_SECONDS = 0.01
    settings.ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS = 3
    with WebhookReceiver(secret=SECRET) as receiver:
        down_url = receiver.url
    target = webhook(f"{down_url}/hook")  # nobody listens there any more
    events.record_one(EventKind.BATCH_STARTED, scale_set=web10, batch=0)
    for _ in range(3):
        Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        deliver_queue(target.pk)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert delivery.attempts.count() == 3
    assert "ConnectionError" in delivery.last_error
    retry_delivery(delivery, actor="test")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_g2_back_off_doubles_up_to_an_hour(settings):
    settings.ROLLWRIGHT_WEBHOOK_RETRY_SECONDS = 10
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert retry_delay(30) == timedelta(hours=1)


@pytest.mark.django_db
def test_g2_chat_and_mail_targets_go_through_apprise(web10):
    with WebhookReceiver(secret="") as receiver:
        target = NotificationTarget(
            name="chat", kind=TargetKind.APPRISE, url=f"json://127.0.0.1:{receiver.port}/chat"
        )
        save_target(target, actor="test")
        events.record_one(
            EventKind.UPGRADE_FINISHED,
            scale_set=web10,
            reason="U5",
            status="Faulted",
            error_code="MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
            error_message="3 of 10 upgraded instances unhealthy (30% > 20%)",
        )
        deliver_queue(target.pk)
        assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
        message = receiver.received[0].json
        assert "upgrade faulted" in message["title"]
        assert "30% > 20%" in message["message"]


def test_g2_chat_words_name_what_where_and_why():
    title, text = words_of(
        {
            "topic": "instance.rolled_back",
            "reason": "U4",
            "scaleSet": {"name": "web-10", "resourceGroup": "demo"},
            "data": {"instance": "8", "batch": 2},
        }
    )
    assert title == "Rollwright: instance rolled back (demo/web-10)"
    assert "instance: 8" in text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_g2_a_rollout_notifies_in_order_through_a_real_worker(web10, worker):
    with WebhookReceiver(secret=SECRET, refuse_first=2) as receiver:
        webhook(f"{receiver.url}/hook", topics=[], scale_set=web10)
        start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        deadline = time.monotonic() + 90
        while "upgrade.completed" not in receiver.topics():
            assert time.monotonic() < deadline, receiver.topics()
            time.sleep(0.1)
        topics = receiver.topics()
        batches = Delivery.objects.filter(topic="batch.started").count()
        assert topics[0] == "upgrade.started"
        assert topics[-1] == "upgrade.completed"
        assert topics[1:-1] == ["batch.started", "batch.completed"] * batches
        assert all(item.signature_ok for item in receiver.received)
        assert [item.json["eventId"] for item in receiver.received] == sorted(
            item.json["eventId"] for item in receiver.received
        )
        # The receiver answers before the worker commits the last delivery's status.
        delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
        wait_until(lambda: delivered.count() == len(topics), 10, "every delivery marked")
        assert Delivery.objects.order_by("id").first().attempts.count() == 3  # type: ignore[union-attr]

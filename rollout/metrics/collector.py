"""What the database knows, as Prometheus metrics computed at each scrape (G3).

Computed from the rows, these are exact whichever process is scraped and however many workers
run: a handful of aggregate queries per scrape, whatever the fleet's size. Durations are wall
clock (under ``ROLLWRIGHT_TIME_SCALE`` they are the scaled ones).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from rollout.models import (
    ACTIVE_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    GateKind,
    GateMeasurement,
    GateVerdict,
    InstanceUpgrade,
    InstanceUpgradeState,
    RunningStatus,
    TargetKind,
    UpgradeBatch,
    UpgradeKind,
    UpgradeOperation,
)

BATCH_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
# U4: the health wait ends by 300 s (a rollback then); most healthy VMs answer well before.
HEALTH_WAIT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 180.0, 240.0, 300.0, 600.0)
ROLLBACK_STATES = (
    InstanceUpgradeState.ROLLING_BACK,
    InstanceUpgradeState.ROLLED_BACK,
    InstanceUpgradeState.ROLLBACK_FAILED,
)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield upgrades_by_status()
        yield instances_by_state()
        yield duration_histogram(
            "rollwright_batch_duration_seconds",
            "Duration of completed upgrade batches, from start to completion.",
            UpgradeBatch.objects.filter(started_at__isnull=False, completed_at__isnull=False),
            F("completed_at") - F("started_at"),
            BATCH_BUCKETS,
        )
        yield duration_histogram(
            "rollwright_health_wait_seconds",
            "U4: time from the end of an instance's reimage to healthy, or to its rollback.",
            InstanceUpgrade.objects.filter(
                reimage_completed_at__isnull=False, ended_at__isnull=False
            ),
            Coalesce("rollback_started_at", "ended_at") - F("reimage_completed_at"),
            HEALTH_WAIT_BUCKETS,
        )
        yield rollbacks()
        yield from overdue_operations()
        yield from gate_verdicts()
        yield from webhook_deliveries()


def upgrades_by_status() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "rollwright_upgrades",
        "OS upgrades by running status and kind (all kept history; Active: RollingForward).",
        labels=["status", "kind"],
    )
    counts = {
        (row["status"], row["kind"]): row["n"]
        for row in UpgradeOperation.objects.values("status", "kind").annotate(n=Count("id"))
    }
    for status in RunningStatus:
        for kind in UpgradeKind:
            family.add_metric([status.value, kind.value], counts.get((status, kind), 0))
    paused = UpgradeOperation.objects.filter(status__in=ACTIVE_STATUSES, is_paused=True).count()
    family.add_metric(["Paused", "any"], paused)
    return family


def instances_by_state() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "rollwright_upgrade_instances",
        "Instances of the running upgrades by upgrade state.",
        labels=["state"],
    )
    rows = InstanceUpgrade.objects.filter(operation__status__in=ACTIVE_STATUSES)
    _add_by_state(family, rows, tuple(InstanceUpgradeState))
    return family


def _add_by_state(
    family: GaugeMetricFamily | CounterMetricFamily,
    rows: QuerySet[InstanceUpgrade],
    states: Sequence[InstanceUpgradeState],
) -> None:
    """One sample per state of ``states``: the rows in it (0 if none), one aggregate query."""
    counts = dict(rows.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    for state in states:
        family.add_metric([state.value], counts.get(state, 0))


def duration_histogram(
    name: str,
    documentation: str,
    rows: QuerySet[Any],
    duration: Any,
    buckets: Sequence[float],
) -> HistogramMetricFamily:
    """A histogram of durations counted by the database: one aggregate query."""
    annotated = rows.annotate(duration=ExpressionWrapper(duration, output_field=DurationField()))
    aggregates: dict[str, Any] = {
        f"le_{index}": Count("id", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(buckets)
    }
    found = annotated.aggregate(total=Count("id"), seconds=Sum("duration"), **aggregates)
    cumulative = [(_bound(bound), found[f"le_{i}"]) for i, bound in enumerate(buckets)]
    cumulative.append(("+Inf", found["total"]))
    total: timedelta | None = found["seconds"]
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], cumulative, total.total_seconds() if total else 0.0)
    return family


def rollbacks() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "rollwright_rollbacks",
        "U4: instances whose previous OS disk was restored, by outcome.",
        labels=["outcome"],
    )
    rows = InstanceUpgrade.objects.filter(state__in=ROLLBACK_STATES)
    _add_by_state(family, rows, ROLLBACK_STATES)
    return family


def overdue_operations() -> Iterator[Metric]:
    """Queue lag as the database sees it now: running upgrades whose next look is past."""
    now = timezone.now()
    overdue = [
        when
        for when in UpgradeOperation.objects.filter(
            status__in=ACTIVE_STATUSES, next_look_at__lt=now
        ).values_list("next_look_at", flat=True)
        if when is not None
    ]
    yield GaugeMetricFamily(
        "rollwright_overdue_operations",
        "Running upgrades whose next look is due and not yet taken.",
        value=len(overdue),
    )
    oldest = (now - min(overdue)).total_seconds() if overdue else 0.0
    yield GaugeMetricFamily(
        "rollwright_oldest_overdue_seconds",
        "How long the most overdue running upgrade has waited for its next step.",
        value=oldest,
    )


def gate_verdicts() -> Iterator[Metric]:
    family = CounterMetricFamily(
        "rollwright_gate_verdicts",
        "G1: gate measurements by gate kind and verdict.",
        labels=["kind", "verdict"],
    )
    counts = {
        (row["gate_kind"], row["verdict"]): row["n"]
        for row in GateMeasurement.objects.values("gate_kind", "verdict").annotate(n=Count("id"))
    }
    for kind in GateKind:
        for verdict in GateVerdict:
            family.add_metric([kind.value, verdict.value], counts.get((kind, verdict), 0))
    yield family


def webhook_deliveries() -> Iterator[Metric]:
    deliveries = CounterMetricFamily(
        "rollwright_notification_deliveries",
        "G2: notifications by target kind and status (pending, delivered, gave_up).",
        labels=["target_kind", "status"],
    )
    counts = {
        (row["target__kind"], row["status"]): row["n"]
        for row in Delivery.objects.values("target__kind", "status").annotate(n=Count("id"))
    }
    for kind in TargetKind:
        for status in DeliveryStatus:
            deliveries.add_metric([kind.value, status.value], counts.get((kind, status), 0))
    yield deliveries
    attempts = CounterMetricFamily(
        "rollwright_notification_attempts",
        "G2: delivery attempts by outcome (failed attempts are retried with back-off).",
        labels=["outcome"],
    )
    outcome = dict(
        DeliveryAttempt.objects.values_list("ok").annotate(n=Count("id")).values_list("ok", "n")
    )
    attempts.add_metric(["ok"], outcome.get(True, 0))
    attempts.add_metric(["failed"], outcome.get(False, 0))
    yield attempts


def _bound(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"

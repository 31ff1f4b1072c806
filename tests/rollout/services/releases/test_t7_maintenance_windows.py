"""T7: a scale set bound to a maintenance configuration (osimage scope: start, at least 5 hours,
recurrence, time zone) starts automatic upgrade batches only inside its window; a running batch
finishes and the next waits for the next window; manual upgrades ignore windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rollout.engine.windows import maintenance_window_for
from rollout.models import (
    Event,
    EventKind,
    MaintenanceConfiguration,
    RunningStatus,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.errors import ServiceError
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.maintenance import (
    assign_maintenance_configuration,
    create_or_update_maintenance_configuration,
)
from rollout.services.releases.publishing import publish_image_version
from rollout.services.releases.triggers import next_upgrade_status, outlook
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.services.releases.fleet import NEW, T0, UBUNTU, Driver, Fleet, versions_of

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True


def nightly(fleet: Fleet, **changes: Any) -> MaintenanceConfiguration:
    """Every day 02:00-07:00 UTC, in westeurope."""
    values: dict[str, Any] = {
        "location": fleet.regions["westeurope"],
        "start": "2026-10-01 02:00",
        "duration": "05:00",
        "time_zone": "UTC",
        "recur_every": "Day",
    }
    values.update(changes)
    configuration, _ = create_or_update_maintenance_configuration(
        fleet.group, "nightly", actor="alice", reason="change freeze by day", **values
    )
    return configuration


# The configuration and its assignment


def test_t7_a_window_lasts_at_least_5_hours_with_the_osimage_scope(fleet: Fleet) -> None:
    with pytest.raises(ServiceError, match="lasts 05:00 to 23:55, not 04:30"):
        nightly(fleet, duration="04:30")
    with pytest.raises(ServiceError, match="OSImage scope only"):
        nightly(fleet, maintenance_scope="Host")
    with pytest.raises(ServiceError, match="not a known IANA time zone"):
        nightly(fleet, time_zone="Mars/Olympus")
    assert not MaintenanceConfiguration.objects.exists()
    configuration = nightly(fleet)
    assert configuration.duration == 5 * HOUR
    event = Event.objects.get(kind=EventKind.MAINTENANCE_CONFIGURED)  # B7
    assert (event.actor_name, event.reason) == ("alice", "change freeze by day")


def test_t7_a_configuration_applies_to_scale_sets_of_its_location(fleet: Fleet) -> None:
    elsewhere = fleet.add("eus-3", "eastus", 3)
    with pytest.raises(ServiceError, match="of its own location"):
        assign_maintenance_configuration(elsewhere, nightly(fleet))


# The trigger and the engine


def test_t7_an_automatic_upgrade_waits_for_the_window_and_starts_inside_it(fleet: Fleet) -> None:
    scale_set = fleet.add("web-6", "westeurope", 6)
    assign_maintenance_configuration(scale_set, nightly(fleet), actor="bob", reason="nights only")
    publish_image_version(*UBUNTU, NEW, now=T0)  # 09:00 UTC, the window opens at 02:00
    when, why = next_upgrade_status(scale_set, T0)
    opening = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    assert when == opening
    assert why == "T7: waiting for the maintenance window opening at 02:00 UTC (in 17 h)."
    driver = Driver()
    driver.step()
    assert not UpgradeOperation.objects.filter(scale_set=scale_set).exists()
    driver.now = opening - timedelta(seconds=1)
    driver.step()
    assert not UpgradeOperation.objects.filter(scale_set=scale_set).exists()
    driver.now = opening
    driver.run(lambda: versions_of(scale_set) == {NEW})
    batches = UpgradeOperation.objects.get(scale_set=scale_set).batches.all()
    assert all(opening <= b.started_at < opening + 5 * HOUR for b in batches if b.started_at)


def test_t7_a_running_batch_finishes_and_the_next_waits_for_the_next_window(
    fleet: Fleet,
) -> None:
    scale_set = fleet.add("web-10", "westeurope", 10)
    assign_maintenance_configuration(scale_set, nightly(fleet))
    closing = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)
    start = closing - timedelta(seconds=1)
    publish_image_version(*UBUNTU, NEW, now=start)
    driver = Driver(now=start, tick=timedelta(milliseconds=500))
    driver.step()
    operation = UpgradeOperation.objects.get(scale_set=scale_set)
    first = operation.batches.get(index=0)
    assert first.started_at == start  # inside the window, one second before it closes
    driver.run(lambda: operation.batches.get(index=0).completed_at is not None, limit=40)
    operation.refresh_from_db()
    assert operation.batches.get(index=0).completed_at > closing  # it finished after closing
    assert operation.batches.get(index=1).started_at is None
    tomorrow = closing + 19 * HOUR
    assert operation.next_look_at == tomorrow
    assert operation.status == RunningStatus.ROLLING_FORWARD
    assert any(
        reason.startswith("T7: outside the maintenance window") for reason in operation.reasons
    )
    assert outlook(scale_set, driver.now).code == OutlookCode.UPGRADING
    assert advance_once(operation.pk, tomorrow - timedelta(seconds=1)) == tomorrow  # not yet
    driver.now = tomorrow
    driver.run(lambda: versions_of(scale_set) == {NEW})


def test_t7_manual_upgrades_ignore_the_window(fleet: Fleet) -> None:
    scale_set = fleet.add("web-3", "westeurope", 3)
    assign_maintenance_configuration(scale_set, nightly(fleet))
    window = maintenance_window_for(scale_set, T0)
    assert window is not None and not window.is_open(T0)
    publish_image_version(*UBUNTU, NEW, now=T0)
    start_os_upgrade(scale_set, started_by=StartedBy.USER, now=T0)  # M1 at 09:00
    driver = Driver(scan=False)
    end = driver.run(lambda: versions_of(scale_set) == {NEW})
    assert end < T0 + timedelta(minutes=1)

"""T7 at the edge: a scale set's maintenance configuration read from its rows, as the engine's
``MaintenanceWindow`` at ``now`` (the arithmetic is ``orchestrator.releases.windows``')."""

from __future__ import annotations

from datetime import datetime

from orchestrator.model import MaintenanceWindow
from orchestrator.releases.windows import (
    WindowSchedule,
    describe_local,
    parse_recur_every,
    zone_named,
)
from rollout.models import MaintenanceConfiguration, MaintenanceConfigurationAssignment, ScaleSet


def schedule_of(configuration: MaintenanceConfiguration) -> WindowSchedule:
    return WindowSchedule(
        start_date=configuration.start_date,
        start_time=configuration.start_time,
        duration=configuration.duration,
        zone=zone_named(configuration.time_zone),
        recurrence=parse_recur_every(configuration.recur_every),
    )


def configuration_of(scale_set: ScaleSet) -> MaintenanceConfiguration | None:
    assignment = (
        MaintenanceConfigurationAssignment.objects.select_related("configuration")
        .filter(scale_set_id=scale_set.pk)
        .first()
    )
    return assignment.configuration if assignment is not None else None


def maintenance_window_for(scale_set: ScaleSet, now: datetime) -> MaintenanceWindow | None:
    """T7: the window of ``scale_set`` open at ``now`` (or the next one); None when unbound."""
    configuration = configuration_of(scale_set)
    if configuration is None:
        return None
    return window_of(configuration, now)


def window_of(configuration: MaintenanceConfiguration, now: datetime) -> MaintenanceWindow | None:
    schedule = schedule_of(configuration)
    found = schedule.window_at(now)
    if found is None:
        return None
    opens, closes = found
    return MaintenanceWindow(
        opens_at=opens,
        closes_at=closes,
        opens_label=describe_local(opens, schedule.zone, now),
        closes_label=describe_local(closes, schedule.zone, now),
    )

"""T7: maintenance windows (Azure's maintenance configurations with the ``osimage`` scope).

A scale set bound to a configuration starts automatic upgrade batches only while a window is
open (the engine holds the next batch otherwise; a running batch finishes). Manual upgrades
ignore windows. The window arithmetic is ``orchestrator.releases.windows``; the edge
(``rollout.engine.windows``) turns a scale set's configuration into the engine's window. This
module creates, changes and assigns configurations, refusing what Azure refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from orchestrator.releases.windows import (
    WindowError,
    parse_recur_every,
    parse_start,
    parse_window_duration,
    zone_named,
)
from rollout import events
from rollout.models import (
    EventKind,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    MaintenanceScope,
    Region,
    ResourceGroup,
    ScaleSet,
)
from rollout.models.releases import MAXIMUM_WINDOW, MINIMUM_WINDOW
from rollout.services import wakeups
from rollout.services.errors import ServiceError, invalid_parameter

T = TypeVar("T")


def checked(parse: Callable[[str], T], text: str) -> T:
    """A window value parsed, or the ARM refusal naming the property to fix."""
    try:
        return parse(text)
    except WindowError as error:
        raise invalid_parameter(error.message, error.target) from None


def create_or_update_maintenance_configuration(
    resource_group: ResourceGroup,
    name: str,
    *,
    location: Region,
    start: str,
    duration: timedelta | str,
    time_zone: str = "UTC",
    recur_every: str = "Day",
    maintenance_scope: str = MaintenanceScope.OS_IMAGE,
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> tuple[MaintenanceConfiguration, bool]:
    """Create or replace a configuration (T7); refuse, writing nothing, what Azure refuses.

    The scope must be ``OSImage`` (the one automatic OS upgrades honour) and the window must
    last 5 hours to 23:55.
    """
    now = now or timezone.now()
    if maintenance_scope.lower() != MaintenanceScope.OS_IMAGE.lower():
        raise invalid_parameter(
            f"maintenanceScope '{maintenance_scope[:30]}' is not supported: automatic OS image "
            "upgrades honour the OSImage scope only.",
            "properties.maintenanceScope",
        )
    start_date, start_time = checked(parse_start, start)
    length = checked(parse_window_duration, duration) if isinstance(duration, str) else duration
    if not MINIMUM_WINDOW <= length <= MAXIMUM_WINDOW:
        raise invalid_parameter(
            f"A maintenance window of the OSImage scope lasts 05:00 to 23:55, not {_hhmm(length)}.",
            "properties.maintenanceWindow.duration",
        )
    checked(zone_named, time_zone)
    checked(parse_recur_every, recur_every)
    values = {
        "location": location,
        "maintenance_scope": MaintenanceScope.OS_IMAGE,
        "start_date": start_date,
        "start_time": start_time,
        "duration": length,
        "time_zone": time_zone,
        "recur_every": recur_every.strip(),
    }
    with transaction.atomic():
        configuration = (
            MaintenanceConfiguration.objects.select_for_update(of=("self",))
            .filter(resource_group=resource_group, name__iexact=name)
            .first()
        )
        created = configuration is None
        if configuration is None:
            configuration = MaintenanceConfiguration(
                resource_group=resource_group, name=name, created_at=now, **values
            )
        elif configuration.location_id != location.pk:
            raise ServiceError(
                "PropertyChangeNotAllowed", "Changing property 'location' is not allowed."
            )
        else:
            for field, value in values.items():
                setattr(configuration, field, value)
        configuration.save()
        events.record_one(
            EventKind.MAINTENANCE_CONFIGURED,
            scale_set=None,
            actor=actor,
            reason=reason,
            at=now,
            configuration=configuration.arm_id,
            start=f"{start_date.isoformat()} {start_time:%H:%M}",
            duration=_hhmm(length),
            time_zone=time_zone,
            recur_every=configuration.recur_every,
            created=created,
        )
        _reconsider(list(configuration.assignments.values_list("scale_set_id", flat=True)))
    return configuration, created


def assign_maintenance_configuration(
    scale_set: ScaleSet,
    configuration: MaintenanceConfiguration | None,
    *,
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> MaintenanceConfigurationAssignment | None:
    """Bind ``scale_set`` to ``configuration`` (None unbinds it); recorded with who and why.

    The configuration must be in the scale set's location, as Azure's assignments require.
    """
    now = now or timezone.now()
    if configuration is not None and configuration.location_id != scale_set.location_id:
        raise invalid_parameter(
            f"The maintenance configuration {configuration.name} is in "
            f"{configuration.location.name}; {scale_set.name} is in {scale_set.location.name}: "
            "a configuration applies to resources of its own location.",
            "properties.maintenanceConfigurationId",
        )
    with transaction.atomic():
        MaintenanceConfigurationAssignment.objects.filter(scale_set_id=scale_set.pk).delete()
        assignment = None
        if configuration is not None:
            assignment = MaintenanceConfigurationAssignment.objects.create(
                scale_set=scale_set, configuration=configuration, created_at=now
            )
        events.record_one(
            EventKind.MAINTENANCE_ASSIGNED,
            scale_set=scale_set,
            actor=actor,
            reason=reason,
            at=now,
            configuration=configuration.arm_id if configuration is not None else None,
        )
        _reconsider([scale_set.pk])
    return assignment


def _reconsider(scale_set_ids: list[int]) -> None:
    """A window changed: the trigger looks at these scale sets again after commit."""
    if not scale_set_ids:
        return
    wakeups.reconcile(scale_set_ids=scale_set_ids)


def _hhmm(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

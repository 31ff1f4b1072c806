"""T7: maintenance windows (Azure's maintenance configurations with the ``osimage`` scope).

A configuration names a start (a wall-clock date and time in its time zone), a duration of at
least 5 hours and a recurrence in Azure's ``recurEvery`` syntax; a scale set bound to it starts
automatic upgrade batches only while a window is open (the engine holds the next batch
otherwise; a running batch finishes). Manual upgrades ignore windows.

The arithmetic is plain functions of their inputs (``WindowSchedule.window_at``); the edge
(``rollout.snapshots``) and the trigger (``rollout.services.triggers``) call
``maintenance_window_for(scale_set, now)``.

Worked example: start 2026-01-05 02:00 Europe/Paris, 5 hours, ``Week Saturday,Sunday``. At
Friday 2026-01-09 12:00 UTC the window is Saturday 01:00-06:00 UTC (02:00-07:00 CET); at
Saturday 03:00 UTC it is that same window (open); at Saturday 06:00 UTC it is Sunday's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from orchestrator.model import MaintenanceWindow
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
from rollout.services.errors import ServiceError, invalid_parameter

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RECURRENCE = re.compile(r"^\s*(\d*)\s*(day|days|week|weeks|month|months)\b\s*(.*)$", re.I)
_DURATION = re.compile(r"^(\d{1,2}):(\d{2})$")
_START = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$")


@dataclass(frozen=True)
class Recurrence:
    """``recurEvery``: every ``interval`` days, or weeks on ``weekdays`` (0 = Monday)."""

    unit: Literal["day", "week"]
    interval: int = 1
    weekdays: tuple[int, ...] = ()

    def describe(self) -> str:
        every = self.unit if self.interval == 1 else f"{self.interval} {self.unit}s"
        if self.weekdays:
            names = ", ".join(WEEKDAYS[day].capitalize() for day in self.weekdays)
            return f"every {every} on {names}"
        return f"every {every}"


def parse_recur_every(text: str) -> Recurrence:
    """Azure's ``recurEvery``: ``Day``, ``3Days``, ``Week``, ``2Weeks Saturday,Sunday``.

    >>> parse_recur_every("Week Saturday,Sunday")
    Recurrence(unit='week', interval=1, weekdays=(5, 6))
    >>> parse_recur_every("3Days")
    Recurrence(unit='day', interval=3, weekdays=())
    """
    match = _RECURRENCE.match(text or "")
    target = "properties.maintenanceWindow.recurEvery"
    if match is None:
        raise invalid_parameter(
            f"recurEvery '{text[:60]}' is not understood: use Day, 3Days, Week or "
            "Week Saturday,Sunday.",
            target,
        )
    count, unit, rest = match.groups()
    interval = int(count) if count else 1
    unit = unit.lower().rstrip("s")
    if unit == "month":
        raise invalid_parameter(
            "Monthly maintenance windows are not supported: use a daily or weekly recurEvery.",
            target,
        )
    limit = 365 if unit == "day" else 52
    if not 1 <= interval <= limit:
        raise invalid_parameter(f"recurEvery's interval must be 1 to {limit} {unit}s.", target)
    days: list[int] = []
    for word in filter(None, (part.strip().lower() for part in rest.split(","))):
        # A full name or an abbreviation of 3 letters or more: Saturday, Sat, satur.
        day = next(
            (i for i, n in enumerate(WEEKDAYS) if len(word) >= 3 and n.startswith(word)), None
        )
        if day is None:
            raise invalid_parameter(f"recurEvery names an unknown weekday '{word[:20]}'.", target)
        days.append(day)
    if days and unit != "week":
        raise invalid_parameter("Weekdays go with a weekly recurEvery (Week Monday).", target)
    return Recurrence("day" if unit == "day" else "week", interval, tuple(sorted(set(days))))


def parse_window_duration(text: str) -> timedelta:
    """Azure's ``duration``, ``HH:mm``: ``parse_window_duration("05:30")`` is 5.5 hours."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(2)) >= 60:
        raise invalid_parameter(
            f"duration '{text[:20]}' must be HH:mm, e.g. 05:00.",
            "properties.maintenanceWindow.duration",
        )
    return timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))


def parse_start(text: str) -> tuple[date, time]:
    """Azure's ``startDateTime``, ``yyyy-MM-dd HH:mm`` in the configuration's time zone."""
    match = _START.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date.fromisoformat(match.group(1)), time.fromisoformat(match.group(2))
    except ValueError:
        raise invalid_parameter(
            f"startDateTime '{text[:30]}' must be 'yyyy-MM-dd HH:mm', e.g. 2026-01-05 02:00.",
            "properties.maintenanceWindow.startDateTime",
        ) from None


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_parameter(
            f"timeZone '{name[:60]}' is not a known IANA time zone (e.g. Europe/Paris, UTC).",
            "properties.maintenanceWindow.timeZone",
        ) from None


@dataclass(frozen=True)
class WindowSchedule:
    """When the windows of one configuration open: pure arithmetic, no database."""

    start_date: date
    start_time: time
    duration: timedelta
    zone: ZoneInfo
    recurrence: Recurrence

    def occurs_on(self, day: date) -> bool:
        """A window opens on ``day`` (a date in the configuration's time zone)."""
        if day < self.start_date:
            return False
        if self.recurrence.unit == "day":
            return (day - self.start_date).days % self.recurrence.interval == 0
        first_monday = self.start_date - timedelta(days=self.start_date.weekday())
        week = (day - first_monday).days // 7
        weekdays = self.recurrence.weekdays or (self.start_date.weekday(),)
        return week % self.recurrence.interval == 0 and day.weekday() in weekdays

    def window_at(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The window open at ``now``, else the next one to open, in UTC.

        The duration is elapsed time: a window across a daylight-saving change still lasts
        ``duration``. A start time that does not exist that day (the spring-forward gap) opens
        at the same offset as before the change, as zoneinfo reads it.
        """
        # From yesterday (its window may still be open), or the start date if later, through
        # one whole recurrence period.
        first = max(now.astimezone(self.zone).date() - timedelta(days=1), self.start_date)
        period = self.recurrence.interval * (7 if self.recurrence.unit == "week" else 1)
        for offset in range(period + 8):
            day = first + timedelta(days=offset)
            if not self.occurs_on(day):
                continue
            opens = datetime.combine(day, self.start_time, tzinfo=self.zone).astimezone(UTC)
            closes = opens + self.duration
            if closes > now:
                return opens, closes
        return None


def schedule_of(configuration: MaintenanceConfiguration) -> WindowSchedule:
    return WindowSchedule(
        start_date=configuration.start_date,
        start_time=configuration.start_time,
        duration=configuration.duration,
        zone=zone_named(configuration.time_zone),
        recurrence=parse_recur_every(configuration.recur_every),
    )


def describe_local(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """``02:00 CET`` within a day of ``now``, else ``Sat 2026-01-10 02:00 CET``."""
    local = moment.astimezone(zone)
    text = local.strftime("%H:%M %Z")
    if abs(moment - now) >= timedelta(hours=24):
        text = local.strftime("%a %Y-%m-%d ") + text
    return text


def describe_countdown(delta: timedelta) -> str:
    """``in 3 h 12 min``, ``in 45 s``; never negative."""
    seconds = max(0, round(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"in {days} d {hours} h"
    if hours:
        return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"
    if minutes:
        return f"in {minutes} min"
    return f"in {seconds} s"


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
    start_date, start_time = parse_start(start)
    length = parse_window_duration(duration) if isinstance(duration, str) else duration
    if not MINIMUM_WINDOW <= length <= MAXIMUM_WINDOW:
        raise invalid_parameter(
            f"A maintenance window of the OSImage scope lasts 05:00 to 23:55, not {_hhmm(length)}.",
            "properties.maintenanceWindow.duration",
        )
    zone_named(time_zone)
    parse_recur_every(recur_every)
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
            MaintenanceConfiguration.objects.select_for_update()
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
    from rollout.release_tasks import schedule_reconcile

    transaction.on_commit(lambda: schedule_reconcile(scale_set_ids=scale_set_ids))


def _hhmm(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

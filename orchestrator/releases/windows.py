"""T7: maintenance window arithmetic (Azure's maintenance configurations, ``osimage`` scope).

A configuration names a start (a wall-clock date and time in its time zone), a duration and a
recurrence in Azure's ``recurEvery`` syntax. Everything here is a plain function of its inputs;
the edge reads the configuration and calls ``WindowSchedule.window_at``.

Worked example: start 2026-01-05 02:00 Europe/Paris, 5 hours, ``Week Saturday,Sunday``. At
Friday 2026-01-09 12:00 UTC the window is Saturday 01:00-06:00 UTC (02:00-07:00 CET); at
Saturday 03:00 UTC it is that same window (open); at Saturday 06:00 UTC it is Sunday's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class WindowError(ValueError):
    """A configuration value Azure would refuse; ``target`` is the property to fix."""

    def __init__(self, message: str, target: str) -> None:
        super().__init__(message)
        self.message = message
        self.target = target


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
        raise WindowError(
            f"recurEvery '{text[:60]}' is not understood: use Day, 3Days, Week or "
            "Week Saturday,Sunday.",
            target,
        )
    count, unit, rest = match.groups()
    interval = int(count) if count else 1
    unit = unit.lower().rstrip("s")
    if unit == "month":
        raise WindowError(
            "Monthly maintenance windows are not supported: use a daily or weekly recurEvery.",
            target,
        )
    limit = 365 if unit == "day" else 52
    if not 1 <= interval <= limit:
        raise WindowError(f"recurEvery's interval must be 1 to {limit} {unit}s.", target)
    days: list[int] = []
    for word in filter(None, (part.strip().lower() for part in rest.split(","))):
        # A full name or an abbreviation of 3 letters or more: Saturday, Sat, satur.
        day = next(
            (i for i, n in enumerate(WEEKDAYS) if len(word) >= 3 and n.startswith(word)), None
        )
        if day is None:
            raise WindowError(f"recurEvery names an unknown weekday '{word[:20]}'.", target)
        days.append(day)
    if days and unit != "week":
        raise WindowError("Weekdays go with a weekly recurEvery (Week Monday).", target)
    return Recurrence("day" if unit == "day" else "week", interval, tuple(sorted(set(days))))


def parse_window_duration(text: str) -> timedelta:
    """Azure's ``duration``, ``HH:mm``: ``parse_window_duration("05:30")`` is 5.5 hours."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(2)) >= 60:
        raise WindowError(
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
        raise WindowError(
            f"startDateTime '{text[:30]}' must be 'yyyy-MM-dd HH:mm', e.g. 2026-01-05 02:00.",
            "properties.maintenanceWindow.startDateTime",
        ) from None


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(
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

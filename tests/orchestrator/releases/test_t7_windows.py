"""T7: the maintenance window arithmetic (pure: Azure's recurEvery, time zones, DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from orchestrator.releases.windows import Recurrence, WindowError, WindowSchedule, parse_recur_every

HOUR = timedelta(hours=1)


def schedule(recur: str, start: date = date(2026, 1, 5), zone: str = "UTC") -> WindowSchedule:
    return WindowSchedule(start, time(2, 0), 5 * HOUR, ZoneInfo(zone), parse_recur_every(recur))


# The window arithmetic


def test_t7_recur_every_reads_azures_syntax() -> None:
    assert parse_recur_every("Day") == Recurrence("day", 1)
    assert parse_recur_every("3Days") == Recurrence("day", 3)
    assert parse_recur_every("Week Saturday,Sunday") == Recurrence("week", 1, (5, 6))
    assert parse_recur_every("2Weeks mon") == Recurrence("week", 2, (0,))
    for bad in ("Month Third Sunday", "Fortnight", "Week Caturday", "Day Monday", "0Day"):
        with pytest.raises(WindowError):
            parse_recur_every(bad)


def test_t7_the_window_open_now_or_the_next_one() -> None:
    daily = schedule("Day")
    monday = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)  # inside Monday's window
    assert daily.window_at(monday) == (monday - HOUR, monday + 4 * HOUR)
    after = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)  # it just closed: Tuesday's
    assert daily.window_at(after) == (after + 19 * HOUR, after + 24 * HOUR)
    assert daily.window_at(datetime(2026, 1, 1, tzinfo=UTC)) == (
        datetime(2026, 1, 5, 2, 0, tzinfo=UTC),
        datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
    )  # nothing before its start date


def test_t7_weekly_windows_on_named_days_every_other_week() -> None:
    weekends = schedule("2Weeks Saturday,Sunday")  # from Monday 2026-01-05
    opens = [weekends.window_at(datetime(2026, 1, day, 12, tzinfo=UTC)) for day in (5, 11, 12)]
    assert [window[0].date() for window in opens if window] == [
        date(2026, 1, 10),
        date(2026, 1, 24),  # Sunday the 11th's window had closed; the next week is skipped
        date(2026, 1, 24),
    ]


def test_t7_time_zones_and_daylight_saving() -> None:
    paris = schedule("Day", zone="Europe/Paris")
    winter = paris.window_at(datetime(2026, 1, 20, 12, tzinfo=UTC))
    summer = paris.window_at(datetime(2026, 7, 20, 12, tzinfo=UTC))
    assert winter and winter[0] == datetime(2026, 1, 21, 1, 0, tzinfo=UTC)  # 02:00 CET
    assert summer and summer[0] == datetime(2026, 7, 21, 0, 0, tzinfo=UTC)  # 02:00 CEST
    change = paris.window_at(datetime(2026, 3, 28, 12, tzinfo=UTC))  # the night clocks go on
    assert change and change[1] - change[0] == 5 * HOUR  # elapsed hours, whatever the clock

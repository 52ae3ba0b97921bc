"""Working time of the office: office hours, national holidays, cuti bersama.

Time standards in the SOP ("30 Menit") are working minutes: a complaint handed over at
15:50 on a Friday has not waited all weekend. Every instant given to these functions
must be timezone-aware; they work in the office's zone (WITA, Asia/Makassar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

OFFICE_TZ = ZoneInfo("Asia/Makassar")

# Monday=0 ... Sunday=6 -> (start, end). Default: Mon-Thu 07:30-16:00, Fri 07:30-16:30
# (the provincial working-hours rule for a five-day week).
DEFAULT_OFFICE_HOURS: dict[int, tuple[time, time]] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(16, 30)),
}


def office_today(now: datetime | None = None) -> date:
    """The calendar day at the office (WITA) at ``now`` (default: this instant)."""
    now = now or datetime.now(UTC)
    _require_aware(now)
    return now.astimezone(OFFICE_TZ).date()


def day_start(day: date, *, tz: ZoneInfo = OFFICE_TZ) -> datetime:
    """The aware UTC instant at which ``day`` begins at the office (local midnight)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def day_bounds(first: date, last: date, *, tz: ZoneInfo = OFFICE_TZ) -> tuple[datetime, datetime]:
    """``[start of first, start of the day after last)`` as aware UTC instants."""
    return day_start(first, tz=tz), day_start(last + timedelta(days=1), tz=tz)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    """Indonesian public holidays and cuti bersama (category "government") of a year."""
    found = holidays_lib.Indonesia(years=year, categories=("public", "government"), language="id")
    return dict(found.items())


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours plus holidays; local additions and removals come from the database."""

    office_hours: dict[int, tuple[time, time]] = field(
        default_factory=lambda: dict(DEFAULT_OFFICE_HOURS)
    )
    added_holidays: frozenset[date] = frozenset()
    removed_holidays: frozenset[date] = frozenset()
    tz: ZoneInfo = OFFICE_TZ

    def __hash__(self) -> int:  # frozen dataclass with a dict field: hash by value
        # Computed once: every add_working_days looks the calendar up by it.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(
                (
                    tuple(sorted(self.office_hours.items())),
                    self.added_holidays,
                    self.removed_holidays,
                    str(self.tz),
                )
            )
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def day_minutes(self) -> int:
        """Working minutes of a full office day, the unit of "N hari kerja": Monday's hours."""
        opens, closes = self.office_hours.get(0, DEFAULT_OFFICE_HOURS[0])
        return (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)

    def is_holiday(self, day: date) -> bool:
        """True on a national holiday or cuti bersama, or a local addition, unless removed."""
        if day in self.removed_holidays:
            return False
        return day in self.added_holidays or day in national_holidays(day.year)

    def hours_on(self, day: date) -> tuple[datetime, datetime] | None:
        """Office opening and closing instants on a day, or None if the office is shut."""
        hours = self.office_hours.get(day.weekday())
        if hours is None or self.is_holiday(day):
            return None
        opens, closes = hours
        return (
            datetime.combine(day, opens, tzinfo=self.tz),
            datetime.combine(day, closes, tzinfo=self.tz),
        )

    def is_working_day(self, day: date) -> bool:
        return self.hours_on(day) is not None

    def working_minutes(self, start: datetime, end: datetime) -> int:
        """Whole working minutes between two aware instants (0 if end <= start)."""
        _require_aware(start, end)
        if end <= start:
            return 0
        start_local, end_local = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta()  # exact arithmetic: float seconds would drift by a minute
        day = start_local.date()
        while day <= end_local.date():
            hours = self.hours_on(day)
            if hours is not None:
                lo = max(hours[0], start_local)
                hi = min(hours[1], end_local)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total // timedelta(minutes=1)

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant at which ``minutes`` working minutes after ``start`` have passed.

        A deadline that falls exactly at closing time stays on that day (a step begun at
        15:30 on a Monday with 30 minutes is due at 16:00, not next morning).
        """
        _require_aware(start)
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        current = start.astimezone(self.tz)
        remaining = timedelta(minutes=minutes)
        for _ in range(3660):  # ten years of days: a safety bound, never reached in use
            hours = self.hours_on(current.date())
            if hours is not None and current < hours[1]:
                begin = max(current, hours[0])
                available = hours[1] - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            current = datetime.combine(current.date() + timedelta(days=1), time(0), tzinfo=self.tz)
        raise ValueError("no working time found within ten years")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Closing time of the ``days``-th working day after the day of ``start``.

        Regulatory clocks (SP4N-LAPOR!) count whole working days: a complaint received on
        a Friday with 3 days is due at closing time on the following Wednesday.
        """
        _require_aware(start)
        # Kept per (calendar, day, days): the minute's evaluation of every open
        # complaint's clocks asks the same few hundred days again and again.
        return _closing_after_working_days(self, start.astimezone(self.tz).date(), days)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Age in working days: working minutes divided by ``day_minutes``."""
        return self.working_minutes(start, end) / self.day_minutes


@lru_cache(maxsize=8192)
def _closing_after_working_days(calendar: WorkingCalendar, day: date, days: int) -> datetime:
    """``WorkingCalendar.add_working_days`` from a local day (the calendar is immutable
    and hashed by value, so an edited calendar is a new key)."""
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    hours = calendar.hours_on(day)
    if hours is None:  # days == 0 on a day the office is shut: next working day
        return _closing_after_working_days(calendar, day, 1)
    return hours[1]


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError("naive datetime: store and pass aware UTC instants")

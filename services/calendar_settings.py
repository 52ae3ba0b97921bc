"""The office's working calendar and clock standards as stored in the database."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import LocalHoliday, Setting
from layanan.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from layanan.clocks import RegulatoryStandards
from layanan.errors import InvalidInput

OFFICE_HOURS_KEY = "office_hours"
REGULATORY_KEY = "regulatory_standards"
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def _parse_hours(value: dict) -> dict[int, tuple[time, time]]:
    """``{"0": ["07:30", "16:00"], ...}`` -> weekday -> (start, end); bad data refused."""
    hours: dict[int, tuple[time, time]] = {}
    for day, span in value.items():
        weekday = int(day)
        if not 0 <= weekday <= 6:
            raise InvalidInput(f"Hari {day} tidak dikenal.")
        try:
            start, end = (time.fromisoformat(part) for part in span)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"Jam kerja {DAY_NAMES[weekday]} tidak valid: {span}.") from exc
        if end <= start:
            raise InvalidInput(f"Jam pulang {DAY_NAMES[weekday]} harus setelah jam masuk.")
        hours[weekday] = (start, end)
    if not hours:
        raise InvalidInput("Paling sedikit satu hari kerja harus diisi.")
    return hours


def load_calendar(session: Session) -> WorkingCalendar:
    """Office hours from settings (default Mon-Thu 07:30-16:00, Fri 07:30-16:30)."""
    row = session.get(Setting, OFFICE_HOURS_KEY)
    hours = _parse_hours(row.value) if row else dict(DEFAULT_OFFICE_HOURS)
    local = session.execute(select(LocalHoliday.day, LocalHoliday.is_holiday)).all()
    return WorkingCalendar(
        office_hours=hours,
        added_holidays=frozenset(day for day, is_holiday in local if is_holiday),
        removed_holidays=frozenset(day for day, is_holiday in local if not is_holiday),
    )


def load_standards(session: Session) -> RegulatoryStandards:
    row = session.get(Setting, REGULATORY_KEY)
    return RegulatoryStandards(**row.value) if row else RegulatoryStandards()


def save_office_hours(session: Session, hours: dict[int, tuple[str, str]]) -> None:
    """Store office hours after checking them (used by the admin page)."""
    value = {str(day): [start, end] for day, (start, end) in hours.items()}
    _parse_hours(value)
    row = session.get(Setting, OFFICE_HOURS_KEY)
    if row is None:
        session.add(Setting(key=OFFICE_HOURS_KEY, value=value))
    else:
        row.value = value

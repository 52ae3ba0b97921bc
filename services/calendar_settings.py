"""The office's working calendar and clock standards as stored in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from db import aggregates
from db.models import Complaint, LocalHoliday, Setting
from db.stats import DueDay
from layanan.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from layanan.clocks import RegulatoryStandards, step_due_at
from layanan.errors import InvalidInput

OFFICE_HOURS_KEY = "office_hours"
REGULATORY_KEY = "regulatory_standards"
RECOMPUTE_BATCH = 500  # complaints per UPDATE round trip
Progress = Callable[[float, str], object]
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def _parse_hours(value: dict) -> dict[int, tuple[time, time]]:
    """``{"0": ["07:30", "16:00"], ...}`` -> weekday -> (start, end); bad data refused."""
    hours: dict[int, tuple[time, time]] = {}
    for day, span in value.items():
        known = isinstance(day, int | str) and len(str(day)) == 1 and str(day) in "0123456"
        weekday = int(day) if known else -1
        if weekday < 0:
            raise InvalidInput("Hari kerja tidak dikenal; pilih Senin sampai Minggu.")
        try:
            start, end = (time.fromisoformat(part) for part in span)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"Jam kerja {DAY_NAMES[weekday]} tidak valid; tulis seperti 07:30."
            ) from exc
        if start.tzinfo is not None or end.tzinfo is not None or end <= start:
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


def due_day(calendar: WorkingCalendar, standards: RegulatoryStandards, day: date) -> DueDay:
    """The SP4N-LAPOR! deadlines of a complaint received on office-local ``day``."""
    noon = datetime.combine(day, time(12), tzinfo=calendar.tz)
    return DueDay(
        day.isoformat(),
        calendar.add_working_days(noon, standards.verification_days),
        calendar.add_working_days(noon, standards.follow_up_days),
        calendar.add_working_days(noon, standards.completion_days),
        calendar.add_working_days(noon, standards.supervisory_completion_days),
    )


def due_days_for(conn: Connection, days: list[str]) -> list[DueDay]:
    """``due_day`` of each 'YYYY-MM-DD' in ``days``, with the calendar and standards
    stored now (read on ``conn``, inside the caller's transaction)."""
    with Session(bind=conn, autoflush=False) as session:
        calendar, standards = load_calendar(session), load_standards(session)
    return [due_day(calendar, standards, date.fromisoformat(d)) for d in days]


def save_office_hours(session: Session, hours: dict[int, tuple[str, str]]) -> None:
    """Store office hours after checking them (used by the admin page)."""
    try:
        value = {str(day): [start, end] for day, (start, end) in hours.items()}
    except (AttributeError, TypeError, ValueError):
        raise InvalidInput("Jam kerja tidak valid; isi jam masuk dan jam pulang.") from None
    _parse_hours(value)
    row = session.get(Setting, OFFICE_HOURS_KEY)
    if row is None:
        session.add(Setting(key=OFFICE_HOURS_KEY, value=value))
    else:
        row.value = value


def recompute_open_deadlines(session: Session, *, progress: Progress | None = None) -> int:
    """Recompute the stored step deadline of every open complaint with the calendar now
    in ``session``; returns how many open complaints there are.

    Run it in the transaction that changed office hours or holidays, after the change:
    the new calendar and the new deadlines are committed together or not at all.

    This is **not** a change of a complaint's SOP state and therefore not a
    ``services.workflow.perform``: ``current_step``, ``step_entered_at``, ``version``
    and the step events stay as they are. Only ``Complaint.step_due_at`` (a stored
    copy of "entry + the step's standard in working minutes", kept so that queues sort
    in SQL) is written, as ``layanan.clocks.step_due_at(calendar, step,
    step_entered_at)``. It is written with Core ``UPDATE``s of that one column in
    batches of ``RECOMPUTE_BATCH``, never through the ORM: an ORM flush would bump the
    optimistic lock (``version_id_col``) and make every clerk with the complaint open
    lose a race they never ran.
    """
    session.flush()  # the calendar change itself, so that load_calendar sees it
    calendar = load_calendar(session)
    # The dashboard's per-day clock counts judged met / late with the old calendar.
    aggregates.rebuild_clocks(session.connection())
    rows = session.execute(
        select(Complaint.id, Complaint.current_step, Complaint.step_entered_at)
        .where(Complaint.current_step.is_not(None))
        .order_by(Complaint.id)
    ).all()
    total = len(rows)
    table = Complaint.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("complaint_id"))
        .values(step_due_at=bindparam("due"))
    )
    if progress and total:
        progress(0.0, f"Menghitung ulang tenggat {total} pengaduan yang sedang berjalan…")
    for start in range(0, total, RECOMPUTE_BATCH):
        batch = rows[start : start + RECOMPUTE_BATCH]
        session.execute(
            statement,
            [
                {"complaint_id": cid, "due": step_due_at(calendar, step, entered)}
                for cid, step, entered in batch
            ],
        )
        if progress:
            done = start + len(batch)
            progress(done / total, f"Tenggat {done} dari {total} pengaduan dihitung ulang…")
    return total

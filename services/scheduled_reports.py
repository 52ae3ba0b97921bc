"""Scheduled reports, e-mailed through the outbox by the minute's evaluation.

- **Monthly Rekapitulasi** of the previous month (the dashboard's recap, Excel and Word,
  ``services.recap.build_recap``), from the opening of the month's first working day.
- **Weekly breach summary** of the previous week (Monday to Sunday, office time): the
  step completions that took longer than their SOP standard, by step and by unit, from
  the opening of the week's first working day.

Each is sent once per period (``scheduled_reports``, unique per kind and period) to the
users holding the roles the admin chose (default Kepala Dinas and Sekretaris) who have
an e-mail address, and only while staff e-mail is on. It is written on that first
working day only (from its opening time): a day on which no worker ran has no report.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import get_settings
from db.models import ComplaintUnit, ScheduledReport, StepEvent, Unit
from layanan import sop
from layanan.calendar import WorkingCalendar, day_start, office_today
from layanan.text import tanggal
from services import notifications, outbox
from services.calendar_settings import load_calendar

MONTHLY = "rekap_bulanan"
WEEKLY = "ringkasan_mingguan"
NO_UNIT = "Belum ada unit"


def _first_working_day(calendar: WorkingCalendar, start: date, end: date) -> date | None:
    day = start
    while day < end:
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return None


def _opened(calendar: WorkingCalendar, day: date | None, now: datetime, today: date) -> bool:
    """Whether it is ``day`` (the period's first working day) and the office has opened;
    only that day, so a first start of the app mid-month does not send last month's."""
    return day is not None and today == day and now >= calendar.hours_on(day)[0]


def _recipients(session: Session, cfg: notifications.NotificationSettings):
    return [
        person
        for person in notifications._people(session)
        if person.email and person.roles & set(cfg.report_roles)
    ]


def _claim(session: Session, kind: str, period: str, count: int, now: datetime) -> bool:
    """Record the period as sent; False if it already was."""
    done = session.scalar(
        select(ScheduledReport.id).where(
            ScheduledReport.kind == kind, ScheduledReport.period == period
        )
    )
    if done is not None:
        return False
    session.add(ScheduledReport(kind=kind, period=period, recipients=count, created_at=now))
    session.flush()
    return True


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = get_settings().smtp_sender
    message["To"] = to
    message["Message-ID"] = outbox.new_message_id()
    message.set_content(body)
    return message


def _periods(calendar: WorkingCalendar, now: datetime) -> list[tuple[str, str, date, date]]:
    """(kind, period, first day, end) of the reports whose first working day is today
    and has opened: last month's recap, last week's summary."""
    today = office_today(now)
    found = []
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    if _opened(calendar, _first_working_day(calendar, month_start, next_month), now, today):
        last_month = (month_start - timedelta(days=1)).replace(day=1)
        found.append((MONTHLY, f"{last_month:%Y-%m}", last_month, month_start))
    week_start = today - timedelta(days=today.weekday())
    first = _first_working_day(calendar, week_start, week_start + timedelta(days=7))
    if _opened(calendar, first, now, today):
        previous = week_start - timedelta(days=7)
        iso = previous.isocalendar()
        found.append((WEEKLY, f"{iso.year}-W{iso.week:02d}", previous, week_start))
    return found


def due(session: Session, *, now: datetime) -> bool:
    """Whether a report is due at ``now`` and not written yet (a read, for the look
    before the evaluation's write transaction)."""
    if not notifications.load_settings(session).email:
        return False
    for kind, period, _, _ in _periods(load_calendar(session), now):
        done = session.scalar(
            select(ScheduledReport.id).where(
                ScheduledReport.kind == kind, ScheduledReport.period == period
            )
        )
        if done is None:
            return True
    return False


def reports_in(session: Session, *, now: datetime) -> int:
    """Write the reports due at ``now`` and not yet sent; returns how many were written."""
    cfg = notifications.load_settings(session)
    if not cfg.email:
        return 0
    people = _recipients(session, cfg)
    if not people:
        return 0
    written = 0
    for kind, period, start, end in _periods(load_calendar(session), now):
        if not _claim(session, kind, period, len(people), now):
            continue
        if kind == MONTHLY:
            written += _monthly(session, people, start, now)
        else:
            written += _weekly(session, people, start, end, now)
    return written


def _monthly(session: Session, people, month: date, now: datetime) -> int:
    from services.recap import build_recap

    # The figures are the dashboard's, the same for every manager: built once, as the
    # first recipient (every report role may open the dashboard).
    files = build_recap(user=people[0], year=month.year, month=month.month, now=now)
    for person in people:
        message = _message(
            person.email,
            f"Rekapitulasi pengaduan {files.recap.periode}",
            f"Yth. {person.name},\n\nTerlampir rekapitulasi pengaduan bulan "
            f"{files.recap.periode} ({files.recap.total} pengaduan) dalam format Excel dan "
            "Word.\n\nPesan ini dikirim otomatis oleh Layanan Pengaduan.\n",
        )
        for download in (files.xlsx, files.docx):
            maintype, subtype = download.mime.split("/", 1)
            message.add_attachment(
                download.data, maintype=maintype, subtype=subtype, filename=download.filename
            )
        outbox.enqueue(
            session,
            kind=notifications.OUTBOX_KIND,
            recipient=person.email,
            message=message,
            now=now,
        )
    return 1


def breaches(session: Session, start: date, end: date) -> tuple[Counter, Counter]:
    """Step completions over their standard between two office days: by step, by unit."""
    lo, hi = day_start(start), day_start(end)
    rows = session.execute(
        select(StepEvent.complaint_id, StepEvent.step).where(
            StepEvent.at >= lo,
            StepEvent.at < hi,
            StepEvent.to_step.is_distinct_from(StepEvent.step),
            StepEvent.working_minutes > StepEvent.standard_minutes,
        )
    ).all()
    by_step: Counter = Counter(step for _, step in rows)
    units: dict[int, list[str]] = {}
    for cid, name in session.execute(
        select(ComplaintUnit.complaint_id, Unit.name)
        .join(Unit, Unit.id == ComplaintUnit.unit_id)
        .where(ComplaintUnit.complaint_id.in_({cid for cid, _ in rows}))
    ):
        units.setdefault(cid, []).append(name)
    by_unit: Counter = Counter()
    for cid, _ in rows:
        for name in units.get(cid, [NO_UNIT]):
            by_unit[name] += 1
    return by_step, by_unit


def _weekly(session: Session, people, start: date, end: date, now: datetime) -> int:
    by_step, by_unit = breaches(session, start, end)
    span = f"{tanggal(start)} s.d. {tanggal(end - timedelta(days=1))}"
    if by_step:
        lines = "".join(
            f"- {sop.step_label(step)}: {count}\n" for step, count in sorted(by_step.items())
        )
        lines += "\nPer unit:\n" + "".join(
            f"- {name}: {count}\n" for name, count in sorted(by_unit.items())
        )
    else:
        lines = "Tidak ada langkah yang melewati waktu standar SOP.\n"
    total = sum(by_step.values())
    for person in people:
        outbox.enqueue(
            session,
            kind=notifications.OUTBOX_KIND,
            recipient=person.email,
            message=_message(
                person.email,
                f"Ringkasan keterlambatan mingguan {span}: {total} langkah terlambat",
                f"Yth. {person.name},\n\nLangkah SOP yang diselesaikan melewati waktu "
                f"standarnya pada {span}, per langkah:\n{lines}\n"
                "Pesan ini dikirim otomatis oleh Layanan Pengaduan.\n",
            ),
            now=now,
        )
    return 1

"""Scheduled reports (issue 13, part 4): the monthly Rekapitulasi (Excel and Word) on the
first working day of the month and the weekly breach summary on the first working day
of the week, each once, to the managers the admin chose."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

from sqlalchemy import select, update

from db.engine import read_session, write_session
from db.models import OutboxMessage, ScheduledReport, Unit, User
from services import notifications
from tests.test_notifications import BREACH, at_drafting, wita


def give_emails(staff) -> None:
    with write_session() as session:
        for name in ("kepala", "sekretaris", "petugas"):
            session.execute(
                update(User)
                .where(User.id == getattr(staff, name).id)
                .values(email=f"{name}@diskop.example")
            )


def sent() -> list[tuple[str, str, list[str]]]:
    """(recipient, subject, attachment names) of the report e-mails written."""
    with read_session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == notifications.OUTBOX_KIND)
        ).all()
        result = []
        for row in rows:
            mail = email.message_from_bytes(row.message, policy=policy.default)
            if not mail["Subject"].startswith(("Rekapitulasi", "Ringkasan keterlambatan")):
                continue
            names = [part.get_filename() for part in mail.iter_attachments()]
            result.append((row.recipient, mail["Subject"], names))
        return sorted(result)


def test_the_monthly_recap_goes_out_on_the_first_working_day_once(staff):
    give_emails(staff)

    # March 2026: the 1st is a Sunday, the 2nd (Monday) the first working day.
    def monthly() -> list:
        return [row for row in sent() if row[1].startswith("Rekapitulasi")]

    for before in (wita(1, 10, 0, month=3), wita(2, 7, 29, month=3)):
        notifications.evaluate(now=before)
        assert monthly() == []
    notifications.evaluate(now=wita(2, 7, 30, month=3))
    assert len(monthly()) == 2
    for later in (wita(2, 9, 0, month=3), wita(3, 9, 0, month=3)):
        notifications.evaluate(now=later)
    assert len(monthly()) == 2
    files = ["rekapitulasi-pengaduan-2026-02.xlsx", "rekapitulasi-pengaduan-2026-02.docx"]
    assert monthly() == [
        ("kepala@diskop.example", "Rekapitulasi pengaduan Februari 2026", files),
        ("sekretaris@diskop.example", "Rekapitulasi pengaduan Februari 2026", files),
    ]  # petugas holds no report role


def test_the_weekly_breach_summary_counts_late_steps_by_step_and_unit(staff):
    give_emails(staff)
    complaint_id = at_drafting(staff)
    from tests.factories import PDF, do, payload_for

    # The draft is submitted on Wednesday 18 at 09.00: 50 minutes late (step 8, 60).
    do(
        staff.unit_kop,
        complaint_id,
        "submit_draft",
        payload_for("submit_draft", staff),
        documents=[PDF],
        now=BREACH + timedelta(minutes=50),
    )
    # Monday 23 February is a working day: the summary of 16-22 February goes out.
    assert notifications.evaluate(now=wita(23, 7, 0)).reports == 0
    assert notifications.evaluate(now=wita(23, 7, 30)).reports == 1
    assert notifications.evaluate(now=wita(23, 8, 0)).reports == 0
    with read_session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "kepala@diskop.example")
        ).all()
        [mail] = [
            email.message_from_bytes(r.message, policy=policy.default)
            for r in rows
            if b"Ringkasan keterlambatan" in r.message
        ]
        periods = sorted(session.scalars(select(ScheduledReport.period)))
    assert "1 langkah terlambat" in mail["Subject"]
    body = mail.get_content().replace("\r\n", "\n")
    assert "Langkah 8: Menyusun draf surat jawaban" in body and ": 1" in body
    with read_session() as session:
        unit = session.get(Unit, staff.unit_kop.unit_id).name
    assert f"Per unit:\n- {unit}: 1" in body
    assert "2026-W08" in periods


def test_no_report_while_staff_email_is_off(staff):
    give_emails(staff)
    notifications.save_settings(
        user_id=staff.admin.id,
        warn_percent=80,
        escalate_after_minutes=30,
        email=False,
        recipients={},
    )
    assert notifications.evaluate(now=datetime(2026, 3, 2, 3, 0, tzinfo=UTC)).reports == 0

"""Staff reminders and escalations (issue 13): fired from the stored SOP clocks at the
right working minute, exactly once, to the right people, in the app and by e-mail.

Time is frozen by passing ``now``: a step-8 draft (60 working minutes) begun on Friday
13 February 2026 at 16.10 WITA uses 20 minutes that day; Saturday and Sunday, Monday 16
(cuti bersama Imlek) and Tuesday 17 (Tahun Baru Imlek) are not working days, so 80%
(48 minutes) is reached on Wednesday 18 at 07.58, the breach at 08.10, and the
escalation (30 working minutes late, the default) at 08.40.
"""

from __future__ import annotations

import email
import threading
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from sqlalchemy import create_engine, select, text, update

from db.engine import read_session, write_session
from db.models import Notification, NotificationDigest, NotificationRecipient, OutboxMessage, User
from layanan.calendar import OFFICE_TZ
from layanan.errors import InvalidInput, NotAllowed, NotFound
from layanan.sop import Role
from services import notifications, outbox
from tests.factories import PDF, WRITTEN_PATH, actor_for, do, new_complaint, payload_for, state

DRAFTING = 8  # SOP step 8: the unit drafts the reply (60 minutes)


def wita(day: int, hour: int, minute: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=OFFICE_TZ).astimezone(UTC)


FRIDAY_16_10 = wita(13, 16, 10)
WARN = wita(18, 7, 58)
BREACH = wita(18, 8, 10)
ESCALATE = wita(18, 8, 40)
MINUTE = timedelta(minutes=1)


def at_drafting(staff, entered: datetime = FRIDAY_16_10, **intake) -> int:
    """A walk-in complaint moved, at ``entered``, to the unit's drafting step."""
    complaint_id = new_complaint(staff, now=entered, **intake).complaint_id
    for action in WRITTEN_PATH:
        if state(complaint_id).current_step == DRAFTING:
            break
        do(actor_for(action, staff), complaint_id, action, payload_for(action, staff), now=entered)
    assert state(complaint_id).current_step == DRAFTING
    return complaint_id


def fired() -> list[tuple[str, datetime, list[int]]]:
    """(kind, due_at, recipient ids) of every notification, in the order written."""
    with read_session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        return [
            (
                row.kind,
                row.due_at,
                sorted(
                    session.scalars(
                        select(NotificationRecipient.user_id).where(
                            NotificationRecipient.notification_id == row.id
                        )
                    )
                ),
            )
            for row in rows
        ]


def kinds() -> list[str]:
    return [kind for kind, _, _ in fired()]


def give_emails(staff) -> None:
    with write_session() as session:
        for name in ("unit_kop", "unit_ukm", "kepala", "sekretaris", "petugas"):
            user = getattr(staff, name)
            session.execute(
                update(User).where(User.id == user.id).values(email=f"{name}@diskop.example")
            )


def test_warning_breach_and_escalation_fire_at_their_working_minute_exactly_once(staff):
    at_drafting(staff)
    quiet = [
        wita(13, 16, 29),  # Friday, 19 minutes used
        wita(14, 10, 0),  # Saturday
        wita(16, 10, 0),  # Monday: cuti bersama Imlek
        wita(17, 15, 0),  # Tuesday: Tahun Baru Imlek
        WARN - MINUTE,
    ]
    for moment in quiet:
        assert notifications.evaluate(now=moment).notifications == 0, moment
    assert kinds() == []

    assert notifications.evaluate(now=WARN).notifications == 1
    assert notifications.evaluate(now=WARN + MINUTE).notifications == 0
    assert notifications.evaluate(now=BREACH - MINUTE).notifications == 0
    assert kinds() == ["hampir_jatuh_tempo"]
    assert notifications.evaluate(now=BREACH).notifications == 1
    assert notifications.evaluate(now=ESCALATE - MINUTE).notifications == 0
    assert notifications.evaluate(now=ESCALATE).notifications == 1
    for later in (ESCALATE + MINUTE, ESCALATE + timedelta(hours=3), wita(19, 9, 0)):
        assert notifications.evaluate(now=later).notifications == 0

    unit = [staff.unit_kop.id]  # dispositioned to unit_kop: unit_ukm is not told
    heads = sorted([staff.kepala.id, staff.sekretaris.id])  # step 8 is not the Head's
    assert fired() == [
        ("hampir_jatuh_tempo", WARN, unit),
        ("terlambat", BREACH, unit),
        ("eskalasi", ESCALATE, heads),
    ]


def test_a_draft_returned_to_the_unit_is_a_new_round_with_its_own_reminders(staff):
    complaint_id = at_drafting(staff)
    notifications.evaluate(now=BREACH)
    for action in ("submit_draft", "return_draft"):
        documents = [PDF] if action == "submit_draft" else []
        do(
            actor_for(action, staff),
            complaint_id,
            action,
            payload_for(action, staff),
            documents=documents,
            now=BREACH + MINUTE,
        )
    # Back at step 8 at 08.11: its second round warns at 08.59 and breaches at 09.11.
    assert notifications.evaluate(now=BREACH + 48 * MINUTE).notifications == 0
    assert notifications.evaluate(now=BREACH + 49 * MINUTE).notifications == 1
    assert notifications.evaluate(now=BREACH + 61 * MINUTE).notifications == 1
    with read_session() as session:
        rounds = session.execute(
            select(Notification.kind, Notification.step, Notification.round).order_by(
                Notification.id
            )
        ).all()
    assert [tuple(r) for r in rounds] == [
        ("terlambat", DRAFTING, 1),  # evaluated first when already late: no warning
        ("hampir_jatuh_tempo", DRAFTING, 2),
        ("terlambat", DRAFTING, 2),
    ]


def test_a_lapor_clock_escalates_when_its_last_working_day_begins(staff):
    # At step 3 since Friday 13 February 16.10: verification (3 working days) ends on
    # Friday 20 February at 16.30, so its last working day opens that day at 07.30.
    new_complaint(staff, now=FRIDAY_16_10)
    notifications.evaluate(now=wita(20, 7, 29))
    assert "lapor_verifikasi" not in kinds()
    notifications.evaluate(now=wita(20, 7, 30))
    notifications.evaluate(now=wita(20, 9, 0))
    lapor = [row for row in fired() if row[0].startswith("lapor_")]
    assert lapor == [
        ("lapor_verifikasi", wita(20, 7, 30), sorted([staff.kepala.id, staff.sekretaris.id]))
    ]


def test_one_email_per_recipient_through_the_outbox_without_identity_or_content(staff, smtp_server):
    give_emails(staff)
    complaint_id = at_drafting(
        staff,
        complainant_name="Rahasia Sekali",
        subject="Perihal yang dirahasiakan",
        confidential=True,
    )
    notifications.evaluate(now=BREACH)
    notifications.evaluate(now=BREACH + MINUTE)
    with read_session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .join(
                NotificationRecipient, NotificationRecipient.outbox_message_id == OutboxMessage.id
            )
            .where(OutboxMessage.kind == notifications.OUTBOX_KIND)
        ).all()
        assert [row.recipient for row in rows] == ["unit_kop@diskop.example"]
        assert all(row.status == outbox.PENDING for row in rows)  # written, not sent
        notice_id = rows[0].message_id
    inbox = smtp_server()
    outbox.process_due()
    [raw] = [raw for _, _, raw in inbox.messages if notice_id.encode() in raw]
    mail = email.message_from_bytes(raw, policy=policy.default)
    body = mail.get_content()
    assert "[Terlambat]" in mail["Subject"]
    assert state(complaint_id).ticket in body
    assert "Rahasia Sekali" not in body and "dirahasiakan" not in body
    assert "/pengaduan?tiket=" in body


def test_the_admin_sets_thresholds_recipients_and_email(staff):
    give_emails(staff)
    with pytest.raises(NotAllowed):
        notifications.save_settings(
            user_id=staff.kepala.id,
            warn_percent=50,
            escalate_after_minutes=10,
            email=False,
            recipients={},
        )
    for bad in ({"warn_percent": 0}, {"warn_percent": 100}, {"escalate_after_minutes": -1}):
        values = {"warn_percent": 50, "escalate_after_minutes": 10, **bad}
        with pytest.raises(InvalidInput):
            notifications.save_settings(
                user_id=staff.admin.id, email=False, recipients={}, **values
            )
    with pytest.raises(InvalidInput):
        notifications.save_settings(
            user_id=staff.admin.id,
            warn_percent=50,
            escalate_after_minutes=10,
            email=False,
            recipients={DRAFTING: ["pemohon"]},
        )
    notifications.save_settings(
        user_id=staff.admin.id,
        warn_percent=50,
        escalate_after_minutes=10,
        email=False,
        recipients={DRAFTING: [Role.UNIT, Role.SUBBAG_UMUM]},
    )
    at_drafting(staff)
    # 50% of 60 = 30 minutes: 20 on Friday + 10 on Wednesday -> 07.40.
    assert notifications.evaluate(now=wita(18, 7, 39)).notifications == 0
    assert notifications.evaluate(now=wita(18, 7, 40)).notifications == 1
    assert notifications.evaluate(now=BREACH + 10 * MINUTE).notifications == 2
    assert fired()[0] == (
        "hampir_jatuh_tempo",
        wita(18, 7, 40),
        sorted([staff.unit_kop.id, staff.subbag.id]),
    )
    assert fired()[2][:2] == ("eskalasi", BREACH + 10 * MINUTE)
    with read_session() as session:  # e-mail off: in the app only
        assert session.scalar(select(OutboxMessage.id).limit(1)) is None


def test_each_user_sees_and_marks_only_their_own_notifications(staff):
    at_drafting(staff)
    notifications.evaluate(now=BREACH)
    assert notifications.unread_count(user_id=staff.unit_kop.id) == 1
    assert notifications.unread_count(user_id=staff.unit_ukm.id) == 0
    [item] = notifications.inbox(user_id=staff.unit_kop.id)
    assert (item.kind_label, item.read) == ("Terlambat", False)
    assert notifications.inbox(user_id=staff.unit_ukm.id) == []
    with pytest.raises(NotFound):
        notifications.mark_read(user_id=staff.unit_ukm.id, notification_id=item.id)
    assert notifications.unread_count(user_id=staff.unit_kop.id) == 1
    notifications.mark_read(user_id=staff.unit_kop.id, notification_id=item.id)
    assert notifications.unread_count(user_id=staff.unit_kop.id) == 0
    assert notifications.inbox(user_id=staff.unit_kop.id)[0].read
    with pytest.raises(NotAllowed):
        notifications.inbox(user_id=staff.admin.id)  # no SOP role, no list


def test_two_concurrent_evaluations_write_each_notification_once(staff):
    at_drafting(staff)
    at_drafting(staff)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        barrier.wait()
        try:
            results.append(notifications.evaluate(now=ESCALATE))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(r.notifications for r in results) == 4  # 2 complaints x breach, escalation
    assert sorted(kinds()) == ["eskalasi", "eskalasi", "terlambat", "terlambat"]


def test_postgres_one_evaluator_at_a_time_and_a_dead_holder_frees_the_lock(staff, backend, db):
    if backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises by BEGIN IMMEDIATE")
    at_drafting(staff)
    holder = create_engine(db).connect()  # another worker, mid-evaluation
    try:
        holder.execute(text("BEGIN"))
        holder.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": notifications.EVALUATION_LOCK_KEY}
        )
        pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert notifications.evaluate(now=BREACH) == notifications.Evaluation(ran=False)
        assert kinds() == []
        # That worker dies: its session ends, and so does its lock.
        with create_engine(db).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        holder.invalidate()
    result = notifications.evaluate(now=BREACH)
    assert (result.ran, result.notifications) == (True, 1)


def test_the_morning_digest_is_sent_once_per_working_day_and_never_on_a_holiday(staff):
    give_emails(staff)
    at_drafting(staff)  # due Wednesday 18 at 08.10, once the long weekend is over

    def digests() -> list[tuple]:
        with read_session() as session:
            return [
                (row.user_id, row.day.isoformat(), row.items)
                for row in session.scalars(select(NotificationDigest))
                if row.items  # the others are recorded as done, with nothing to send
            ]

    for holiday in (wita(16, 7, 30), wita(16, 9, 0), wita(17, 9, 0)):  # cuti bersama, Imlek
        assert notifications.evaluate(now=holiday).digests == 0
    assert notifications.evaluate(now=wita(18, 7, 29)).digests == 0  # before opening
    assert notifications.evaluate(now=wita(18, 7, 30)).digests == 1
    assert notifications.evaluate(now=wita(18, 7, 31)).digests == 0
    assert digests() == [(staff.unit_kop.id, "2026-02-18", 1)]
    with read_session() as session:
        [row] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "unit_kop@diskop.example")
        ).all()
        raw = row.message.decode()
    assert "Jatuh tempo hari ini (1)" in raw and "Terlambat: tidak ada." in raw
    # Thursday: the draft is overdue now, a new digest says so.
    assert notifications.evaluate(now=wita(19, 7, 30)).digests == 1


def test_two_worker_processes_evaluating_at_once_write_each_notification_once(staff, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite: one evaluating process (the thread test above covers BEGIN IMMEDIATE)")
    import os
    import subprocess
    import sys
    from pathlib import Path

    # Late in real time (the processes evaluate "now"): a week in the drafting step.
    at_drafting(staff, entered=datetime.now(UTC) - timedelta(days=7))
    command = [sys.executable, "-m", "services.outbox", "--evaluate-once", "--drain"]
    root = Path(__file__).resolve().parents[1]
    processes = [
        subprocess.Popen(
            command,
            cwd=root,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    new = [int(out.split("new=")[1].split()[0]) for out, _ in outputs]
    assert sum(new) == 2  # terlambat and eskalasi, written by one of the two
    assert sorted(kinds()) == ["eskalasi", "terlambat"]

"""Staff reminders and escalations from the SOP clocks, in the app and by e-mail.

``evaluate(now=)`` is the periodic evaluation the scheduler (``services.scheduler``,
inside the outbox worker) runs every minute. For every open complaint it compares the
clocks already stored with ``now``, in working minutes of the office calendar (office
hours, national holidays, cuti bersama, local changes):

- **hampir jatuh tempo** when the current step has used ``warn_percent`` (default 80) of
  its SOP standard (``layanan.sop``: 30 working minutes, step 8: 60);
- **terlambat** at the breach (the stored ``Complaint.step_due_at``);
- **eskalasi** to the Head (and the Secretary, for steps the Head does not own) once the
  step is late by ``escalate_after_minutes`` working minutes;
- **SP4N-LAPOR!** escalation to the Head and the Secretary when a regulatory clock
  (verification / follow-up / completion) that is still running enters its last
  working day.

Each notification is one ``Notification`` row, unique per complaint, step round and
kind (a database constraint): it fires exactly once, however many processes evaluate.
Its recipients get a ``NotificationRecipient`` row (the "Pemberitahuan" list, read or
unread) and, if e-mail is on and they have an address, an outbox e-mail written in the
same transaction and sent after commit. A step of the unit role notifies only the users
of the units the complaint is assigned to. On PostgreSQL one process evaluates at a time
(a transaction advisory lock: a crashed holder's lock ends with its session); on SQLite
the evaluation's ``BEGIN IMMEDIATE`` already serialises the processes.

No message carries the complainant's identity or the complaint's content: only the
ticket, the step and the deadline (the recipient opens the complaint in the app, where
``services.identity`` decides what they see).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from functools import partial

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import (
    Complaint,
    ComplaintUnit,
    Notification,
    NotificationDigest,
    NotificationRecipient,
    Setting,
    StepEvent,
    User,
    UserRole,
)
from db.queries import among
from layanan import sop
from layanan.calendar import WorkingCalendar, day_start, office_today
from layanan.clocks import regulatory_clocks
from layanan.errors import InvalidInput, NotFound
from layanan.sop import Role
from layanan.text import tanggal, tanggal_jam
from services import authz, outbox
from services.calendar_settings import load_calendar, load_standards

SETTINGS_KEY = "notifications"
# pg_try_advisory_xact_lock key of the evaluation (any constant all processes agree on).
EVALUATION_LOCK_KEY = 724312
OUTBOX_KIND = "staff_notification"
NO_STEP = 0  # step/round of the per-complaint SP4N-LAPOR! warnings (steps count from 1)

WARNING = "hampir_jatuh_tempo"
BREACH = "terlambat"
ESCALATION = "eskalasi"
LAPOR_PREFIX = "lapor_"  # + the regulatory clock's key (layanan.sop.REGULATORY_CLOCKS)
KIND_LABELS: dict[str, str] = {
    WARNING: "Hampir jatuh tempo",
    BREACH: "Terlambat",
    ESCALATION: "Eskalasi",
    **{f"{LAPOR_PREFIX}{clock}": "Tenggat SP4N-LAPOR!" for clock in sop.REGULATORY_CLOCKS},
}
# Roles that may be named as recipients of a step's reminders (the SOP actors).
RECIPIENT_ROLES = (
    Role.PETUGAS,
    Role.SUBBAG_UMUM,
    Role.KEPALA_DINAS,
    Role.SEKRETARIS,
    Role.UNIT,
    Role.ARSIPARIS,
)
LABELS = {
    "warn_percent": "Peringatan hampir jatuh tempo (% dari waktu standar)",
    "escalate_after_minutes": "Eskalasi setelah terlambat (menit kerja)",
    "email": "Kirim juga lewat pos-el",
    "recipients": "Penerima pengingat per langkah",
    "report_roles": "Penerima laporan terjadwal",
}
# Roles that may receive the scheduled reports: those that may open the dashboard.
REPORT_ROLES = (Role.KEPALA_DINAS, Role.SEKRETARIS, Role.ADMIN)


# --- settings --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationSettings:
    """What the admin sets; a step missing from ``recipients`` notifies the step's role."""

    warn_percent: int = 80
    escalate_after_minutes: int = 30
    email: bool = True
    recipients: dict[int, tuple[Role, ...]] = field(default_factory=dict)
    # Who receives the scheduled reports (monthly recap, weekly breach summary).
    report_roles: tuple[Role, ...] = (Role.KEPALA_DINAS, Role.SEKRETARIS)

    def recipients_of(self, step: int) -> tuple[Role, ...]:
        return self.recipients.get(step) or (sop.step(step).role,)


def _parse_settings(value: dict) -> NotificationSettings:
    def number(key: str, minimum: int, maximum: int) -> int:
        raw = value.get(key, getattr(NotificationSettings, key))
        if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
            raise InvalidInput(f"{LABELS[key]}: isi bilangan bulat {minimum} sampai {maximum}.")
        return raw

    email = value.get("email", True)
    if not isinstance(email, bool):
        raise InvalidInput(f"{LABELS['email']}: centang atau kosongkan.")
    raw_recipients = value.get("recipients", {})
    if not isinstance(raw_recipients, dict):
        raise InvalidInput(f"{LABELS['recipients']} tidak valid.")
    steps = {s.number for s in sop.table().steps}
    recipients: dict[int, tuple[Role, ...]] = {}
    for key, roles in raw_recipients.items():
        try:
            number_of_step = int(key)
        except (TypeError, ValueError):
            raise InvalidInput(f"{LABELS['recipients']}: langkah tidak dikenal.") from None
        if number_of_step not in steps or not isinstance(roles, list | tuple):
            raise InvalidInput(f"{LABELS['recipients']}: langkah tidak dikenal.")
        try:
            chosen = tuple(dict.fromkeys(Role(r) for r in roles))
        except ValueError:
            raise InvalidInput(f"{LABELS['recipients']}: peran tidak dikenal.") from None
        if not set(chosen) <= set(RECIPIENT_ROLES):
            raise InvalidInput(f"{LABELS['recipients']}: peran tidak dikenal.")
        if chosen:
            recipients[number_of_step] = chosen
    raw_report = value.get("report_roles", [r.value for r in NotificationSettings.report_roles])
    try:
        report_roles = tuple(dict.fromkeys(Role(r) for r in raw_report))
    except (TypeError, ValueError):
        raise InvalidInput(f"{LABELS['report_roles']}: peran tidak dikenal.") from None
    if not set(report_roles) <= set(REPORT_ROLES):
        raise InvalidInput(
            f"{LABELS['report_roles']}: hanya Kepala Dinas, Sekretaris atau Administrator."
        )
    return NotificationSettings(
        report_roles=report_roles,
        warn_percent=number("warn_percent", 1, 99),
        escalate_after_minutes=number("escalate_after_minutes", 0, 100_000),
        email=email,
        recipients=recipients,
    )


def load_settings(session: Session) -> NotificationSettings:
    row = session.get(Setting, SETTINGS_KEY)
    return _parse_settings(row.value) if row else NotificationSettings()


def notification_settings(*, user_id: int) -> NotificationSettings:
    """The settings in force, for the admin page's form (admin only)."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability="manage_notifications")
        return load_settings(session)


def save_settings(
    *,
    user_id: int,
    warn_percent: int,
    escalate_after_minutes: int,
    email: bool,
    recipients: dict[int, Iterable[Role | str]],
    report_roles: Iterable[Role | str] | None = None,
) -> NotificationSettings:
    """Store the admin's notification settings after checking them (admin only)."""
    if report_roles is None:
        report_roles = NotificationSettings.report_roles
    value = {
        "report_roles": [str(r) for r in report_roles],
        "warn_percent": warn_percent,
        "escalate_after_minutes": escalate_after_minutes,
        "email": email,
        "recipients": {str(step): [str(r) for r in roles] for step, roles in recipients.items()},
    }
    with write_session() as session:
        authz.require(session, user_id=user_id, capability="manage_notifications")
        parsed = _parse_settings(value)
        row = session.get(Setting, SETTINGS_KEY)
        if row is None:
            session.add(Setting(key=SETTINGS_KEY, value=value))
        else:
            row.value = value
        return parsed


# --- recipients ------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str | None
    unit_id: int | None
    roles: frozenset[Role]


def _people(session: Session) -> list[Person]:
    rows = session.execute(
        select(User.id, User.full_name, User.email, User.unit_id, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True))
        .order_by(User.id)
    ).all()
    people: dict[int, Person] = {}
    for uid, name, email, unit_id, role in rows:
        known = people.get(uid)
        roles = (known.roles if known else frozenset()) | {Role(role)}
        people[uid] = Person(uid, name, email, unit_id, roles)
    return list(people.values())


def _addressees(
    people: list[Person], roles: Iterable[Role], unit_ids: frozenset[int]
) -> list[Person]:
    """Holders of ``roles``; for the unit role only the staff of the complaint's units."""
    wanted = set(roles)
    chosen = []
    for person in people:
        held = person.roles & wanted
        if not held:
            continue
        if held == {Role.UNIT} and person.unit_id not in unit_ids:
            continue  # a unit's complaint is no business of the other units
        chosen.append(person)
    return chosen


# --- evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A notification that should exist by now."""

    complaint_id: int
    ticket: str
    step: int
    round: int
    kind: str
    due_at: datetime
    message: str
    roles: tuple[Role, ...]
    unit_ids: frozenset[int]


@dataclass(frozen=True)
class Evaluation:
    ran: bool  # False: another process holds the evaluation lock
    notifications: int = 0
    digests: int = 0
    reports: int = 0


def _take_lock(session: Session) -> bool:
    """One evaluating process at a time on PostgreSQL (the lock ends with the
    transaction, or with the session of a process that died); SQLite's BEGIN
    IMMEDIATE has already made this transaction the only writer."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": EVALUATION_LOCK_KEY})
    )


def evaluate(*, now: datetime | None = None, url: str | None = None) -> Evaluation:
    """Write every notification (and morning digest) due at ``now`` and not yet written,
    with their outbox e-mails, in one transaction; nothing is sent here."""
    from services import scheduled_reports  # it uses this module's people and settings

    now = now or datetime.now(UTC)
    # A read looks first, so that a minute with nothing new (nearly every minute) does
    # not take SQLite's only write lock while the clocks are computed.
    with read_session(url) as session:
        if not (
            _missing(session, now=now)
            or _digests_due(session, now=now)
            or scheduled_reports.due(session, now=now)
        ):
            return Evaluation(ran=True)
    with write_session(url) as session:
        if not _take_lock(session):
            return Evaluation(ran=False)
        created = evaluate_in(session, now=now)
        digests = digests_in(session, now=now)
        reports = scheduled_reports.reports_in(session, now=now)
        return Evaluation(ran=True, notifications=created, digests=digests, reports=reports)


def _missing(session: Session, *, now: datetime) -> bool:
    """Whether a notification is due at ``now`` that is not written yet."""
    due = due_notifications(session, now=now)
    if not due:
        return False
    return bool({(d.complaint_id, d.step, d.round, d.kind) for d in due} - _written(session, due))


def _written(session: Session, due: list[Due]) -> set[tuple]:
    return set(
        session.execute(
            select(
                Notification.complaint_id,
                Notification.step,
                Notification.round,
                Notification.kind,
            ).where(Notification.complaint_id.in_({d.complaint_id for d in due}))
        ).all()
    )


def _digests_due(session: Session, *, now: datetime) -> bool:
    """Whether some user's digest of today is not recorded yet (office hours only)."""
    cfg = load_settings(session)
    hours = load_calendar(session).hours_on(office_today(now))
    if not cfg.email or hours is None or not hours[0] <= now < hours[1]:
        return False
    done = set(
        session.scalars(
            select(NotificationDigest.user_id).where(NotificationDigest.day == office_today(now))
        )
    )
    return any(
        p.email and p.roles & set(RECIPIENT_ROLES) and p.id not in done for p in _people(session)
    )


def _rounds(session: Session, complaint_ids: list[int]) -> dict[tuple[int, int], int]:
    """(complaint, step) -> how many times the complaint entered the step."""
    rows = session.execute(
        select(StepEvent.complaint_id, StepEvent.to_step, func.count())
        .where(
            among(session, StepEvent.complaint_id, complaint_ids),
            StepEvent.to_step.is_not(None),
            StepEvent.to_step != StepEvent.step,
        )
        .group_by(StepEvent.complaint_id, StepEvent.to_step)
    ).all()
    return {(cid, step): count for cid, step, count in rows}


def _done_steps(session: Session, complaint_ids: list[int]) -> dict[int, dict[int, datetime]]:
    rows = session.execute(
        select(StepEvent.complaint_id, StepEvent.step, func.max(StepEvent.at))
        .where(
            among(session, StepEvent.complaint_id, complaint_ids),
            StepEvent.to_step.is_distinct_from(StepEvent.step),  # staying: not done
        )
        .group_by(StepEvent.complaint_id, StepEvent.step)
    ).all()
    done: dict[int, dict[int, datetime]] = {}
    for cid, step, at in rows:
        done.setdefault(cid, {})[step] = at
    return done


def warning_at(
    calendar: WorkingCalendar, cfg: NotificationSettings, step: int, entered: datetime
) -> datetime:
    """When a step entered at ``entered`` has used ``warn_percent`` of its standard."""
    minutes = math.ceil(sop.step(step).minutes * cfg.warn_percent / 100)
    return calendar.add_working_minutes(entered, minutes)


def _add_due(
    found: list[Due],
    complaint_id: int,
    ticket: str,
    step: int,
    round_: int,
    unit_ids: frozenset[int],
    kind: str,
    at: datetime,
    message: str,
    roles: tuple[Role, ...],
) -> None:
    found.append(Due(complaint_id, ticket, step, round_, kind, at, message, roles, unit_ids))


def due_notifications(session: Session, *, now: datetime) -> list[Due]:
    """Every notification whose moment has come at ``now`` (written or not)."""
    calendar = load_calendar(session)
    standards = load_standards(session)
    cfg = load_settings(session)
    open_rows = session.execute(
        select(
            Complaint.id,
            Complaint.ticket,
            Complaint.current_step,
            Complaint.step_entered_at,
            Complaint.step_due_at,
            Complaint.received_at,
            Complaint.supervisory,
            Complaint.form,
        )
        .where(Complaint.current_step.is_not(None), Complaint.step_entered_at <= now)
        .order_by(Complaint.id)
    ).all()
    if not open_rows:
        return []
    ids = [row.id for row in open_rows]
    rounds = _rounds(session, ids)
    done = _done_steps(session, ids)
    units: dict[int, set[int]] = {}
    for cid, unit_id in session.execute(
        select(ComplaintUnit.complaint_id, ComplaintUnit.unit_id).where(
            among(session, ComplaintUnit.complaint_id, ids)
        )
    ):
        units.setdefault(cid, set()).add(unit_id)
    first = sop.table().first_step
    found: list[Due] = []
    for row in open_rows:
        step = row.current_step
        definition = sop.step(step)
        round_ = rounds.get((row.id, step), 0) + (1 if step == first else 0)
        unit_ids = frozenset(units.get(row.id, ()))
        label = sop.step_label(step)
        breach = row.step_due_at or calendar.add_working_minutes(
            row.step_entered_at, definition.minutes
        )

        add = partial(_add_due, found, row.id, row.ticket, step, round_, unit_ids)

        owner_roles = cfg.recipients_of(step)
        if now >= breach:
            add(
                BREACH,
                breach,
                f"{label} melewati batas waktu SOP ({definition.minutes} menit kerja) "
                f"pada {tanggal_jam(breach)}.",
                owner_roles,
            )
        else:
            warn = warning_at(calendar, cfg, step, row.step_entered_at)
            if now >= warn:  # only before the breach: once late, "terlambat" says it
                add(
                    WARNING,
                    warn,
                    f"{label} sudah memakai {cfg.warn_percent}% dari waktu standar "
                    f"{definition.minutes} menit kerja; batas waktu {tanggal_jam(breach)}.",
                    owner_roles,
                )
        escalation = calendar.add_working_minutes(breach, cfg.escalate_after_minutes)
        if now >= escalation:
            heads = (Role.KEPALA_DINAS,)
            if definition.role is not Role.KEPALA_DINAS:
                heads += (Role.SEKRETARIS,)
            add(
                ESCALATION,
                escalation,
                f"{label} terlambat lebih dari {cfg.escalate_after_minutes} menit kerja "
                f"(batas waktu SOP {tanggal_jam(breach)}).",
                heads,
            )
        clocks = regulatory_clocks(
            calendar,
            standards,
            received_at=row.received_at,
            supervisory=row.supervisory,
            done_steps=done.get(row.id, {}),
            form=sop.Form(row.form) if row.form else None,
        )
        for clock in clocks:
            if clock.done_at is not None:
                continue
            hours = calendar.hours_on(clock.due_at.astimezone(calendar.tz).date())
            last_day = hours[0] if hours else clock.due_at  # the last working day opens
            if now >= last_day:
                found.append(
                    Due(
                        row.id,
                        row.ticket,
                        NO_STEP,
                        NO_STEP,
                        f"{LAPOR_PREFIX}{clock.key}",
                        last_day,
                        f"Tenggat SP4N-LAPOR! {clock.label} berakhir {tanggal_jam(clock.due_at)}"
                        " (tinggal satu hari kerja).",
                        (Role.KEPALA_DINAS, Role.SEKRETARIS),
                        unit_ids,
                    )
                )
    return found


def evaluate_in(session: Session, *, now: datetime) -> int:
    """``evaluate``'s notifications inside the caller's (locked) transaction."""
    due = due_notifications(session, now=now)
    if not due:
        return 0
    written = _written(session, due)
    cfg = load_settings(session)
    people = _people(session)
    created = 0
    for item in due:
        if (item.complaint_id, item.step, item.round, item.kind) in written:
            continue
        row = Notification(
            complaint_id=item.complaint_id,
            step=item.step,
            round=item.round,
            kind=item.kind,
            due_at=item.due_at,
            message=item.message,
            created_at=now,
        )
        session.add(row)
        session.flush()
        for person in _addressees(people, item.roles, item.unit_ids):
            message_pk = None
            if cfg.email and person.email:
                message_pk = outbox.enqueue(
                    session,
                    kind=OUTBOX_KIND,
                    recipient=person.email,
                    message=_email(person, item),
                    now=now,
                ).id
            session.add(
                NotificationRecipient(
                    notification_id=row.id, user_id=person.id, outbox_message_id=message_pk
                )
            )
        created += 1
    session.flush()
    return created


def _complaint_url(ticket: str) -> str:
    return f"{get_settings().public_base_url}/pengaduan?tiket={ticket}"


def _email(person: Person, item: Due) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[{KIND_LABELS[item.kind]}] Pengaduan {item.ticket}"
    message["From"] = get_settings().smtp_sender
    message["To"] = person.email
    message["Message-ID"] = outbox.new_message_id()
    message.set_content(
        f"Yth. {person.name},\n\n"
        f"{KIND_LABELS[item.kind]}: pengaduan {item.ticket}.\n{item.message}\n\n"
        f"Buka pengaduan: {_complaint_url(item.ticket)}\n\n"
        "Pesan ini dikirim otomatis oleh Layanan Pengaduan; isi dan identitas pengadu "
        "hanya dapat dilihat di aplikasi.\n"
    )
    return message


# --- morning digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    ticket: str
    step: int
    due_at: datetime
    overdue: bool


def digest_items(
    session: Session, person: Person, *, now: datetime, cfg: NotificationSettings
) -> list[DigestLine]:
    """The person's open steps that are overdue or due before today's office day ends."""
    today = office_today(now)
    end_of_day = day_start(today + timedelta(days=1))
    rows = session.execute(
        select(Complaint.id, Complaint.ticket, Complaint.current_step, Complaint.step_due_at)
        .where(Complaint.current_step.is_not(None), Complaint.step_due_at < end_of_day)
        .order_by(Complaint.step_due_at, Complaint.id)
    ).all()
    if not rows:
        return []
    units: dict[int, set[int]] = {}
    for cid, unit_id in session.execute(
        select(ComplaintUnit.complaint_id, ComplaintUnit.unit_id).where(
            ComplaintUnit.complaint_id.in_([r.id for r in rows])
        )
    ):
        units.setdefault(cid, set()).add(unit_id)
    lines = []
    for row in rows:
        roles = cfg.recipients_of(row.current_step)
        if _addressees([person], roles, frozenset(units.get(row.id, ()))):
            lines.append(
                DigestLine(row.ticket, row.current_step, row.step_due_at, row.step_due_at <= now)
            )
    return lines


def digests_in(session: Session, *, now: datetime) -> int:
    """Each user's morning digest, once per office day, from the opening of a working day
    (none on weekends, holidays, cuti bersama); only to users with an e-mail address and
    something to list, and only while e-mail is on."""
    cfg = load_settings(session)
    if not cfg.email:
        return 0
    calendar = load_calendar(session)
    today = office_today(now)
    hours = calendar.hours_on(today)
    if hours is None or now < hours[0] or now >= hours[1]:
        return 0
    sent = set(
        session.scalars(select(NotificationDigest.user_id).where(NotificationDigest.day == today))
    )
    created = 0
    for person in _people(session):
        if person.id in sent or not person.email or not person.roles & set(RECIPIENT_ROLES):
            continue
        lines = digest_items(session, person, now=now, cfg=cfg)
        pk = None
        if lines:  # nothing to list: no e-mail, but the day is recorded as done
            message = _digest_email(person, lines, today)
            pk = outbox.enqueue(
                session, kind=OUTBOX_KIND, recipient=person.email, message=message, now=now
            ).id
            created += 1
        session.add(
            NotificationDigest(
                user_id=person.id, day=today, items=len(lines), outbox_message_id=pk, created_at=now
            )
        )
    session.flush()
    return created


def _digest_email(person: Person, lines: list[DigestLine], day: date) -> EmailMessage:
    overdue = [line for line in lines if line.overdue]
    today = [line for line in lines if not line.overdue]

    def block(title: str, items: list[DigestLine]) -> str:
        if not items:
            return f"{title}: tidak ada.\n"
        rows = "".join(
            f"- {line.ticket}, {sop.step_label(line.step)}; batas waktu "
            f"{tanggal_jam(line.due_at)}\n  {_complaint_url(line.ticket)}\n"
            for line in items
        )
        return f"{title} ({len(items)}):\n{rows}"

    message = EmailMessage()
    message["Subject"] = (
        f"Ringkasan pagi {tanggal(day)}: {len(overdue)} terlambat, "
        f"{len(today)} jatuh tempo hari ini"
    )
    message["From"] = get_settings().smtp_sender
    message["To"] = person.email
    message["Message-ID"] = outbox.new_message_id()
    message.set_content(
        f"Yth. {person.name},\n\nPengaduan yang menunggu Anda pada {tanggal(day)}:\n\n"
        + block("Terlambat", overdue)
        + "\n"
        + block("Jatuh tempo hari ini", today)
        + "\nPesan ini dikirim otomatis oleh Layanan Pengaduan.\n"
    )
    return message


# --- the user's list ---------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of the "Pemberitahuan" list."""

    id: int
    ticket: str
    kind: str
    kind_label: str
    message: str
    created_at: datetime
    read: bool


def unread_count(*, user_id: int) -> int:
    """How many of the user's notifications are unread (the badge)."""
    with read_session() as session:
        return session.scalar(
            select(func.count()).where(
                NotificationRecipient.user_id == user_id, NotificationRecipient.read_at.is_(None)
            )
        )


def inbox(*, user_id: int, unread_only: bool = False, limit: int = 200) -> list[Item]:
    """The user's own notifications, newest first (nobody sees another's list)."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability="page:notifications")
        query = (
            select(
                Notification.id,
                Complaint.ticket,
                Notification.kind,
                Notification.message,
                Notification.created_at,
                NotificationRecipient.read_at,
            )
            .join(NotificationRecipient, NotificationRecipient.notification_id == Notification.id)
            .join(Complaint, Complaint.id == Notification.complaint_id)
            .where(NotificationRecipient.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        if unread_only:
            query = query.where(NotificationRecipient.read_at.is_(None))
        return [
            Item(nid, ticket, kind, KIND_LABELS.get(kind, kind), message, at, read_at is not None)
            for nid, ticket, kind, message, at, read_at in session.execute(query)
        ]


def mark_read(
    *, user_id: int, notification_id: int | None = None, now: datetime | None = None
) -> int:
    """Mark one of the user's notifications (or, without an id, all) as read."""
    now = now or datetime.now(UTC)
    with write_session() as session:
        authz.require(session, user_id=user_id, capability="page:notifications")
        statement = update(NotificationRecipient).where(
            NotificationRecipient.user_id == user_id, NotificationRecipient.read_at.is_(None)
        )
        if notification_id is not None:
            statement = statement.where(NotificationRecipient.notification_id == notification_id)
        changed = session.execute(statement.values(read_at=now)).rowcount
        if notification_id is not None and not changed:
            exists = session.get(NotificationRecipient, (notification_id, user_id))
            if exists is None:
                raise NotFound("Pemberitahuan tidak ditemukan.")
        return changed


outbox.register_kind(OUTBOX_KIND)

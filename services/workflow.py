"""The one writer of complaint state.

Every change of a complaint's step goes through ``apply_action`` (inside a caller's
transaction) or ``advance`` (which opens the transaction itself). It checks, in this
order: the actor exists and is active, the action belongs to the current step, the
actor holds the action's role (and, for unit work, belongs to an assigned unit), the
version the actor saw is still current, the step's required items are present and the
payload is well formed. Then it updates the complaint and appends one ``StepEvent`` in
the same transaction. Any refusal raises a ``layanan.errors.WorkflowError`` subclass
whose message is shown to the user; nothing is written.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.engine import write_session
from db.models import Complaint, Counter, Disposition, Document, StepEvent, Unit
from layanan import sop, validate
from layanan.calendar import WorkingCalendar
from layanan.clocks import step_due_at
from layanan.errors import (
    InvalidInput,
    MissingItem,
    NotFound,
    StaleVersion,
    WrongRole,
    WrongStep,
    WrongUnit,
)
from layanan.sop import Role
from layanan.text import tanggal_jam, ticket_number
from services.authz import PEMOHON, Actor, load_actor
from services.calendar_settings import load_calendar

MAX_TEXT = 500
MAX_LONGTEXT = 20_000
PIN_HASHER = PasswordHasher()


@dataclass(frozen=True)
class NewDocument:
    """A file to attach with an action; checked by ``services.uploads`` beforehand."""

    kind: str
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Transition:
    """What ``advance`` did, for the page to confirm."""

    complaint_id: int
    ticket: str
    from_step: int
    to_step: int | None
    version: int
    event_id: int


def transition(session: Session, event: StepEvent) -> Transition:
    """What ``event`` did to its complaint (read after ``apply_action``), for the page."""
    complaint = session.get(Complaint, event.complaint_id)
    return Transition(
        complaint_id=complaint.id,
        ticket=complaint.ticket,
        from_step=event.step,
        to_step=complaint.current_step,
        version=complaint.version,
        event_id=event.id,
    )


@dataclass
class IntakeData:
    """What the front desk (or the online form) records about a new complaint."""

    channel: sop.Channel
    subject: str
    body: str
    category: str
    complainant_name: str | None = None
    complainant_phone: str | None = None
    complainant_email: str | None = None
    complainant_address: str | None = None
    anonymous: bool = False
    confidential: bool = False
    supervisory: bool = False
    guest_book_entry: str | None = None
    arrived_at: datetime | None = None  # step 1: when the complainant came / called
    met_at: datetime | None = None  # step 1 done: when the officer met them
    extra: dict[str, Any] = field(default_factory=dict)


# --- checks -----------------------------------------------------------------------


def _check_role_and_unit(actor: Actor, act: sop.Action, complaint: Complaint) -> None:
    role = sop.action_role(act)
    if role not in actor.roles:
        raise WrongRole(
            f"Tindakan \u201c{act.label}\u201d hanya dapat dilakukan oleh "
            f"{sop.ROLE_LABELS[role]} (SOP langkah {act.at})."
        )
    if role is Role.UNIT and actor.unit_id not in {u.id for u in complaint.units}:
        raise WrongUnit(
            "Pengaduan ini tidak didisposisikan ke unit Anda, sehingga Anda tidak dapat "
            "memprosesnya."
        )


def _check_version(session: Session, complaint: Complaint, expected_version: int) -> None:
    if complaint.version == expected_version:
        return
    last = session.execute(
        select(StepEvent.actor_name, StepEvent.at, StepEvent.action)
        .where(StepEvent.complaint_id == complaint.id)
        .order_by(StepEvent.seq.desc())
        .limit(1)
    ).first()
    who = last.actor_name if last else "pengguna lain"
    when = tanggal_jam(last.at) if last else ""
    raise StaleVersion(
        f"Pengaduan {complaint.ticket} sudah diproses lebih dulu oleh {who} ({when}). "
        "Muat ulang halaman untuk melihat keadaan terbaru.",
        acted_by=who,
    )


def _has_document(session: Session, complaint_id: int, kind: str) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Document.complaint_id == complaint_id, Document.kind == kind))
        )
    )


def missing_requirements(session: Session, complaint: Complaint, act: sop.Action) -> list[str]:
    """Keys of the step's required items (kelengkapan) that the complaint lacks."""
    checks = {
        "complaint_letter": lambda: (
            _has_document(session, complaint.id, "complaint_letter")
            if complaint.channel in sop.PAPER_CHANNELS
            else bool(complaint.body.strip())
        ),
        "guest_book_entry": lambda: bool(complaint.guest_book_entry),
        "agenda_number": lambda: bool(complaint.agenda_number),
        "assigned_units": lambda: bool(complaint.units),
        "reply_body": lambda: bool(complaint.reply_body),
        "supporting_documents": lambda: _has_document(session, complaint.id, "supporting"),
        "paraf": lambda: complaint.approved_at is not None,
        "signed_letter": lambda: complaint.signed_at is not None,
        "delivery": lambda: complaint.delivered_at is not None,
    }
    needed = dict.fromkeys((*sop.step(act.at).requires, *act.requires))
    return [key for key in needed if not checks[key]()]


def _clean_payload(session: Session, act: sop.Action, payload: Mapping[str, Any]) -> dict:
    """Check every field the action needs; return JSON-safe values. Refuses with reasons."""
    cleaned: dict[str, Any] = {}
    problems: list[str] = []
    for key in (*act.fields, *act.optional_fields):
        spec = sop.FIELDS[key]
        value = payload.get(key)
        required = key in act.fields
        if value is None or (isinstance(value, str | list | tuple | set) and not value):
            if required:
                problems.append(spec.label)
            continue
        cleaned[key] = _clean_value(session, spec, value)
    if problems:
        raise MissingItem(
            "Kelengkapan belum diisi: " + ", ".join(problems) + ".",
            missing=tuple(problems),
        )
    return cleaned


CHOICES: dict[str, tuple[str, ...]] = {
    "sifat": sop.SIFAT_SURAT,
    "instruction": sop.DISPOSITION_INSTRUCTIONS,
    "delivery_method": tuple(sop.DeliveryMethod),
}


def _clean_value(session: Session, spec: sop.Field, value: Any) -> Any:
    if spec.kind in ("text", "longtext"):
        if not isinstance(value, str):
            raise InvalidInput(f"{spec.label} harus berupa teks.")
        text = value.strip()
        limit = MAX_TEXT if spec.kind == "text" else MAX_LONGTEXT
        if not text:
            raise MissingItem(f"Kelengkapan belum diisi: {spec.label}.", missing=(spec.label,))
        if len(text) > limit:
            raise InvalidInput(f"{spec.label} terlalu panjang (maksimal {limit} karakter).")
        return text
    if spec.kind in ("unit", "units"):
        ids = [value] if spec.kind == "unit" else list(value)
        try:
            ids = sorted({int(i) for i in ids})
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{spec.label}: unit tidak dikenal.") from exc
        found = set(session.scalars(select(Unit.id).where(Unit.id.in_(ids), Unit.active.is_(True))))
        if not ids or found != set(ids):
            raise InvalidInput(f"{spec.label}: unit tidak dikenal atau tidak aktif.")
        return ids[0] if spec.kind == "unit" else ids
    if spec.kind == "choice":
        allowed = CHOICES[spec.key]
        if str(value) not in allowed:
            raise InvalidInput(f"{spec.label}: pilihan \u201c{value}\u201d tidak dikenal.")
        return str(value)
    if spec.kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError as exc:
                raise InvalidInput(f"{spec.label}: tanggal tidak valid.") from exc
        if not isinstance(value, date):
            raise InvalidInput(f"{spec.label}: tanggal tidak valid.")
        return value.isoformat()
    if spec.kind == "bool":
        if value is not True:
            raise MissingItem(f"Kelengkapan belum diisi: {spec.label}.", missing=(spec.label,))
        return True
    raise InvalidInput(f"{spec.label}: jenis isian tidak dikenal.")  # table error


# --- effects of each action on the complaint (SOP steps as comments) ----------------


def _set_units(session: Session, complaint: Complaint, unit_ids: Iterable[int]) -> None:
    complaint.units = list(session.scalars(select(Unit).where(Unit.id.in_(list(unit_ids)))))


def _apply_effects(
    session: Session,
    complaint: Complaint,
    act: sop.Action,
    actor: Actor,
    data: dict[str, Any],
    now: datetime,
    note: str | None,
) -> None:
    if act.sets_form is not None:
        complaint.form = act.sets_form.value
    match act.key:
        case "hand_over":  # step 3: the guest-book entry travels with the letter
            complaint.guest_book_entry = data["guest_book_entry"]
        case "classify_oral":  # step 4 -> 5: humas / the related unit settles it
            _set_units(session, complaint, [data["unit"]])
        case "resolve_oral":  # step 5: outcome recorded, complaint closed
            complaint.oral_outcome = data["outcome"]
        case "register":  # step 6: TNDE agenda number; the disposition sheet follows
            complaint.agenda_number = data["agenda_number"]
            complaint.sifat = data["sifat"]
        case "dispose":  # step 7: the Head names the units and the instruction
            _set_units(session, complaint, data["units"])
            session.add(
                Disposition(
                    complaint_id=complaint.id,
                    instruction=data["instruction"],
                    note=note,
                    due_date=date.fromisoformat(data["due_date"]) if "due_date" in data else None,
                    unit_ids=data["units"],
                    created_by_id=actor.user_id,
                    created_at=now,
                )
            )
        case "submit_draft":  # step 8: a new round of the draft reply
            complaint.reply_body = data["reply_body"]
            complaint.draft_rounds += 1
            complaint.approved_at = None
        case "approve":  # step 9: paraf of the Head
            complaint.approved_at = now
        case "return_draft":  # step 9 -> 8: returned with a reason, paraf withdrawn
            complaint.approved_at = None
        case "sign":  # step 10: signed by the Secretary as PPID
            complaint.signed_at = now
            if data.get("letter_number"):
                complaint.letter_number = data["letter_number"]
        case "deliver":  # step 11
            complaint.delivered_at = now
            complaint.delivery_method = data["delivery_method"]
        case "archive":  # step 12
            complaint.archive_code = data["archive_code"]
            complaint.archive_location = data["archive_location"]
        case "meet" | "submit_online" | "receive" | "classify_written" | "convert_to_written":
            pass  # the move itself (and its event) is the whole effect
        case _:
            raise InvalidInput(f"Tindakan {act.key} tidak dikenal.")  # table/engine mismatch


def _next_seq(session: Session, complaint_id: int) -> int:
    last = session.scalar(
        select(func.max(StepEvent.seq)).where(StepEvent.complaint_id == complaint_id)
    )
    return (last or 0) + 1


def _attach(
    session: Session,
    complaint: Complaint,
    documents: Sequence[NewDocument],
    *,
    step: int,
    actor: Actor,
    now: datetime,
) -> list[Document]:
    rows = [
        Document(
            complaint_id=complaint.id,
            kind=doc.kind,
            filename=doc.filename,
            content_type=doc.content_type,
            size=len(doc.data),
            sha256=doc.sha256,
            data=doc.data,
            step=step,
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )
        for doc in documents
    ]
    for doc in documents:
        if doc.kind not in sop.DOCUMENT_KINDS:
            raise InvalidInput(f"Jenis dokumen {doc.kind} tidak dikenal.")
    session.add_all(rows)
    session.flush()
    return rows


def lock_complaint(session: Session, complaint_id: int) -> Complaint:
    """The complaint, freshly read under a row lock; ``NotFound`` when there is none."""
    # FOR UPDATE on PostgreSQL; SQLite already holds the write lock from BEGIN IMMEDIATE.
    complaint = session.execute(
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan.")
    return complaint


def apply_action(
    session: Session,
    *,
    complaint_id: int,
    action: str,
    actor: Actor,
    expected_version: int,
    payload: Mapping[str, Any] | None = None,
    documents: Sequence[NewDocument] = (),
    note: str | None = None,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> StepEvent:
    """Perform one SOP action inside the caller's transaction; the only state writer."""
    now = now or datetime.now(UTC)
    payload = payload or {}
    try:
        act = sop.action(action)
    except KeyError:
        raise InvalidInput(f"Tindakan \u201c{action}\u201d tidak ada dalam SOP.") from None

    # Locked so two people pressing the button at once are served one after the other:
    # the second then sees the new version below and is told who was first.
    complaint = lock_complaint(session, complaint_id)

    _check_version(session, complaint, expected_version)
    if complaint.current_step != act.at:
        raise WrongStep(
            f"Pengaduan {complaint.ticket} sedang di "
            f"{sop.step_label(complaint.current_step)}; tindakan \u201c{act.label}\u201d "
            f"hanya untuk langkah {act.at}."
        )
    _check_role_and_unit(actor, act, complaint)
    data = _clean_payload(session, act, payload)
    if note is not None and len(note) > MAX_LONGTEXT:
        raise InvalidInput(f"Catatan terlalu panjang (maksimal {MAX_LONGTEXT} karakter).")
    if act.key == "sign" and payload.get("letter_number"):
        data["letter_number"] = str(payload["letter_number"])

    attached = _attach(session, complaint, documents, step=act.at, actor=actor, now=now)
    missing = missing_requirements(session, complaint, act)
    if missing:
        labels = [sop.REQUIREMENTS[key].label for key in missing]
        raise MissingItem(
            f"Kelengkapan langkah {act.at} belum lengkap: " + "; ".join(labels) + ".",
            missing=tuple(missing),
        )

    calendar = calendar or load_calendar(session)
    step_def = sop.step(act.at)
    event = StepEvent(
        complaint_id=complaint.id,
        seq=_next_seq(session, complaint.id),
        step=act.at,
        action=act.key,
        to_step=act.to,
        actor_id=actor.user_id,
        actor_name=actor.name,
        role=sop.action_role(act).value,
        at=now,
        step_entered_at=complaint.step_entered_at,
        working_minutes=calendar.working_minutes(complaint.step_entered_at, now),
        standard_minutes=step_def.minutes,
        note=(note or "").strip() or None,
        payload={**data, "documents": [d.id for d in attached]},
    )
    session.add(event)

    # One flush for the whole change, so the version goes up by exactly one.
    with session.no_autoflush:
        _apply_effects(session, complaint, act, actor, data, now, event.note)
        complaint.current_step = act.to
        complaint.step_entered_at = now
        complaint.step_due_at = None if act.to is None else step_due_at(calendar, act.to, now)
        complaint.closed_at = now if act.to is None else None
        complaint.last_actor_id = actor.user_id
    try:
        # The UPDATE carries "WHERE version = <seen>" (version_id_col): a writer that
        # slipped past the lock (e.g. another process on a misconfigured database) makes
        # it match no row, and the whole transaction is rolled back.
        session.flush()
    except StaleDataError:
        raise StaleVersion(
            f"Pengaduan {complaint.ticket} baru saja diproses oleh pengguna lain. "
            "Muat ulang halaman."
        ) from None
    return event


def advance(
    *,
    complaint_id: int,
    action: str,
    user_id: int,
    expected_version: int,
    payload: Mapping[str, Any] | None = None,
    documents: Sequence[NewDocument] = (),
    note: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> Transition:
    """Perform one SOP action by a staff user in its own transaction."""
    with write_session(url) as session:
        actor = load_actor(session, user_id)
        event = apply_action(
            session,
            complaint_id=complaint_id,
            action=action,
            actor=actor,
            expected_version=expected_version,
            payload=payload,
            documents=documents,
            note=note,
            now=now,
        )
        # event.step is the step the action was taken at: apply_action checked it.
        return transition(session, event)


# --- creation: steps 1 and 2 -------------------------------------------------------


def next_counter(session: Session, name: str) -> int:
    """Next value of a named counter, atomic under concurrent writers on both databases."""
    bump = (
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is None:
        dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        value = session.execute(bump).scalar_one()
    return value


def new_pin() -> str:
    """A six-digit tracking PIN for the receipt; only its hash is stored."""
    return f"{secrets.randbelow(1_000_000):06d}"


def _clean_intake(data: IntakeData) -> None:
    problems = []
    try:
        data.channel = sop.Channel(data.channel)
    except ValueError:
        raise InvalidInput("Saluran pengaduan tidak dikenal.") from None
    for attr, label, limit in (
        ("subject", "Perihal", 300),
        ("body", "Isi pengaduan", MAX_LONGTEXT),
        ("category", "Kategori", 100),
    ):
        value = (getattr(data, attr) or "").strip()
        if not value:
            problems.append(label)
        elif len(value) > limit:
            raise InvalidInput(f"{label} terlalu panjang (maksimal {limit} karakter).")
        setattr(data, attr, value)
    if data.category and data.category not in sop.CATEGORIES:
        raise InvalidInput(f"Kategori \u201c{data.category}\u201d tidak dikenal.")
    if not data.anonymous and not (data.complainant_name or "").strip():
        problems.append("Nama pemohon (atau tandai anonim)")
    if problems:
        raise MissingItem("Data belum lengkap: " + ", ".join(problems) + ".", tuple(problems))
    for attr, limit in (
        ("complainant_name", 200),
        ("complainant_phone", 40),
        ("complainant_email", 200),
        ("complainant_address", 2000),
        ("guest_book_entry", 100),
    ):
        value = (getattr(data, attr) or "").strip() or None
        if value and len(value) > limit:
            raise InvalidInput(f"Isian {attr} terlalu panjang (maksimal {limit} karakter).")
        setattr(data, attr, value)
    validate.email_address(data.complainant_email, label="Alamat e-mail pemohon")
    validate.phone_number(data.complainant_phone, label="Nomor telepon/WhatsApp pemohon")
    if data.anonymous:
        data.complainant_name = None


@dataclass(frozen=True)
class Created:
    complaint_id: int
    ticket: str
    pin: str  # shown once, on the receipt; never stored in clear
    version: int


def create_complaint(
    session: Session,
    *,
    data: IntakeData,
    actor: Actor,
    documents: Sequence[NewDocument] = (),
    now: datetime | None = None,
    pin_hash: str | None = None,
) -> Created:
    """Record a new complaint and perform step 1 (and, at the front desk, step 2).

    At the front desk the complainant is present, so the officer records the arrival
    (step 1, "meet") and the receipt (step 2, "receive") in one save: the complaint
    then waits at step 3 for the hand-over. Online submissions perform step 1 as the
    complainant and wait at step 2 for the front desk to receive them.
    """
    now = now or datetime.now(UTC)
    _clean_intake(data)
    online = actor.roles == {Role.PEMOHON}
    if online and data.channel is not sop.Channel.ONLINE:
        raise InvalidInput("Pengaduan dari portal harus bersaluran online.")
    if not online and Role.PETUGAS not in actor.roles:
        raise WrongRole("Penerimaan pengaduan hanya dapat dilakukan oleh Petugas Pelayanan.")
    arrived_at = data.arrived_at or now
    met_at = data.met_at or now
    if arrived_at.tzinfo is None or met_at.tzinfo is None:
        raise InvalidInput("Waktu kedatangan harus lengkap dengan zona waktu.")
    if not arrived_at <= met_at <= now:
        raise InvalidInput(
            "Waktu kedatangan harus sebelum waktu bertemu petugas, dan keduanya tidak boleh "
            "di masa depan."
        )
    calendar = load_calendar(session)
    pin = new_pin()
    complaint = Complaint(
        ticket=ticket_number(now.year, next_counter(session, f"ticket-{now.year}")),
        tracking_pin_hash=pin_hash or PIN_HASHER.hash(pin),
        channel=data.channel.value,
        complainant_name=data.complainant_name,
        complainant_phone=data.complainant_phone,
        complainant_email=data.complainant_email,
        complainant_address=data.complainant_address,
        anonymous=data.anonymous,
        confidential=data.confidential,
        supervisory=data.supervisory,
        subject=data.subject,
        body=data.body,
        category=data.category,
        guest_book_entry=data.guest_book_entry,
        current_step=sop.FIRST_STEP,
        step_entered_at=arrived_at,
        step_due_at=step_due_at(calendar, sop.FIRST_STEP, arrived_at),
        arrived_at=arrived_at,
        received_at=now,
        last_actor_id=actor.user_id,
        created_at=now,
    )
    session.add(complaint)
    session.flush()
    # Attach the scanned letter and other files before step 2 checks for them.
    _attach(session, complaint, documents, step=sop.FIRST_STEP, actor=actor, now=now)
    first = "submit_online" if online else "meet"
    apply_action(
        session,
        complaint_id=complaint.id,
        action=first,
        actor=actor,
        expected_version=complaint.version,
        now=met_at if not online else now,
        calendar=calendar,
    )
    if not online:
        apply_action(
            session,
            complaint_id=complaint.id,
            action="receive",
            actor=actor,
            expected_version=complaint.version,
            now=now,
            calendar=calendar,
        )
    return Created(complaint.id, complaint.ticket, pin, complaint.version)


def intake(
    *,
    data: IntakeData,
    user_id: int | None,
    documents: Sequence[NewDocument] = (),
    now: datetime | None = None,
    url: str | None = None,
) -> Created:
    """Save a new complaint in one transaction (front desk, or ``user_id=None`` online)."""
    with write_session(url) as session:
        actor = PEMOHON if user_id is None else load_actor(session, user_id)
        return create_complaint(session, data=data, actor=actor, documents=documents, now=now)


def allowed_actions(session: Session, *, complaint: Complaint, actor: Actor) -> list[sop.Action]:
    """The actions this actor may take now: what the page offers as forms."""
    result = []
    for act in sop.actions_at(complaint.current_step):
        try:
            _check_role_and_unit(actor, act, complaint)
        except (WrongRole, WrongUnit):
            continue
        result.append(act)
    return result


__all__ = [
    "PEMOHON",
    "Actor",
    "Created",
    "IntakeData",
    "NewDocument",
    "Transition",
    "advance",
    "allowed_actions",
    "apply_action",
    "create_complaint",
    "intake",
    "load_actor",
    "missing_requirements",
    "next_counter",
]

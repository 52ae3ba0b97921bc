"""The one door: the only function that changes a complaint's state is ``perform``.

``perform`` checks, in this order: the actor exists and is active, the action belongs
to the current step, the actor holds the action's role (and, for unit work, belongs to
an assigned unit), the version the actor saw is still current, the step's required items
are present on entry and the payload is well formed. Then the action's hook (if the SOP
table names one) produces what leaves the office, the declared effects are applied, the
action's own required items are checked on the result, and one hash-chained
``StepEvent`` is appended, all in one transaction. Any refusal raises a
``layanan.errors.WorkflowError`` subclass whose message is shown to the user; nothing
is written. Everything an action does is declared on its row of ``layanan.sop``: this
module knows no step number and no action key.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.counters import next_counter
from db.engine import write_session
from db.models import LONG_TEXT, Complaint, Disposition, Document, StepEvent, Unit
from layanan import sop, validate
from layanan.calendar import OFFICE_TZ, WorkingCalendar, office_today
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
from services.pins import PIN_HASHER, new_pin

log = logging.getLogger("layanan.workflow")

MAX_TEXT = 500  # a one-line field that no complaint attribute holds (none today)
MAX_LONGTEXT = LONG_TEXT
NOTE_LABEL = "Catatan"  # the action form's "Catatan (opsional)"

# The intake form's labels, by ``IntakeData`` attribute: refusals name the field as the
# front desk sees it (the portal passes its own, ``services.portal.FORM_LABELS``).
INTAKE_LABELS: dict[str, str] = {
    "subject": "Perihal",
    "body": "Isi pengaduan",
    "category": "Kategori",
    "complainant_name": "Nama pengadu",
    "complainant_phone": "Nomor telepon/WhatsApp",
    "complainant_email": "Pos-el",
    "complainant_address": "Alamat",
    "complainant_city": "Kota/kabupaten",
    "guest_book_entry": "Entri buku tamu",
    "incoming_letter_number": "Nomor surat",
    "incoming_letter_date": "Tanggal surat",
    "anonymous": "Anonim",
    "confidential": "Rahasia",
    "supervisory": "Berkadar pengawasan",
}
# IntakeData attributes typed by a person, each stored in the complaint column of its name.
INTAKE_TEXTS = (
    "subject",
    "body",
    "category",
    "complainant_name",
    "complainant_phone",
    "complainant_email",
    "complainant_address",
    "complainant_city",
    "guest_book_entry",
    "incoming_letter_number",
)
INTAKE_FLAGS = ("anonymous", "confidential", "supervisory")


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
    """What ``perform`` did, for the page to confirm."""

    complaint_id: int
    ticket: str
    from_step: int
    to_step: int | None
    version: int
    event_id: int


def transition(session: Session, event: StepEvent) -> Transition:
    """What ``event`` did to its complaint (read after ``_apply``), for the page."""
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
    complainant_city: str | None = None  # kota/kabupaten: the reply letter's "di ..."
    anonymous: bool = False
    confidential: bool = False
    supervisory: bool = False
    guest_book_entry: str | None = None
    # The incoming letter's own number and date (paper channels only).
    incoming_letter_number: str | None = None
    incoming_letter_date: date | None = None
    arrived_at: datetime | None = None  # step 1: when the complainant came / called
    met_at: datetime | None = None  # step 1 done: when the officer met them
    extra: dict[str, Any] = field(default_factory=dict)


# --- hooks: what leaves the office, registered by the services that produce it -------

# Modules whose import registers the hooks the SOP table names (``Action.hook``) and the
# teller of the complainant messages an action declares (``Action.tells``).
HOOK_MODULES = ("services.reply_letter", "services.delivery", "services.complainant_messages")


@dataclass
class HookContext:
    """What a hook sees and may add to, inside the action's transaction."""

    session: Session
    complaint: Complaint  # locked
    action: sop.Action
    actor: Actor
    data: dict[str, Any]  # the cleaned payload; keys a hook adds go into the event
    documents: list[NewDocument]  # files attached with the action; a hook may add
    now: datetime
    calendar: WorkingCalendar
    hook_input: Mapping[str, Any]  # what a trusted caller (the outbox sender) passes
    after_event: list[Callable[[StepEvent], None]] = field(default_factory=list)


Hook = Callable[[HookContext], None]
_HOOKS: dict[str, Hook] = {}
_hooks_loaded = False
# Writes the outbox rows of an action's ``tells`` in the action's transaction, after its
# event is flushed (so the rows carry the event's id); registered by
# services.complainant_messages.
Teller = Callable[[HookContext, StepEvent], None]
_TELLERS: list[Teller] = []


def teller(fn: Teller) -> Teller:
    """Register ``fn`` to write the complainant messages an action ``tells``."""
    _TELLERS.append(fn)
    return fn


def hook(name: str) -> Callable[[Hook], Hook]:
    """Register ``fn`` as the hook the SOP table names ``name``."""

    def register(fn: Hook) -> Hook:
        _HOOKS[name] = fn
        return fn

    return register


def hooks_for(table: sop.SopTable) -> dict[str, Hook]:
    """The registered hook of every action of ``table`` that names one; refuses a
    table that names a hook no service registers."""
    global _hooks_loaded
    if not _hooks_loaded:
        for module in HOOK_MODULES:
            importlib.import_module(module)
        _hooks_loaded = True
    named = {a.hook for a in table.actions if a.hook}
    unknown = sorted(named - set(_HOOKS))
    if unknown:
        raise sop.InvalidTable(f"hooks named by the SOP table but not registered: {unknown}")
    return {name: _HOOKS[name] for name in named}


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
    """Refuse an action taken on a version the user no longer sees, saying what happened."""
    if complaint.version == expected_version:
        return
    last = session.execute(
        select(StepEvent.actor_name, StepEvent.at, StepEvent.action)
        .where(StepEvent.complaint_id == complaint.id)
        .order_by(StepEvent.seq.desc())
        .limit(1)
    ).first()
    now_at = f"pengaduan kini di {sop.step_label(complaint.current_step)}"
    if last is None:
        raise StaleVersion(
            f"Pengaduan {complaint.ticket} baru saja diubah oleh pengguna lain; {now_at}. "
            "Tindakan Anda tidak dicatat.",
            acted_by="pengguna lain",
        )
    act = sop.table().by_key.get(last.action)
    label = act.label if act else last.action
    raise StaleVersion(
        f"{last.actor_name} sudah lebih dulu mengerjakan \u201c{label}\u201d pada pengaduan "
        f"{complaint.ticket} ({tanggal_jam(last.at)}); {now_at}. Tindakan Anda tidak dicatat.",
        acted_by=last.actor_name,
    )


def _has_document(session: Session, complaint_id: int, kind: str) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Document.complaint_id == complaint_id, Document.kind == kind))
        )
    )


def requirement_met(session: Session, complaint: Complaint, key: str) -> bool:
    """Whether the complaint has the required item ``key`` (``sop.REQUIREMENTS``)."""
    req = sop.REQUIREMENTS[key]
    for attribute in req.columns:
        value = getattr(complaint, attribute)
        if not (value.strip() if isinstance(value, str) else value):
            return False
    if req.documents_for is not None and complaint.channel not in req.documents_for:
        return True
    return all(_has_document(session, complaint.id, kind) for kind in req.documents)


def step_requirements(session: Session, complaint: Complaint) -> dict[str, bool]:
    """The current step's required items (kelengkapan on entry), each met or not."""
    if complaint.current_step is None:
        return {}
    keys = sop.step(complaint.current_step).requires
    return {k: requirement_met(session, complaint, k) for k in keys}


def missing_requirements(session: Session, complaint: Complaint, act: sop.Action) -> list[str]:
    """Keys of the required items an action still lacks: the step's, then its own."""
    needed = dict.fromkeys((*sop.step(act.at).requires, *act.requires))
    return [key for key in needed if not requirement_met(session, complaint, key)]


def _refuse_missing(act: sop.Action, missing: Sequence[str]) -> None:
    if missing:
        labels = [sop.REQUIREMENTS[key].label for key in missing]
        raise MissingItem(
            f"Kelengkapan langkah {act.at} belum lengkap: " + "; ".join(labels) + ".",
            missing=tuple(missing),
        )


def _clean_payload(session: Session, act: sop.Action, payload: Mapping[str, Any]) -> dict:
    """Check every field the action declares; refuse undeclared keys and empty required
    fields; return JSON-safe values."""
    declared = (*act.fields, *act.optional_fields)
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"Isian tindakan \u201c{act.label}\u201d tidak valid.")
    undeclared = [key for key in payload if key not in declared]
    if undeclared:
        # Named by their labels when they are fields of the table; a key is never
        # repeated back as it was sent.
        known = [sop.FIELDS[k].label for k in undeclared if isinstance(k, str) and k in sop.FIELDS]
        raise InvalidInput(
            f"Tindakan \u201c{act.label}\u201d tidak menerima isian"
            + (f": {', '.join(sorted(known))}." if len(known) == len(undeclared) else " itu.")
        )
    cleaned: dict[str, Any] = {}
    problems: list[str] = []
    for key in declared:
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


def field_limit(key: str) -> int:
    """The most characters a text field of the SOP table takes: the length of the complaint
    column its actions copy it into (``Action.sets``; the shortest if several), else, kept
    only in the event's payload, that of the event's note (long text) or ``MAX_TEXT``."""
    spec = sop.FIELDS[key]
    if spec.kind == "email":
        return validate.MAX_EMAIL
    columns = Complaint.__table__.c
    limits = [
        validate.column_limit(columns[attribute])
        for act in sop.table().actions
        for field_key, attribute in act.sets
        if field_key == key and attribute in columns
    ]
    limits = [limit for limit in limits if limit]
    if limits:
        return min(limits)
    return validate.column_limit(StepEvent.note) if spec.kind == "longtext" else MAX_TEXT


def _clean_value(session: Session, spec: sop.Field, value: Any) -> Any:
    if spec.kind in ("text", "longtext", "email"):
        text = validate.text(value, label=spec.label, max_length=field_limit(spec.key))
        if not text:
            raise MissingItem(f"Kelengkapan belum diisi: {spec.label}.", missing=(spec.label,))
        if spec.kind == "email":
            return validate.email_address(text, label=spec.label)
        return text
    if spec.kind in ("unit", "units"):
        if spec.kind == "units" and not isinstance(value, list | tuple | set | frozenset):
            raise InvalidInput(f"{spec.label}: pilih unit dari daftar.")
        try:
            ids = sorted(
                {
                    validate.integer(i, label=spec.label)
                    for i in ([value] if spec.kind == "unit" else value)
                }
            )
        except InvalidInput:
            raise InvalidInput(f"{spec.label}: unit tidak dikenal atau tidak aktif.") from None
        found = set(session.scalars(select(Unit.id).where(Unit.id.in_(ids), Unit.active.is_(True))))
        if not ids or found != set(ids):
            raise InvalidInput(f"{spec.label}: unit tidak dikenal atau tidak aktif.")
        return ids[0] if spec.kind == "unit" else ids
    if spec.kind == "choice":
        # Not repeated back: the value may be anything a client sent.
        if not isinstance(value, str) or value not in spec.choices:
            raise InvalidInput(
                f"{spec.label}: pilihan tidak dikenal; pilih salah satu dari daftar."
            )
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
    if spec.kind == "flag":  # a tick that may be given either way
        if not isinstance(value, bool):
            raise InvalidInput(f"{spec.label} harus dicentang atau tidak dicentang.")
        return value
    raise InvalidInput(f"{spec.label}: jenis isian tidak dikenal.")  # table error


# --- the declared effects of an action (``sop.Action``) ------------------------------


def _set_attribute(session: Session, complaint: Complaint, attribute: str, value: Any) -> None:
    if attribute == "units":  # a unit (oral path) or units (disposition) assigned
        ids = value if isinstance(value, list) else [value]
        complaint.units = list(session.scalars(select(Unit).where(Unit.id.in_(ids))))
    else:
        setattr(complaint, attribute, value)


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
    for field_key, attribute in act.sets:
        if field_key in data:
            _set_attribute(session, complaint, attribute, data[field_key])
    for attribute in act.stamps:
        setattr(complaint, attribute, now)
    for attribute in act.clears:
        setattr(complaint, attribute, None)
    for attribute in act.counts:
        setattr(complaint, attribute, (getattr(complaint, attribute) or 0) + 1)
    if "disposition" in act.records:  # the Head's routing instruction (SOP step 7)
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
    for doc in documents:
        if doc.kind not in sop.DOCUMENT_KINDS:
            raise InvalidInput(f"Jenis dokumen {doc.kind} tidak dikenal.")
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


def _apply(
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
    hook_input: Mapping[str, Any] | None = None,
) -> StepEvent:
    """Perform one SOP action inside the caller's transaction (see the module doc)."""
    now = now or datetime.now(UTC)
    payload = payload or {}
    try:
        act = sop.action(action)
    except KeyError:
        raise InvalidInput(f"Tindakan \u201c{action}\u201d tidak ada dalam SOP.") from None
    hooks = hooks_for(sop.table())

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
    note = validate.text(note, label=NOTE_LABEL, max_length=validate.column_limit(StepEvent.note))
    # Entry requirements of the step; an upload given with the action may supply one.
    upload = act.upload
    given = {upload.satisfies for d in documents if upload and d.kind == upload.kind}
    entry = [k for k in sop.step(act.at).requires if k not in given]
    _refuse_missing(act, [k for k in entry if not requirement_met(session, complaint, k)])

    calendar = calendar or load_calendar(session)
    ctx = HookContext(
        session=session,
        complaint=complaint,
        action=act,
        actor=actor,
        data=data,
        documents=list(documents),
        now=now,
        calendar=calendar,
        hook_input=hook_input or {},
    )
    if act.hook:
        hooks[act.hook](ctx)
    attached = _attach(session, complaint, ctx.documents, step=act.at, actor=actor, now=now)

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
        note=note,
        payload={**data, "documents": [d.id for d in attached]},
    )
    # One flush for the whole change, so the version goes up by exactly one.
    with session.no_autoflush:
        _apply_effects(session, complaint, act, actor, data, now, event.note)
        if act.moves:  # an action that stays (send_email) keeps the step's clock running
            complaint.current_step = act.to
            complaint.step_entered_at = now
            complaint.step_due_at = None if act.to is None else step_due_at(calendar, act.to, now)
            complaint.closed_at = now if act.to is None else None
        complaint.last_actor_id = actor.user_id
        # The action's own required items hold on the result: ``sign`` is refused unless
        # its hook numbered the letter and froze it (no caller can sign without them).
        _refuse_missing(
            act, [k for k in act.requires if not requirement_met(session, complaint, k)]
        )
    session.add(event)
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
    for after in ctx.after_event:
        after(event)
    if act.tells:
        for tell in _TELLERS:
            tell(ctx, event)
    _announce_after_commit(session, event, complaint, actor)
    return event


# --- what an action tells operations: one log line and one count, after commit ------

_PERFORMED_KEY = "layanan_performed"


def _announce_after_commit(
    session: Session, event: StepEvent, complaint: Complaint, actor: Actor
) -> None:
    """Queue the action's log line and metric for when its transaction commits.

    Not now: the caller's transaction (or the outbox sender's) may still roll back, and
    an action that did not happen must not be counted. Only operational fields: the
    ticket and who acted, never the complainant or the complaint's text (services.logs).
    """
    fields = {
        "event": "action",
        # load_actor's (every page and the sender act by user id); None for the
        # complainant acting online (roles say pemohon) and for Actors built by seeding.
        "user": actor.username,
        "user_id": actor.user_id,
        "roles": sorted(r.value for r in actor.roles),
        "role": event.role,
        "ticket": complaint.ticket,
        "complaint_id": complaint.id,
        "step": event.step,
        "action": event.action,
        "to_step": event.to_step,
    }
    session.info.setdefault(_PERFORMED_KEY, []).append(fields)


@sa_event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    """After the outermost commit of any session: report the actions it performed."""
    performed = session.info.pop(_PERFORMED_KEY, None)
    if not performed:
        return
    from services import metrics

    for fields in performed:
        try:
            metrics.count_action(step=fields["step"], action=fields["action"])
            log.info(
                "%s: %s at step %s",
                fields["ticket"],
                fields["action"],
                fields["step"],
                extra=fields,
            )
        except Exception:  # the action is committed; reporting it must not fail it
            log.exception("could not report a committed action")


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PERFORMED_KEY, None)


def perform(
    *,
    complaint_id: int,
    action: str,
    expected_version: int,
    actor: Actor | None = None,
    user_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    documents: Sequence[NewDocument] = (),
    note: str | None = None,
    now: datetime | None = None,
    session: Session | None = None,
    hook_input: Mapping[str, Any] | None = None,
    calendar: WorkingCalendar | None = None,
    url: str | None = None,
) -> Transition:
    """Perform one SOP action: the only way a complaint's state changes.

    The actor is a staff user (``user_id``, loaded and checked active) or an ``Actor``.
    Without ``session`` the action is its own transaction, committed on return; with
    one it joins the caller's (the outbox sender records a delivery with its message).
    ``calendar`` spares reloading the office calendar when many actions run at once.
    """
    if (actor is None) == (user_id is None):
        raise TypeError("perform takes exactly one of actor and user_id")

    def run(s: Session) -> Transition:
        who = actor if actor is not None else load_actor(s, user_id)
        event = _apply(
            s,
            complaint_id=complaint_id,
            action=action,
            actor=who,
            expected_version=expected_version,
            payload=payload,
            documents=documents,
            note=note,
            now=now,
            calendar=calendar,
            hook_input=hook_input,
        )
        return transition(s, event)

    if session is not None:
        return run(session)
    with write_session(url) as own:
        return run(own)


# --- creation: steps 1 and 2 -------------------------------------------------------


def _clean_intake(data: IntakeData, labels: Mapping[str, str] = INTAKE_LABELS) -> None:
    """Check and clean what intake recorded, naming each field by ``labels``; every text
    is held to the length of the complaint column it is stored in."""
    try:
        data.channel = sop.Channel(data.channel)
    except ValueError:
        raise InvalidInput("Saluran pengaduan tidak dikenal.") from None
    for attr in INTAKE_TEXTS:
        limit = validate.column_limit(getattr(Complaint, attr))
        setattr(
            data, attr, validate.text(getattr(data, attr), label=labels[attr], max_length=limit)
        )
    for attr in INTAKE_FLAGS:
        setattr(data, attr, validate.flag(getattr(data, attr), label=labels[attr]))
    for attr in ("arrived_at", "met_at"):
        if getattr(data, attr) is not None and not isinstance(getattr(data, attr), datetime):
            raise InvalidInput("Waktu kedatangan tidak valid.")
    problems = [labels[attr] for attr in ("subject", "body", "category") if not getattr(data, attr)]
    if data.category and data.category not in sop.CATEGORIES:
        raise InvalidInput(f"{labels['category']} tidak dikenal; pilih salah satu dari daftar.")
    if not data.anonymous and not data.complainant_name:
        problems.append(f"{labels['complainant_name']} (atau tandai anonim)")
    if problems:
        raise MissingItem("Data belum lengkap: " + ", ".join(problems) + ".", tuple(problems))
    validate.email_address(data.complainant_email, label=labels["complainant_email"])
    validate.phone_number(data.complainant_phone, label=labels["complainant_phone"])
    _check_incoming_letter(data, labels)
    if data.anonymous:
        data.complainant_name = None


@dataclass(frozen=True)
class Created:
    complaint_id: int
    ticket: str
    pin: str  # shown once, on the receipt; never stored in clear
    version: int


def _check_incoming_letter(data: IntakeData, labels: Mapping[str, str]) -> None:
    """The incoming letter's number and date: only for letters, the date a calendar
    date that is neither in the future nor after the letter arrived."""
    when = data.incoming_letter_date
    number_label, date_label = labels["incoming_letter_number"], labels["incoming_letter_date"]
    if (data.incoming_letter_number or when is not None) and (
        data.channel not in sop.PAPER_CHANNELS
    ):
        raise InvalidInput(
            f"{number_label} dan {date_label} hanya diisi untuk pengaduan yang datang "
            "sebagai surat (surat atau kotak pengaduan)."
        )
    if when is None:
        return
    if isinstance(when, datetime) or not isinstance(when, date):
        raise InvalidInput(f"{date_label} tidak valid: pilih tanggal pada kalender.")
    today = office_today()
    arrived = data.arrived_at.astimezone(OFFICE_TZ).date() if data.arrived_at else today
    if when > today:
        raise InvalidInput(f"{date_label} tidak boleh di masa depan.")
    if when > arrived:
        raise InvalidInput(f"{date_label} tidak boleh sesudah tanggal surat diterima.")


def create_complaint(
    session: Session,
    *,
    data: IntakeData,
    actor: Actor,
    documents: Sequence[NewDocument] = (),
    now: datetime | None = None,
    pin_hash: str | None = None,
    labels: Mapping[str, str] = INTAKE_LABELS,
) -> Created:
    """Record a new complaint and perform step 1 (and, at the front desk, step 2).

    At the front desk the complainant is present, so the officer records the arrival
    (step 1, "meet") and the receipt (step 2, "receive") in one save: the complaint
    then waits at step 3 for the hand-over. Online submissions perform step 1 as the
    complainant and wait at step 2 for the front desk to receive them.
    """
    now = now or datetime.now(UTC)
    _clean_intake(data, labels)
    online = actor.roles == {Role.PEMOHON}
    if online and data.channel is not sop.Channel.ONLINE:
        raise InvalidInput("Pengaduan dari portal harus tercatat dengan saluran Daring (portal).")
    # Who may take a complaint in is the role of the first step's actions (checked by
    # the engine below, before anything is kept).
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
        complainant_city=data.complainant_city,
        anonymous=data.anonymous,
        confidential=data.confidential,
        supervisory=data.supervisory,
        subject=data.subject,
        body=data.body,
        category=data.category,
        guest_book_entry=data.guest_book_entry,
        incoming_letter_number=data.incoming_letter_number,
        incoming_letter_date=data.incoming_letter_date,
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
    for act, at in _intake_actions(online=online, met_at=met_at, now=now):
        _apply(
            session,
            complaint_id=complaint.id,
            action=act.key,
            actor=actor,
            expected_version=complaint.version,
            now=at,
            calendar=calendar,
        )
    return Created(complaint.id, complaint.ticket, pin, complaint.version)


def _intake_actions(
    *, online: bool, met_at: datetime, now: datetime
) -> list[tuple[sop.Action, datetime]]:
    """The actions a new complaint's save performs, with their times: online, the
    complainant's own action at the first step; at the desk, the officer's first-step
    action and the next step's (the complainant is present: SOP steps 1 and 2)."""
    table = sop.table()
    first = next(
        a
        for a in table.actions_at(table.first_step)
        if (table.action_role(a) is Role.PEMOHON) == online
    )
    if online:
        return [(first, now)]
    second = next(a for a in table.actions_at(first.to) if a.moves and not a.secondary)
    return [(first, met_at), (second, now)]


def intake(
    *,
    data: IntakeData,
    user_id: int | None,
    documents: Sequence[NewDocument] = (),
    now: datetime | None = None,
    url: str | None = None,
    labels: Mapping[str, str] = INTAKE_LABELS,
) -> Created:
    """Save a new complaint in one transaction (front desk, or ``user_id=None`` online);
    ``labels`` name the fields in refusals as the form shows them."""
    with write_session(url) as session:
        actor = PEMOHON if user_id is None else load_actor(session, user_id)
        return create_complaint(
            session, data=data, actor=actor, documents=documents, now=now, labels=labels
        )


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
    "Created",
    "HookContext",
    "IntakeData",
    "NewDocument",
    "Transition",
    "allowed_actions",
    "create_complaint",
    "hook",
    "intake",
    "missing_requirements",
    "perform",
    "step_requirements",
]

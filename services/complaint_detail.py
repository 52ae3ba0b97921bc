"""The read model of the complaint page: facts, clocks, documents, timeline, forms.

``complaint_detail`` checks the viewer (``services.authz``), masks the identity where
the viewer may not see it (``services.identity``), lists the forms the SOP table offers
this viewer now (``workflow.allowed_actions``) and logs the view of a *rahasia*
complaint.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Complaint, Document, StepEvent, Unit, User
from layanan import sop
from layanan.clocks import regulatory_clocks
from layanan.errors import NotFound
from layanan.sop import Role
from layanan.text import tanggal, tanggal_jam
from services import authz, workflow
from services.calendar_settings import load_calendar, load_standards
from services.complaint_lists import step_status, working_days_left, working_minutes_left
from services.identity import (
    HIDDEN,
    Redactor,
    disclosure,
    log_confidential_view,
)

FORM_LABELS = {sop.Form.LISAN.value: "Lisan", sop.Form.TERTULIS.value: "Tertulis"}


# --- the complaint page -------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    name: str | None
    phone: str | None
    email: str | None
    address: str | None


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    kind: str
    kind_label: str
    filename: str
    content_type: str
    size: int
    step: int | None
    uploaded_at: datetime
    uploaded_by: str | None


@dataclass(frozen=True)
class PayloadItem:
    label: str
    value: str
    long: bool = False  # a paragraph (draft text, outcome), not a short value


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    step: int
    step_name: str
    action: str
    action_label: str
    to_label: str
    actor_name: str
    role_label: str
    at: datetime
    working_minutes: int
    standard_minutes: int
    note: str | None
    items: tuple[PayloadItem, ...]
    draft_round: int | None = None  # submit_draft: which round of the reply
    returned: bool = False  # a draft returned by the Head (return_draft)

    @property
    def late(self) -> bool:
        return self.working_minutes > self.standard_minutes


@dataclass(frozen=True)
class StepClock:
    step: int
    due_at: datetime
    minutes_left: int
    standard_minutes: int
    status: str


@dataclass(frozen=True)
class RegulatoryClockView:
    key: str
    label: str
    due_at: datetime
    done_at: datetime | None
    status: str  # "tepat waktu", "terlambat" or "berjalan" (layanan.clocks.Clock.state)
    days_left: float | None  # working days while running; negative once overdue


@dataclass(frozen=True)
class RequirementStatus:
    key: str
    label: str
    met: bool


@dataclass(frozen=True)
class FieldDefault:
    """What a form field starts with, and where that value came from (shown under it)."""

    key: str
    value: Any
    source: str


@dataclass(frozen=True)
class ReturnedDraft:
    """The Head's last return of the draft: why, who, when, and which round."""

    reason: str
    actor_name: str
    at: datetime
    draft_round: int


@dataclass(frozen=True)
class DiffPart:
    """A piece of the difference between two drafts: "same", "insert" or "delete"."""

    op: str
    text: str


@dataclass(frozen=True)
class ActionSpec:
    """A form the page offers: one SOP action this user may take now."""

    key: str
    label: str
    to_label: str
    fields: tuple[sop.Field, ...]
    optional_fields: tuple[sop.Field, ...]
    missing: tuple[RequirementStatus, ...]  # required items the complaint still lacks
    upload_kind: str | None = None
    upload_label: str | None = None
    upload_required: bool = False
    upload_satisfies: str | None = None  # the requirement the upload supplies
    hook: str | None = None  # the named hook of an action whose output leaves the office
    secondary: bool = False  # the alternative way out of the step (return, convert)
    defaults: tuple[FieldDefault, ...] = ()  # values known already (intake, last draft)
    confirm: str | None = None  # an action of ticks only (paraf): the question to confirm

    def default(self, key: str) -> FieldDefault | None:
        return next((d for d in self.defaults if d.key == key), None)


@dataclass(frozen=True)
class ComplaintDetail:
    id: int
    ticket: str
    version: int
    channel: str
    channel_label: str
    category: str
    subject: str
    body: str
    form_label: str
    current_step: int | None
    step_label: str
    arrived_at: datetime
    received_at: datetime
    closed_at: datetime | None
    anonymous: bool
    confidential: bool
    supervisory: bool
    identity_visible: bool
    identity: Identity | None  # None when anonymous or hidden from this user
    guest_book_entry: str | None
    agenda_number: str | None
    sifat: str | None
    units: tuple[str, ...]
    reply_body: str | None
    draft_rounds: int
    approved_at: datetime | None
    signed_at: datetime | None
    letter_number: str | None
    delivered_at: datetime | None
    delivery_label: str | None
    archive_code: str | None
    archive_location: str | None
    oral_outcome: str | None
    documents: tuple[DocumentInfo, ...]
    hidden_documents: int  # withheld with the identity of a rahasia complaint
    timeline: tuple[TimelineEntry, ...]
    step_clock: StepClock | None
    regulatory: tuple[RegulatoryClockView, ...]
    requirements: tuple[RequirementStatus, ...]  # the current step's kelengkapan
    actions: tuple[ActionSpec, ...]
    unit_options: tuple[tuple[int, str], ...]
    viewer_roles: frozenset[Role]
    works_on_reply: bool = False  # the current step works on the reply letter (template)
    returned_draft: ReturnedDraft | None = None  # the draft is back with the unit
    draft_changes: tuple[DiffPart, ...] | None = None  # a redraft: changes since returned

    @property
    def closed(self) -> bool:
        return self.current_step is None

    @property
    def previews_letter(self) -> bool:
        """The page shows the reply letter as it will print: a draft being written,
        reviewed or signed (once signed, the frozen letter is downloaded as it is)."""
        return self.works_on_reply and bool(self.reply_body) and self.signed_at is None


# Values a hook of services/delivery.py adds to an event beside the SOP fields, by the
# label the user reads; None: not shown (an internal row id). A key missing here would
# show its column name, in English.
HOOK_LABELS: dict[str, str | None] = {
    "message_id": "ID pesan pos-el",
    "outbox_message_id": None,
    "phone": "Nomor WhatsApp",
    "received_by": "Nama penerima surat",
}


def _payload_items(
    payload: dict[str, Any],
    *,
    units: dict[int, str],
    filenames: dict[int, str],
    redact: Redactor,
) -> tuple[PayloadItem, ...]:
    """An event's values in plain Indonesian: unit names, dates, labels."""
    items = []
    for key, value in payload.items():
        if key == "documents":
            if value:
                names = [filenames.get(i, HIDDEN) for i in value]
                items.append(PayloadItem("Dokumen", ", ".join(names)))
            continue
        if key == "letter_number":
            items.append(PayloadItem("Nomor surat", str(value)))
            continue
        spec = sop.FIELDS.get(key)
        if spec is None and key in HOOK_LABELS:
            if HOOK_LABELS[key] is not None:
                items.append(PayloadItem(HOOK_LABELS[key], redact(str(value)) or ""))
            continue
        label = spec.label if spec else key.replace("_", " ").capitalize()
        kind = spec.kind if spec else "text"
        if kind == "unit":
            text = units.get(int(value), f"unit {value}")
        elif kind == "units":
            text = ", ".join(units.get(int(v), f"unit {v}") for v in value)
        elif kind == "date":
            try:
                text = tanggal(date.fromisoformat(str(value)))
            except ValueError:
                text = str(value)
        elif kind == "bool":
            text = "Ya" if value else "Tidak"
        elif kind == "choice" and spec.choice_labels:
            text = dict(spec.choice_labels).get(str(value), str(value))
        else:
            text = redact(str(value)) or ""
        items.append(PayloadItem(label, text, long=kind == "longtext"))
    return tuple(items)


def _timeline(
    events: list[StepEvent],
    *,
    units: dict[int, str],
    filenames: dict[int, str],
    redact: Redactor,
) -> tuple[TimelineEntry, ...]:
    entries = []
    rounds = 0
    for event in events:
        act = sop.ACTION_BY_KEY.get(event.action)
        draft_round = None
        if act is not None and "draft_rounds" in act.counts:
            rounds += 1
            draft_round = rounds
        entries.append(
            TimelineEntry(
                seq=event.seq,
                step=event.step,
                step_name=sop.step(event.step).name,
                action=event.action,
                action_label=act.label if act else event.action,
                to_label=sop.step_label(event.to_step),
                actor_name=event.actor_name,
                role_label=sop.ROLE_LABELS.get(Role(event.role), event.role),
                at=event.at,
                working_minutes=event.working_minutes,
                standard_minutes=event.standard_minutes,
                note=redact(event.note),
                items=_payload_items(
                    dict(event.payload or {}), units=units, filenames=filenames, redact=redact
                ),
                draft_round=draft_round,
                returned=act is not None and act.secondary and "approved_at" in act.clears,
            )
        )
    return tuple(entries)


def _draft_round(event: StepEvent, rounds: int) -> int:
    act = sop.table().by_key.get(event.action)
    return rounds + 1 if act is not None and "draft_rounds" in act.counts else rounds


def _is_return(event: StepEvent) -> bool:
    """A draft returned by the Head: the secondary way out that takes back the paraf."""
    act = sop.table().by_key.get(event.action)
    return act is not None and act.secondary and "approved_at" in act.clears


def _set_defaults(
    complaint: Complaint,
    act: sop.Action,
    *,
    events: list[StepEvent],
    redact: Redactor,
) -> list[FieldDefault]:
    """A field the action copies into the complaint starts from what is stored there:
    the guest-book entry typed at intake, the last draft of a returned reply."""
    defaults = []
    for key, attribute in act.sets:
        value = getattr(complaint, attribute, None)
        if not isinstance(value, str) or not value.strip() or redact(value) != value:
            continue  # nothing known, or it holds identity this viewer may not see
        source = None
        rounds = 0
        for event in events:
            rounds = _draft_round(event, rounds)
            if (event.payload or {}).get(key) == value:
                by = f"{event.actor_name}, {tanggal_jam(event.at)}"
                if "draft_rounds" in sop.table().by_key[event.action].counts:
                    source = f"Diisi dari draf ke-{rounds} ({by}); ubah bagian yang diminta."
                else:
                    source = f"Diisi dari {sop.table().by_key[event.action].label} ({by})."
        if source is None:
            first = events[0].actor_name if events else "petugas"
            source = (
                f"Diisi dari penerimaan pengaduan ({first}, "
                f"{tanggal_jam(complaint.received_at)}); periksa sebelum menyimpan."
            )
        defaults.append(FieldDefault(key, value, source))
    return defaults


def _delivery_defaults(act: sop.Action, identity: Identity | None) -> list[FieldDefault]:
    """Step 11: the addresses and the receiver recorded at intake, where the viewer may
    see them (the delivery hooks take them as input: ``ui.delivery``)."""
    if identity is None or act.hook not in ("deliver", "queue_email"):
        return []
    known = {
        "recipient_email": identity.email,
        "phone": identity.phone,
        "received_by": identity.name,
    }
    wanted = ("recipient_email",) if act.hook == "queue_email" else ("phone", "received_by")
    return [
        FieldDefault(k, known[k], "Diisi dari data pengadu saat penerimaan.")
        for k in wanted
        if known[k]
    ]


def _confirm(act: sop.Action) -> str | None:
    """An action asking only ticks (the Head's paraf) is one click and a confirmation."""
    fields = [sop.FIELDS[k] for k in act.fields]
    if not fields or any(f.kind != "bool" for f in fields) or act.optional_fields:
        return None
    label = fields[0].label
    return f"Bubuhkan {label[:1].lower()}{label[1:]}?"


def _returned_and_changes(
    complaint: Complaint, events: list[StepEvent], *, redact: Redactor
) -> tuple[ReturnedDraft | None, tuple[DiffPart, ...] | None]:
    """The Head's reason when the draft is back with the unit, and, once redrafted, what
    changed since the returned round (word by word)."""
    rounds = 0
    returned: ReturnedDraft | None = None
    returned_text: str | None = None
    last_text: str | None = None
    for event in events:
        rounds = _draft_round(event, rounds)
        payload = event.payload or {}
        if _draft_round(event, 0):
            last_text = payload.get("reply_body")
        if _is_return(event):
            returned = ReturnedDraft(
                reason=redact(payload.get("reason")) or "",
                actor_name=event.actor_name,
                at=event.at,
                draft_round=rounds,
            )
            returned_text = last_text
    if not events or returned is None:
        return None, None
    latest = events[-1]
    if _is_return(latest):
        return returned, None
    if _draft_round(latest, 0) and returned_text is not None and complaint.reply_body:
        return returned, draft_diff(redact(returned_text) or "", redact(complaint.reply_body) or "")
    return None, None


_TOKENS = re.compile(r"\S+\s*|\s+")  # words with the space after them


def draft_diff(old: str, new: str) -> tuple[DiffPart, ...]:
    """The words removed and added between two drafts (``difflib`` on the words; the
    spacing and line breaks of each side kept as written), in reading order."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(
        None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False
    )
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(DiffPart("same", "".join(b[j1:j2])))
            continue
        if op in ("delete", "replace"):
            parts.append(DiffPart("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(DiffPart("insert", "".join(b[j1:j2])))
    return tuple(p for p in parts if p.text)


def _action_specs(
    session: Session,
    complaint: Complaint,
    actor: authz.Actor,
    *,
    events: list[StepEvent],
    redact: Redactor,
    identity: Identity | None,
) -> tuple[ActionSpec, ...]:
    specs = []
    for act in workflow.allowed_actions(session, complaint=complaint, actor=actor):
        # The action's own results (``sign``: the frozen letter) are not asked of the user.
        missing_keys = [
            k
            for k in workflow.missing_requirements(session, complaint, act)
            if k in sop.step(act.at).requires or k in _user_supplied(act)
        ]
        upload = act.upload
        specs.append(
            ActionSpec(
                key=act.key,
                label=act.label,
                to_label=sop.step_label(act.to),
                fields=tuple(sop.FIELDS[k] for k in act.fields),
                optional_fields=tuple(sop.FIELDS[k] for k in act.optional_fields),
                missing=tuple(
                    RequirementStatus(k, sop.REQUIREMENTS[k].label, False) for k in missing_keys
                ),
                upload_kind=upload.kind if upload else None,
                upload_label=upload.label if upload else None,
                upload_required=bool(upload and upload.satisfies in missing_keys),
                upload_satisfies=upload.satisfies if upload else None,
                hook=act.hook,
                secondary=act.secondary,
                defaults=tuple(
                    _set_defaults(complaint, act, events=events, redact=redact)
                    + _delivery_defaults(act, identity)
                ),
                confirm=_confirm(act),
            )
        )
    return tuple(specs)


def _user_supplied(act: sop.Action) -> set[str]:
    """The action's own requirements a user supplies (an upload), not its hook."""
    return {act.upload.satisfies} if act.upload and act.upload.satisfies else set()


def _requirements(session: Session, complaint: Complaint) -> tuple[RequirementStatus, ...]:
    """The current step's required items (kelengkapan), each met or not."""
    met = workflow.step_requirements(session, complaint)
    return tuple(RequirementStatus(k, sop.REQUIREMENTS[k].label, ok) for k, ok in met.items())


def complaint_detail(*, ticket: str, user_id: int, now: datetime | None = None) -> ComplaintDetail:
    """Everything the complaint page shows to this user (identity masked where required).

    Refused (``NotAllowed``/``NotFound``) unless the user is active, holds a role that
    opens the complaint page, and the ticket exists. A view of a *rahasia* complaint
    is logged.
    """
    now = now or datetime.now(UTC)
    ticket = (ticket or "").strip().upper()
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:complaint")
        complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket))
        if complaint is None:
            raise NotFound(f"Pengaduan dengan nomor tiket {ticket or '-'} tidak ditemukan.")
        shown = disclosure(actor.roles, complaint)
        visible = shown.contact
        redact = shown.redact
        calendar = load_calendar(session)
        standards = load_standards(session)
        unit_names = dict(session.execute(select(Unit.id, Unit.name)).tuples().all())
        docs = session.execute(
            select(
                Document.id,
                Document.kind,
                Document.filename,
                Document.content_type,
                Document.size,
                Document.step,
                Document.uploaded_at,
                User.full_name,
            )
            .outerjoin(User, User.id == Document.uploaded_by_id)
            .where(Document.complaint_id == complaint.id)
            .order_by(Document.uploaded_at, Document.id)
        ).all()
        shown_docs = [d for d in docs if shown.document(d.kind)]
        filenames = {d.id: redact(d.filename) or "" for d in shown_docs}
        events = list(
            session.scalars(
                select(StepEvent)
                .where(StepEvent.complaint_id == complaint.id)
                .order_by(StepEvent.seq)
            )
        )
        done_steps = {e.step: e.at for e in events if e.to_step != e.step}
        form = sop.Form(complaint.form) if complaint.form else None
        clocks = regulatory_clocks(
            calendar,
            standards,
            received_at=complaint.received_at,
            supervisory=complaint.supervisory,
            done_steps=done_steps,
            form=form,
        )
        step_clock = None
        if complaint.current_step is not None and complaint.step_due_at is not None:
            left = working_minutes_left(calendar, complaint.step_due_at, now)
            step_clock = StepClock(
                step=complaint.current_step,
                due_at=complaint.step_due_at,
                minutes_left=left,
                standard_minutes=sop.step(complaint.current_step).minutes,
                status=step_status(
                    step=complaint.current_step,
                    due_at=complaint.step_due_at,
                    minutes_left=left,
                    now=now,
                ),
            )
        identity = None
        if shown.contact:  # an anonim complaint: the contact details, never the name
            identity = Identity(
                *(
                    shown.column(c, getattr(complaint, c))
                    for c in (
                        "complainant_name",
                        "complainant_phone",
                        "complainant_email",
                        "complainant_address",
                    )
                )
            )
        returned, changes = _returned_and_changes(complaint, events, redact=redact)
        detail = ComplaintDetail(
            id=complaint.id,
            ticket=complaint.ticket,
            version=complaint.version,
            channel=complaint.channel,
            channel_label=sop.CHANNEL_LABELS.get(sop.Channel(complaint.channel), complaint.channel),
            category=complaint.category,
            subject=redact(complaint.subject) or "",
            body=redact(complaint.body) or "",
            form_label=FORM_LABELS.get(complaint.form or "", "Belum ditentukan"),
            current_step=complaint.current_step,
            step_label=sop.step_label(complaint.current_step),
            arrived_at=complaint.arrived_at,
            received_at=complaint.received_at,
            closed_at=complaint.closed_at,
            anonymous=complaint.anonymous,
            confidential=complaint.confidential,
            supervisory=complaint.supervisory,
            identity_visible=visible,
            identity=identity,
            guest_book_entry=shown.column("guest_book_entry", complaint.guest_book_entry),
            agenda_number=shown.column("agenda_number", complaint.agenda_number),
            sifat=complaint.sifat,
            units=tuple(u.name for u in complaint.units),
            reply_body=redact(complaint.reply_body),
            draft_rounds=complaint.draft_rounds,
            approved_at=complaint.approved_at,
            signed_at=complaint.signed_at,
            letter_number=complaint.letter_number,
            delivered_at=complaint.delivered_at,
            delivery_label=(
                sop.DELIVERY_LABELS[sop.DeliveryMethod(complaint.delivery_method)]
                if complaint.delivery_method
                else None
            ),
            archive_code=shown.column("archive_code", complaint.archive_code),
            archive_location=shown.column("archive_location", complaint.archive_location),
            oral_outcome=redact(complaint.oral_outcome),
            documents=tuple(
                DocumentInfo(
                    id=d.id,
                    kind=d.kind,
                    kind_label=sop.DOCUMENT_KINDS.get(d.kind, d.kind),
                    filename=filenames[d.id],
                    content_type=d.content_type,
                    size=d.size,
                    step=d.step,
                    uploaded_at=d.uploaded_at,
                    uploaded_by=d.full_name,
                )
                for d in shown_docs
            ),
            hidden_documents=len(docs) - len(shown_docs),
            timeline=_timeline(events, units=unit_names, filenames=filenames, redact=redact),
            step_clock=step_clock,
            regulatory=tuple(
                RegulatoryClockView(
                    key=c.key,
                    label=c.label,
                    due_at=c.due_at,
                    done_at=c.done_at,
                    status=c.state(now),
                    days_left=working_days_left(calendar, c.due_at, now)
                    if c.done_at is None
                    else None,
                )
                for c in clocks
            ),
            requirements=_requirements(session, complaint),
            actions=_action_specs(
                session, complaint, actor, events=events, redact=redact, identity=identity
            ),
            unit_options=tuple(
                session.execute(
                    select(Unit.id, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name)
                )
                .tuples()
                .all()
            ),
            viewer_roles=actor.roles,
            works_on_reply=complaint.current_step
            in sop.table().steps_with_template("surat_jawaban"),
            returned_draft=returned,
            draft_changes=changes,
        )
    if detail.confidential:
        log_confidential_view(detail.id, user_id, visible, now)
    return detail

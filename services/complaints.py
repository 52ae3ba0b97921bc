"""Read models of the staff workspace: my queue, search, the complaint page, duplicates.

Pages call these functions and never see a database session. Each function first
checks that the user is active and that one of their roles grants the page it serves
(``layanan.permissions``); the refusal is here, not in the page.

*Rahasia* complaints: the complainant's identity (name, phone, e-mail, address, and the
documents that carry it, such as the scanned letter) is removed here for every role
except the front desk, Sub Bagian Umum and the Head (``permissions.sees_identity``);
the page never receives it. Every opening of a *rahasia* complaint, and every download
of one of its documents, is logged as a ``ConfidentialView``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import queries
from db.engine import read_session, write_session
from db.models import Complaint, ConfidentialView, Document, StepEvent, Unit, User
from db.queries import NO_FILTER, ComplaintFilter
from layanan import permissions, sop
from layanan.calendar import WorkingCalendar
from layanan.clocks import regulatory_clocks
from layanan.errors import NotAllowed, NotFound
from layanan.sop import Role
from layanan.text import tanggal
from services import authz, workflow
from services.calendar_settings import load_calendar, load_standards

HIDDEN = "[dirahasiakan]"
ANONYMOUS = "Anonim"
# Documents that carry the complainant's identity: withheld with the identity.
IDENTITY_DOCUMENT_KINDS = frozenset({"complaint_letter", "attachment", "receipt"})
FORM_LABELS = {sop.Form.LISAN.value: "Lisan", sop.Form.TERTULIS.value: "Tertulis"}
STATUS_LABELS = {
    "terlambat": "Terlambat",
    "segera": "Segera jatuh tempo",
    "berjalan": "Dalam waktu",
    "selesai": "Selesai",
}


# --- who is looking -----------------------------------------------------------------


def _sees_any_identity(roles: Iterable[Role]) -> bool:
    return permissions.sees_identity(roles, confidential=True)


def complainant_label(
    *, name: str | None, anonymous: bool, confidential: bool, visible: bool
) -> str:
    """What a list shows as the complainant: the name, "Anonim" or "[dirahasiakan]"."""
    if anonymous:
        return ANONYMOUS
    if confidential and not visible:
        return HIDDEN
    return name or "-"


# --- step clock ---------------------------------------------------------------------


def working_minutes_left(calendar: WorkingCalendar, due_at: datetime, now: datetime) -> int:
    """Working minutes until ``due_at``; negative once it has passed."""
    if now <= due_at:
        return calendar.working_minutes(now, due_at)
    return -calendar.working_minutes(due_at, now)


def working_days_left(calendar: WorkingCalendar, due_at: datetime, now: datetime) -> float:
    """Working days until ``due_at``; negative once it has passed."""
    if now <= due_at:
        return calendar.working_days_between(now, due_at)
    return -calendar.working_days_between(due_at, now)


def due_soon_threshold(standard_minutes: int) -> int:
    """A step is "due soon" when at most a third of its standard (min. 10) is left."""
    return max(10, standard_minutes // 3)


def step_status(
    *, step: int | None, due_at: datetime | None, minutes_left: int | None, now: datetime
) -> str:
    """ "selesai", "terlambat", "segera" or "berjalan" for a complaint's current step."""
    if step is None or due_at is None or minutes_left is None:
        return "selesai"
    if now > due_at:
        return "terlambat"
    if minutes_left <= due_soon_threshold(sop.step(step).minutes):
        return "segera"
    return "berjalan"


# --- lists: my queue and search -----------------------------------------------------


@dataclass(frozen=True)
class ListItem:
    id: int
    ticket: str
    step: int | None
    step_label: str
    channel_label: str
    category: str
    subject: str
    complainant: str
    confidential: bool
    received_at: datetime
    closed_at: datetime | None
    due_at: datetime | None
    minutes_left: int | None  # working minutes; negative when overdue
    status: str  # see STATUS_LABELS
    day_minutes: int  # working minutes in a full office day (for "N hari kerja")


@dataclass(frozen=True)
class ListPage:
    items: tuple[ListItem, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class StepCountView:
    step: int
    label: str
    total: int
    overdue: int


@dataclass(frozen=True)
class QueueView:
    page: ListPage
    counts: tuple[StepCountView, ...]
    steps: tuple[int, ...]  # the steps this user works at (for the step filter)


def _items(
    rows: Iterable[queries.ComplaintRow],
    *,
    calendar: WorkingCalendar,
    now: datetime,
    identity_visible: bool,
) -> tuple[ListItem, ...]:
    full_day = calendar.day_minutes
    items = []
    for row in rows:
        left = (
            working_minutes_left(calendar, row.step_due_at, now)
            if row.current_step is not None and row.step_due_at is not None
            else None
        )
        items.append(
            ListItem(
                id=row.id,
                ticket=row.ticket,
                step=row.current_step,
                step_label=sop.step_label(row.current_step),
                channel_label=sop.CHANNEL_LABELS.get(sop.Channel(row.channel), row.channel),
                category=row.category,
                subject=row.subject,
                complainant=complainant_label(
                    name=row.complainant_name,
                    anonymous=row.anonymous,
                    confidential=row.confidential,
                    visible=identity_visible,
                ),
                confidential=row.confidential,
                received_at=row.received_at,
                closed_at=row.closed_at,
                due_at=row.step_due_at,
                minutes_left=left,
                status=step_status(
                    step=row.current_step, due_at=row.step_due_at, minutes_left=left, now=now
                ),
                day_minutes=full_day,
            )
        )
    return tuple(items)


def _page_bounds(total: int, page: int, page_size: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    return page, (page - 1) * page_size


def queue_steps(*, roles: Iterable[Role]) -> tuple[int, ...]:
    """The SOP steps at which these roles have work, in order."""
    return tuple(sorted({n for role in roles for n in queries.steps_for_role(role)}))


def _list_page(
    session: Session,
    *,
    count: Callable[[Session], int],
    fetch: Callable[..., list[queries.ComplaintRow]],
    page: int,
    page_size: int,
    now: datetime,
    identity_visible: bool,
) -> ListPage:
    """One page of a queue or search list, clamped to the pages there are."""
    total = count(session)
    page, offset = _page_bounds(total, page, page_size)
    rows = fetch(session, limit=page_size, offset=offset)
    calendar = load_calendar(session)
    items = _items(rows, calendar=calendar, now=now, identity_visible=identity_visible)
    return ListPage(items, total, page, page_size)


def my_queue(
    *,
    user_id: int,
    filters: ComplaintFilter = NO_FILTER,
    page: int = 1,
    page_size: int = 25,
    now: datetime | None = None,
) -> QueueView:
    """The complaints waiting for this user's roles (and unit), earliest deadline first."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:queue")
        visible = _sees_any_identity(actor.roles)
        scope: dict[str, Any] = {
            "roles": actor.roles,
            "unit_id": actor.unit_id,
            "now": now,
            "filters": filters,
            "identity_visible": visible,
        }
        listed = _list_page(
            session,
            count=partial(queries.queue_count, **scope),
            fetch=partial(queries.queue_page, **scope),
            page=page,
            page_size=page_size,
            now=now,
            identity_visible=visible,
        )
        counts = queries.queue_step_counts(
            session, roles=actor.roles, unit_id=actor.unit_id, now=now
        )
    return QueueView(
        page=listed,
        counts=tuple(
            StepCountView(c.step, sop.step_label(c.step), c.total, c.overdue) for c in counts
        ),
        steps=queue_steps(roles=actor.roles),
    )


def search(
    *,
    user_id: int,
    filters: ComplaintFilter = NO_FILTER,
    page: int = 1,
    page_size: int = 25,
    now: datetime | None = None,
) -> ListPage:
    """Every complaint matching the filters, newest first; identities masked as needed."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:search")
        visible = _sees_any_identity(actor.roles)
        scope: dict[str, Any] = {"now": now, "filters": filters, "identity_visible": visible}
        return _list_page(
            session,
            count=partial(queries.search_count, **scope),
            fetch=partial(queries.search_page, **scope),
            page=page,
            page_size=page_size,
            now=now,
            identity_visible=visible,
        )


# --- possible duplicates at intake --------------------------------------------------


@dataclass(frozen=True)
class DuplicateItem:
    ticket: str
    subject: str
    complainant: str
    received_at: datetime
    step_label: str
    reasons: tuple[str, ...]


def possible_duplicates(
    *,
    user_id: int,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    subject: str | None = None,
    now: datetime | None = None,
) -> list[DuplicateItem]:
    """Complaints of the last 30 days by the same complainant or on a similar subject."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:intake")
        visible = _sees_any_identity(actor.roles)
        matches = queries.possible_duplicates(
            session, now=now, name=name, phone=phone, email=email, subject=subject
        )
    return [
        DuplicateItem(
            ticket=m.row.ticket,
            subject=m.row.subject,
            complainant=complainant_label(
                name=m.row.complainant_name,
                anonymous=m.row.anonymous,
                confidential=m.row.confidential,
                visible=visible,
            ),
            received_at=m.row.received_at,
            step_label=sop.step_label(m.row.current_step),
            reasons=m.reasons,
        )
        for m in matches
    ]


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

    @property
    def closed(self) -> bool:
        return self.current_step is None


class _Redactor:
    """Replaces the complainant's identity in free text (rahasia, hidden identity)."""

    def __init__(self, values: Iterable[str | None], active: bool) -> None:
        words = sorted({v.strip() for v in values if v and len(v.strip()) >= 3}, key=len)
        self.pattern = (
            re.compile("|".join(re.escape(w) for w in reversed(words)), re.IGNORECASE)
            if active and words
            else None
        )

    def __call__(self, text: str | None) -> str | None:
        if text is None or self.pattern is None:
            return text
        return self.pattern.sub(HIDDEN, text)


def _payload_items(
    payload: dict[str, Any],
    *,
    units: dict[int, str],
    filenames: dict[int, str],
    redact: _Redactor,
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
    redact: _Redactor,
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


def _action_specs(
    session: Session, complaint: Complaint, actor: authz.Actor
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


def _log_confidential_view(complaint_id: int, user_id: int, shown: bool, now: datetime) -> None:
    with write_session() as session:
        session.add(
            ConfidentialView(
                complaint_id=complaint_id, user_id=user_id, at=now, identity_shown=shown
            )
        )


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
        visible = permissions.sees_identity(actor.roles, confidential=complaint.confidential)
        hide = not visible
        redact = _Redactor(
            (
                complaint.complainant_name,
                complaint.complainant_phone,
                complaint.complainant_email,
                complaint.complainant_address,
            ),
            active=hide,
        )
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
        shown_docs = [d for d in docs if not (hide and d.kind in IDENTITY_DOCUMENT_KINDS)]
        filenames = {d.id: d.filename for d in shown_docs}
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
        if visible and not complaint.anonymous:
            identity = Identity(
                complaint.complainant_name,
                complaint.complainant_phone,
                complaint.complainant_email,
                complaint.complainant_address,
            )
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
            guest_book_entry=complaint.guest_book_entry,
            agenda_number=complaint.agenda_number,
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
            archive_code=complaint.archive_code,
            archive_location=complaint.archive_location,
            oral_outcome=redact(complaint.oral_outcome),
            documents=tuple(
                DocumentInfo(
                    id=d.id,
                    kind=d.kind,
                    kind_label=sop.DOCUMENT_KINDS.get(d.kind, d.kind),
                    filename=d.filename,
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
            actions=_action_specs(session, complaint, actor),
            unit_options=tuple(
                session.execute(
                    select(Unit.id, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name)
                )
                .tuples()
                .all()
            ),
            viewer_roles=actor.roles,
        )
    if detail.confidential:
        _log_confidential_view(detail.id, user_id, visible, now)
    return detail


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content_type: str
    data: bytes


def document_file(*, document_id: int, user_id: int, now: datetime | None = None) -> DocumentFile:
    """A stored document's content, for a user who may see it (downloads of a rahasia
    complaint's documents are logged like views)."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:complaint")
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound("Dokumen tidak ditemukan.")
        complaint = session.get(Complaint, doc.complaint_id)
        visible = permissions.sees_identity(actor.roles, confidential=complaint.confidential)
        if not visible and doc.kind in IDENTITY_DOCUMENT_KINDS:
            raise NotAllowed("Dokumen ini memuat identitas pemohon yang dirahasiakan.")
        result = DocumentFile(doc.filename, doc.content_type, doc.data)
        confidential, complaint_id = complaint.confidential, complaint.id
    if confidential:
        _log_confidential_view(complaint_id, user_id, visible, now)
    return result


def confidential_views(*, complaint_id: int) -> list[tuple[int, bool]]:
    """(user id, identity shown) of each logged view of a complaint, oldest first."""
    with read_session() as session:
        return list(
            session.execute(
                select(ConfidentialView.user_id, ConfidentialView.identity_shown)
                .where(ConfidentialView.complaint_id == complaint_id)
                .order_by(ConfidentialView.id)
            )
            .tuples()
            .all()
        )

"""Read queries for the staff workspace: queues, search, counts and possible duplicates.

Every list is paginated in SQL (``LIMIT``/``OFFSET`` plus a ``COUNT`` query with the
same filters), so a page never loads every complaint. Sorting uses the indexes on
``complaints (current_step, step_due_at)`` and ``complaints (received_at)``.
Functions take the session and keyword-only arguments; they never write.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    case,
    column,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from db.models import Complaint, ComplaintUnit
from layanan import sop
from layanan.sop import Role


def among(session: Session, column, ids) -> ColumnElement[bool]:
    """``column IN ids`` for a long list of ids: on PostgreSQL ``column = ANY(:ids)``,
    one array parameter. A thousand separate parameters cost psycopg more to put into
    the statement (17-30 ms) than the server to answer it (7 ms)."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)


# Columns every list shows; loaded as plain rows, never whole ORM objects.
_ROW_COLUMNS = (
    Complaint.id,
    Complaint.ticket,
    Complaint.channel,
    Complaint.category,
    Complaint.subject,
    Complaint.complainant_name,
    Complaint.anonymous,
    Complaint.confidential,
    Complaint.supervisory,
    Complaint.form,
    Complaint.current_step,
    Complaint.step_entered_at,
    Complaint.step_due_at,
    Complaint.received_at,
    Complaint.closed_at,
    # The identity, for services.identity to mask it and redact the subject.
    Complaint.complainant_phone,
    Complaint.complainant_email,
    Complaint.complainant_address,
    # For the snippet of a text search (services.complaint_lists.snippet).
    Complaint.body,
)


@dataclass(frozen=True)
class ComplaintRow:
    """One complaint as a list shows it (identity not yet masked: see services)."""

    id: int
    ticket: str
    channel: str
    category: str
    subject: str
    complainant_name: str | None
    anonymous: bool
    confidential: bool
    supervisory: bool
    form: str | None
    current_step: int | None
    step_entered_at: datetime
    step_due_at: datetime | None
    received_at: datetime
    closed_at: datetime | None
    complainant_phone: str | None = None
    complainant_email: str | None = None
    complainant_address: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class StepCount:
    step: int
    total: int
    overdue: int


def _rows(result) -> list[ComplaintRow]:
    return [ComplaintRow(*row) for row in result]


# --- who works at which step --------------------------------------------------------


def steps_for_role(role: Role) -> frozenset[int]:
    """The SOP steps at which this role has an action (from the SOP table)."""
    return sop.table().steps_of_role(role)


def _queue_condition(*, roles: Iterable[Role], unit_id: int | None) -> ColumnElement[bool]:
    """Complaints whose current step has an action for one of these roles.

    Unit work (SOP steps 5 and 8) is only for the units the complaint is assigned to.
    """
    roles = set(roles)
    own_steps = sorted({n for role in roles if role is not Role.UNIT for n in steps_for_role(role)})
    parts: list[ColumnElement[bool]] = []
    if own_steps:
        parts.append(Complaint.current_step.in_(own_steps))
    if Role.UNIT in roles and unit_id is not None:
        parts.append(
            and_(
                Complaint.current_step.in_(sorted(steps_for_role(Role.UNIT))),
                exists().where(
                    ComplaintUnit.complaint_id == Complaint.id, ComplaintUnit.unit_id == unit_id
                ),
            )
        )
    if not parts:
        return false()
    return parts[0] if len(parts) == 1 else or_(*parts)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- text search ----------------------------------------------------------------------
#
# "Contains the text" (case-insensitive) in the ticket, complainant name, subject or
# body, answered from an index so that its cost follows the matches, not the history
# (migration 0008): PostgreSQL's pg_trgm GIN indexes serve the ILIKE itself; SQLite's
# FTS5 table with the trigram tokenizer matches the text as one quoted phrase, which is
# the same substring test. A trigram index needs three characters: a shorter text
# matches nothing (``TEXT_MIN``), and the service tells the user to type more.

TEXT_MIN = 3
_FTS = table("complaints_fts", column("rowid"))
# bm25 weights of the FTS5 columns, in TEXT_SEARCH_COLUMNS order: a hit in the ticket
# or the name says more than one in the long body.
_BM25_WEIGHTS = (10.0, 5.0, 3.0, 1.0)


def searchable_text(text: str | None) -> str | None:
    """The text a search looks for (stripped), or None when there is none to look for."""
    stripped = (text or "").strip()
    return stripped or None


def _fts_phrase(text: str) -> str:
    """``text`` as one FTS5 string: every character literal, MATCH syntax never parsed."""
    return '"' + text.replace('"', '""') + '"'


def _hidden(identity_visible: bool) -> ColumnElement[bool]:
    """Complaints whose identity this viewer does not wholly see (``_text_match``)."""
    hidden = Complaint.anonymous.is_(True)
    if not identity_visible:
        hidden = or_(hidden, Complaint.confidential.is_(True))
    return hidden


_FULL_TICKET = re.compile(r"ADU-(\d{4})-(\d{6})", re.IGNORECASE)


def _tickets_containing(text: str) -> list[str] | None:
    """For a whole ticket number ("adu-2026-000123"), every ticket that contains it,
    else None (the text is looked for anywhere in the ticket).

    Every ticket number starts "ADU-", so one that contains a whole ticket begins with
    it: the ticket itself, or one with a longer sequence (``ticket_number`` pads to six
    digits; a seventh or eighth digit comes after ten million or a hundred million
    complaints in one year, never with a leading zero). The ticket's unique index
    answers that list at once; as a substring, every ticket shares the trigrams of
    "ADU-2026-", and the trigram index walked a million of them (54 ms at 1,000,000
    complaints, against 5 ms at 1,000).
    """
    found = _FULL_TICKET.fullmatch(text)
    if found is None:
        return None
    ticket = f"ADU-{found[1]}-{found[2]}"
    if found[2].startswith("0"):
        return [ticket]
    return [ticket, *(f"{ticket}{d}" for d in range(10)), *(f"{ticket}{d:02d}" for d in range(100))]


@dataclass(frozen=True)
class _TextMatch:
    """How one text search narrows and ranks a query on one dialect."""

    where: tuple[ColumnElement[bool], ...]
    order: tuple[ColumnElement, ...]  # best match first
    join: Any = None  # (subquery, on clause) to join, SQLite's FTS5 hits
    ticket_hit: ColumnElement[bool] | None = None
    # Newest match first in the text index's own order (SQLite: the FTS5 rowid, which
    # is the complaint's id), where reading the index in that order is cheaper.
    index_newest_first: ColumnElement | None = None


def _text_match(
    dialect: str,
    text: str,
    *,
    identity_visible: bool,
    ranked: bool = False,
    floor: int | None = None,
) -> _TextMatch:
    """Ticket, complainant name, subject or text contains ``text`` (case-insensitive).

    A complaint whose identity the user does not wholly see (a *rahasia* one for a user
    who may not see its complainant's identity, an *anonim* one for anyone: its name is
    shown to nobody, ``services.identity``) matches by ticket only: its name, and its
    subject and text (which may quote the identity), would otherwise let the search
    itself reveal who complained. Its rank comes from the ticket alone, for the same
    reason (the order of the results must not tell that its text matched).
    """
    pattern = _like(text)
    tickets = _tickets_containing(text)
    ticket_hit = (
        Complaint.ticket.in_(tickets)
        if tickets is not None
        else Complaint.ticket.ilike(pattern, escape="\\")
    )
    hidden = _hidden(identity_visible)
    if len(text) < TEXT_MIN:
        return _TextMatch(where=(false(),), order=())
    # (T or N or S or B) and (T or not hidden) == T or (not hidden and (N or S or B)):
    # written so, the first part is the OR of four indexed conditions.
    only_ticket = or_(ticket_hit, ~hidden)
    if dialect == "sqlite":
        # bm25 only where the order is asked for: a count or a queue needs no rank.
        rank_of = (
            func.bm25(literal_column("complaints_fts"), *_BM25_WEIGHTS)
            if ranked
            else literal_column("0.0")
        )
        hits = select(_FTS.c.rowid.label("id"), rank_of.label("rank"))
        hits = hits.where(literal_column("complaints_fts").op("MATCH")(_fts_phrase(text)))
        if floor is not None:
            # Inside the FTS5 query: its rowid range, so bm25 runs on the bounded set only.
            hits = hits.where(_FTS.c.rowid >= floor)
        hits = hits.subquery("text_hits")
        # bm25 is negative, lower is better; a hidden complaint ranks by its ticket only.
        rank = case((hidden, 0.0), else_=hits.c.rank)
        return _TextMatch(
            where=(only_ticket,),
            order=(ticket_hit.desc(), rank),
            join=(hits, hits.c.id == Complaint.id),
            ticket_hit=ticket_hit,
            index_newest_first=hits.c.id.desc(),
        )
    hits = [
        ticket_hit,
        *(c.ilike(pattern, escape="\\") for c in (Complaint.complainant_name, Complaint.subject)),
        Complaint.body.ilike(pattern, escape="\\"),
    ]
    score = (
        case((hits[1], 4.0), else_=0.0)
        + case((hits[2], 2.0), else_=0.0)
        + case((hits[3], 1.0), else_=0.0)
        # pg_trgm's similarity: a subject that is mostly the text ranks higher.
        + func.similarity(Complaint.subject, text)
    )
    return _TextMatch(
        where=(or_(*hits), only_ticket),
        order=(ticket_hit.desc(), case((hidden, 0.0), else_=score).desc()),
        ticket_hit=ticket_hit,
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _with_text(
    session: Session,
    query: Select,
    filters: ComplaintFilter,
    *,
    identity_visible: bool,
    ranked: bool = False,
    bound: SearchBound | None = None,
) -> tuple[Select, _TextMatch | None]:
    """``query`` narrowed to the complaints containing the filter's text, if it has one
    (and to the newest matches ``bound`` found, when it is capped: ``search_bound``)."""
    text = searchable_text(filters.text)
    if text is None:
        return query, None
    dialect = _dialect(session)
    floor = bound.floor if bound is not None and bound.capped else None
    match = _text_match(
        dialect, text, identity_visible=identity_visible, ranked=ranked, floor=floor
    )
    if match.join is not None:
        query = query.join(*match.join)
    if floor is not None:
        # PostgreSQL: the ids themselves (a primary-key lookup each; a range from the
        # floor would test the text again on every complaint since). SQLite: the range,
        # which the FTS5 query above also gets.
        query = query.where(
            among(session, Complaint.id, bound.ids)
            if dialect == "postgresql"
            else Complaint.id >= floor
        )
    return query.where(*match.where), match


@dataclass(frozen=True)
class ComplaintFilter:
    """What a queue or search list is narrowed to; ``None``/``False`` leaves a filter off."""

    text: str | None = None
    step: int | None = None
    channel: str | None = None
    category: str | None = None
    overdue_only: bool = False
    closed: bool | None = None  # True: closed only, False: open only


NO_FILTER = ComplaintFilter()


def _filters(filters: ComplaintFilter, *, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions of every filter but the text (``_with_text``)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.step is not None:
        conditions.append(Complaint.current_step == filters.step)
    if filters.channel:
        conditions.append(Complaint.channel == filters.channel)
    if filters.category:
        conditions.append(Complaint.category == filters.category)
    if filters.overdue_only:
        conditions.append(Complaint.current_step.is_not(None))
        conditions.append(Complaint.step_due_at < now)
    if filters.closed is True:
        conditions.append(Complaint.current_step.is_(None))
    elif filters.closed is False:
        conditions.append(Complaint.current_step.is_not(None))
    return conditions


def _count(
    session: Session,
    conditions: list[ColumnElement[bool]],
    filters: ComplaintFilter,
    *,
    identity_visible: bool,
) -> int:
    query = select(func.count()).select_from(Complaint).where(*conditions)
    query, _ = _with_text(session, query, filters, identity_visible=identity_visible)
    return session.scalar(query) or 0


# --- my queue -----------------------------------------------------------------------


def _queue_where(
    *, roles: Iterable[Role], unit_id: int | None, now: datetime, filters: ComplaintFilter
) -> list[ColumnElement[bool]]:
    """The WHERE conditions (but the text's) shared by ``queue_page`` and ``queue_count``."""
    return [_queue_condition(roles=set(roles), unit_id=unit_id), *_filters(filters, now=now)]


def queue_page(
    session: Session,
    *,
    roles: Iterable[Role],
    unit_id: int | None,
    now: datetime,
    filters: ComplaintFilter = NO_FILTER,
    identity_visible: bool = False,
    limit: int = 25,
    offset: int = 0,
) -> list[ComplaintRow]:
    """One page of the complaints waiting for these roles, earliest step deadline first."""
    query = select(*_ROW_COLUMNS).where(
        *_queue_where(roles=roles, unit_id=unit_id, now=now, filters=filters)
    )
    query, _ = _with_text(session, query, filters, identity_visible=identity_visible)
    query = query.order_by(Complaint.step_due_at, Complaint.id).limit(limit).offset(offset)
    return _rows(session.execute(query))


def queue_count(
    session: Session,
    *,
    roles: Iterable[Role],
    unit_id: int | None,
    now: datetime,
    filters: ComplaintFilter = NO_FILTER,
    identity_visible: bool = False,
) -> int:
    """How many complaints ``queue_page`` would list over all pages."""
    return _count(
        session,
        _queue_where(roles=roles, unit_id=unit_id, now=now, filters=filters),
        filters,
        identity_visible=identity_visible,
    )


def queue_step_counts(
    session: Session, *, roles: Iterable[Role], unit_id: int | None, now: datetime
) -> list[StepCount]:
    """Per step of this user's queue: how many wait, and how many of them are overdue."""
    overdue = func.sum(case((Complaint.step_due_at < now, 1), else_=0))
    query = (
        select(Complaint.current_step, func.count(), overdue)
        .where(_queue_condition(roles=set(roles), unit_id=unit_id))
        .group_by(Complaint.current_step)
        .order_by(Complaint.current_step)
    )
    return [StepCount(step, total, int(late or 0)) for step, total, late in session.execute(query)]


# --- search over every complaint ----------------------------------------------------


# A search lists at most SEARCH_CAP complaints: the count stops there ("lebih dari
# 1.000") and, with a text, only the SEARCH_CAP newest matches are ranked, so a common
# word costs what the cap costs, not what its tens of thousands of matches would.
SEARCH_CAP = 1000


@dataclass(frozen=True)
class SearchBound:
    """What ``search_bound`` found: how many match (``SEARCH_CAP + 1`` means more than
    the cap) and, when capped with a text, the id of the oldest complaint ranked."""

    matches: int
    floor: int | None = None
    ids: tuple[int, ...] = ()  # when capped with a text: the SEARCH_CAP newest matches

    @property
    def capped(self) -> bool:
        return self.matches > SEARCH_CAP


def search_bound(
    session: Session,
    *,
    now: datetime,
    filters: ComplaintFilter = NO_FILTER,
    identity_visible: bool = False,
) -> SearchBound:
    """How many complaints ``search_page`` may list, counted up to ``SEARCH_CAP + 1``.

    Without a text the count stops at the cap (the list's order is indexed). With a
    text the ids of the newest ``SEARCH_CAP + 1`` matches are read (newest id first:
    the primary key walked backwards while matches are dense, the text index while they
    are rare) and the ``SEARCH_CAP``-th is the floor ``search_page`` ranks from.
    """
    narrowing = _filters(filters, now=now)
    query = select(Complaint.id).where(true(), *narrowing)
    query, match = _with_text(session, query, filters, identity_visible=identity_visible)
    if match is None:
        limited = query.limit(SEARCH_CAP + 1).subquery("capped")
        return SearchBound(session.scalar(select(func.count()).select_from(limited)) or 0)
    newest_first = Complaint.id.desc()
    if match.index_newest_first is not None and not narrowing:
        # SQLite, the text alone: ordered by the FTS5 rowid, the matches come newest
        # first from the text index itself and the scan stops at the cap (a common word
        # at 100,000 complaints: 126 ms -> 11 ms). Ordered by the complaint's id (the
        # same number), every match was joined and sorted first. With another filter
        # the complaint's id is kept: the index read backwards costs about twice as much
        # per match, and a filter that keeps few matches would read all of them so.
        newest_first = match.index_newest_first
    ids = session.scalars(query.order_by(newest_first).limit(SEARCH_CAP + 1)).all()
    if len(ids) <= SEARCH_CAP:
        return SearchBound(len(ids))
    return SearchBound(len(ids), ids[SEARCH_CAP - 1], tuple(ids[:SEARCH_CAP]))


def search_page(
    session: Session,
    *,
    now: datetime,
    filters: ComplaintFilter = NO_FILTER,
    identity_visible: bool = False,
    limit: int = 25,
    offset: int = 0,
    bound: SearchBound | None = None,
) -> list[ComplaintRow]:
    """One page of every complaint matching the filters.

    With a text: best match first (a ticket hit, then the rank of ``_text_match``),
    newest first among equals, over the newest ``SEARCH_CAP`` matches when ``bound``
    says there are more (``search_bound``); without: newest first.
    """
    query = select(*_ROW_COLUMNS).where(true(), *_filters(filters, now=now))
    query, match = _with_text(
        session, query, filters, identity_visible=identity_visible, ranked=True, bound=bound
    )
    order = match.order if match else ()
    query = (
        query.order_by(*order, Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return _rows(session.execute(query))


# --- possible duplicates at intake --------------------------------------------------

DUPLICATE_DAYS = 30
SIMILARITY_THRESHOLD = 0.6
_CANDIDATES = 200  # the most recent complaints sharing a word with the subject
_STOPWORDS = frozenset(
    [
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "untuk",
        "dengan",
        "pada",
        "atau",
        "tidak",
        "belum",
        "sudah",
        "ini",
        "itu",
        "oleh",
        "dalam",
        "atas",
        "bagi",
        "kami",
        "saya",
        "mohon",
        "tentang",
        "terkait",
    ]
)


@dataclass(frozen=True)
class DuplicateMatch:
    row: ComplaintRow
    reasons: tuple[str, ...]  # Indonesian, e.g. "nama pemohon sama"
    score: float  # 1.0 for the same complainant, else subject similarity


def normalize_words(text: str) -> list[str]:
    """Lower-case words without accents, punctuation or common stopwords."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.findall(r"[a-z0-9]+", plain) if w not in _STOPWORDS and len(w) > 1]


def subject_similarity(a: str, b: str) -> float:
    """0..1: the better of sequence similarity and word overlap of two subjects."""
    words_a, words_b = normalize_words(a), normalize_words(b)
    if not words_a or not words_b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, " ".join(words_a), " ".join(words_b)).ratio()
    set_a, set_b = set(words_a), set(words_b)
    overlap = len(set_a & set_b) / len(set_a | set_b)
    return max(ratio, overlap)


def phone_variants(phone: str) -> set[str]:
    """The ways one Indonesian number is commonly written: 0812..., 62812..., +62812..."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return set()
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    rest = digits[1:] if digits.startswith("0") else digits
    return {phone.strip(), digits, "0" + rest, "62" + rest, "+62" + rest}


def possible_duplicates(
    session: Session,
    *,
    now: datetime,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    subject: str | None = None,
    days: int = DUPLICATE_DAYS,
    limit: int = 5,
) -> list[DuplicateMatch]:
    """Complaints of the last ``days`` days by the same complainant or on a similar subject.

    Same complainant: equal name (case-insensitive), phone (any common spelling) or
    e-mail. Similar subject: among the most recent complaints sharing one of the
    subject's longest words (a bounded candidate set from SQL), those whose
    ``subject_similarity`` reaches ``SIMILARITY_THRESHOLD``.
    """
    since = now - timedelta(days=days)
    recent = Complaint.received_at >= since
    found: dict[int, DuplicateMatch] = {}

    identity: list[tuple[ColumnElement[bool], str]] = []
    if name and name.strip():
        identity.append(
            (func.lower(Complaint.complainant_name) == name.strip().lower(), "nama pemohon sama")
        )
    if phone and phone_variants(phone):
        identity.append(
            (Complaint.complainant_phone.in_(sorted(phone_variants(phone))), "nomor telepon sama")
        )
    if email and email.strip():
        identity.append(
            (func.lower(Complaint.complainant_email) == email.strip().lower(), "e-mail sama")
        )
    for condition, reason in identity:
        for row in _rows(
            session.execute(
                select(*_ROW_COLUMNS)
                .where(recent, condition)
                .order_by(Complaint.received_at.desc())
                .limit(limit)
            )
        ):
            previous = found.get(row.id)
            reasons = (*previous.reasons, reason) if previous else (reason,)
            found[row.id] = DuplicateMatch(row, reasons, 1.0)

    words = sorted(set(normalize_words(subject or "")), key=len, reverse=True)[:3]
    words = [w for w in words if len(w) >= 4]
    if words:
        candidates = _rows(
            session.execute(
                select(*_ROW_COLUMNS)
                .where(
                    recent, or_(*(Complaint.subject.ilike(_like(w), escape="\\") for w in words))
                )
                .order_by(Complaint.received_at.desc())
                .limit(_CANDIDATES)
            )
        )
        for row in candidates:
            score = subject_similarity(subject or "", row.subject)
            if score < SIMILARITY_THRESHOLD:
                continue
            reason = f"perihal mirip ({round(score * 100)}%)"
            previous = found.get(row.id)
            if previous:
                found[row.id] = DuplicateMatch(row, (*previous.reasons, reason), 1.0)
            else:
                found[row.id] = DuplicateMatch(row, (reason,), score)

    ranked = sorted(found.values(), key=lambda m: (-m.score, -m.row.received_at.timestamp()))
    return ranked[:limit]

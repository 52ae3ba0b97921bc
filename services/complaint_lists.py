"""Read models of the lists: my queue, search, and possible duplicates at intake.

Pages call these functions and never see a database session. Each function first
checks that the user is active and that one of their roles grants the page it serves
(``services.authz``); the refusal is here, not in the page. Names of *rahasia*
complainants are masked by ``services.identity``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from db import queries
from db.engine import read_session
from db.queries import NO_FILTER, ComplaintFilter
from layanan import sop, validate
from layanan.calendar import WorkingCalendar
from layanan.errors import InvalidInput
from layanan.sop import Role
from services import authz
from services.calendar_settings import load_calendar
from services.identity import disclosure, sees_any_identity

SEARCH_LABEL = "Cari tiket, nama pengadu, perihal atau isi"  # the search page's box
SEARCH_MAX = 300

STATUS_LABELS = {
    "terlambat": "Terlambat",
    "segera": "Segera jatuh tempo",
    "berjalan": "Dalam waktu",
    "selesai": "Selesai",
}


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
    # Where the searched text stands in the subject or text, as the viewer may read it:
    # (piece, is a match) in order; empty when the match is not in them (``snippet``).
    snippet: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class ListPage:
    items: tuple[ListItem, ...]
    total: int
    page: int
    page_size: int
    notice: str | None = None  # why a text found nothing to look for (too short)
    # More than ``queries.SEARCH_CAP`` match: ``total`` is the cap and the pages list
    # the newest ``SEARCH_CAP`` of them (search only; a queue is never capped).
    capped: bool = False

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
    roles: frozenset[Role],
    text: str | None = None,
) -> tuple[ListItem, ...]:
    full_day = calendar.day_minutes
    items = []
    for row in rows:
        shown = disclosure(roles, row)
        # A complaint whose identity is hidden matched by its ticket only: its text is
        # not searched, so none of it is shown as a match (db.queries._text_match).
        found: tuple[tuple[str, bool], ...] = ()
        if text and shown.name:
            found = snippet(shown.redact(row.body) or "", text) or snippet(
                shown.redact(row.subject) or "", text
            )
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
                subject=shown.redact(row.subject) or "",
                complainant=shown.complainant(row.complainant_name),
                confidential=row.confidential,
                received_at=row.received_at,
                closed_at=row.closed_at,
                due_at=row.step_due_at,
                minutes_left=left,
                status=step_status(
                    step=row.current_step, due_at=row.step_due_at, minutes_left=left, now=now
                ),
                day_minutes=full_day,
                snippet=found,
            )
        )
    return tuple(items)


SNIPPET_CONTEXT = 60  # characters shown on each side of the first match
TEXT_TOO_SHORT = (
    f"Ketik sedikitnya {queries.TEXT_MIN} karakter untuk mencari tiket, nama pengadu, "
    "perihal atau isi."
)


def snippet(text: str, query: str | None) -> tuple[tuple[str, bool], ...]:
    """The part of ``text`` around the first occurrence of ``query`` (case-insensitive),
    as (piece, is a match) pieces, every occurrence in it marked; () when none.

    ``text`` is what the viewer may read (already redacted): a match the redaction
    removed is not shown.
    """
    needle = " ".join((query or "").split()).casefold()
    flat = " ".join(text.split())
    if not needle:
        return ()
    folded = flat.casefold()
    if len(folded) != len(flat):  # casefold changed the length (ß): no safe offsets
        folded = flat.lower()
        if len(folded) != len(flat):
            return ()
    first = folded.find(needle)
    if first < 0:
        return ()
    start = max(0, first - SNIPPET_CONTEXT)
    end = min(len(flat), first + len(needle) + SNIPPET_CONTEXT)
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    at = start
    while (hit := folded.find(needle, at, end)) >= 0 and hit + len(needle) <= end:
        if hit > at:
            pieces.append((flat[at:hit], False))
        pieces.append((flat[hit : hit + len(needle)], True))
        at = hit + len(needle)
    if at < end:
        pieces.append((flat[at:end], False))
    if end < len(flat):
        pieces.append(("…", False))
    return tuple(pieces)


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
    count: Callable[[Session], int | queries.SearchBound],
    fetch: Callable[..., list[queries.ComplaintRow]],
    page: int,
    page_size: int,
    now: datetime,
    roles: frozenset[Role],
    text: str | None = None,
) -> ListPage:
    """One page of a queue or search list, clamped to the pages there are."""
    counted = count(session)
    bound = counted if isinstance(counted, queries.SearchBound) else None
    total = min(bound.matches, queries.SEARCH_CAP) if bound else int(counted)
    page, offset = _page_bounds(total, page, page_size)
    bounded = {"bound": bound} if bound else {}
    # A capped list ends at the cap (the rows past it are the older ones not counted).
    limit = max(0, min(page_size, total - offset)) if bound else page_size
    rows = fetch(session, limit=limit, offset=offset, **bounded)
    calendar = load_calendar(session)
    items = _items(rows, calendar=calendar, now=now, roles=roles, text=text)
    searched = queries.searchable_text(text)
    short = searched is not None and len(searched) < queries.TEXT_MIN
    return ListPage(
        items,
        total,
        page,
        page_size,
        TEXT_TOO_SHORT if short else None,
        capped=bool(bound and bound.capped),
    )


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
        visible = sees_any_identity(actor.roles)
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
            roles=actor.roles,
            text=filters.text,
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
    """Every complaint matching the filters; identities masked as needed.

    With a text (``queries.TEXT_MIN`` characters or more): best match first, each
    item with the ``snippet`` of its subject or text where the text stands; a shorter
    text matches nothing and the page says why (``ListPage.notice``). Without: newest
    first. Either way at most ``queries.SEARCH_CAP`` complaints are counted and listed
    (with a text, the newest that many matches are ranked): ``ListPage.capped`` says
    when more match.
    """
    now = now or datetime.now(UTC)
    # A NUL in the search text would make PostgreSQL raise: refused like a stored value.
    validate.text(filters.text, label=SEARCH_LABEL, max_length=SEARCH_MAX)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:search")
        visible = sees_any_identity(actor.roles)
        scope: dict[str, Any] = {"now": now, "filters": filters, "identity_visible": visible}
        return _list_page(
            session,
            count=partial(queries.search_bound, **scope),
            fetch=partial(queries.search_page, **scope),
            page=page,
            page_size=page_size,
            now=now,
            roles=actor.roles,
            text=filters.text,
        )


# --- possible duplicates at intake --------------------------------------------------


def _lookup_text(value: str | None) -> str | None:
    try:
        return validate.text(value, label="", max_length=SEARCH_MAX)
    except InvalidInput:
        return None


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
    """Complaints of the last 30 days by the same complainant or on a similar subject.

    Asked while the form is typed: a value the save will refuse (``layanan.validate``)
    is not looked up, so the refusal comes from the save, with its message."""
    now = now or datetime.now(UTC)
    name, phone, email, subject = (_lookup_text(value) for value in (name, phone, email, subject))
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:intake")
        matches = queries.possible_duplicates(
            session, now=now, name=name, phone=phone, email=email, subject=subject
        )
    shown = {m.row.id: disclosure(actor.roles, m.row) for m in matches}
    return [
        DuplicateItem(
            ticket=m.row.ticket,
            subject=shown[m.row.id].redact(m.row.subject) or "",
            complainant=shown[m.row.id].complainant(m.row.complainant_name),
            received_at=m.row.received_at,
            step_label=sop.step_label(m.row.current_step),
            reasons=m.reasons,
        )
        for m in matches
    ]

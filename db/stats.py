"""Aggregate queries for the monitoring dashboard and the monthly recapitulation.

Every function here is one SQL statement that returns grouped rows, never one row per
event: percentiles are computed by the caller from grouped counts of the stored
per-event ``working_minutes`` (a histogram), so the page never loads the events. The
statements run on SQLite and PostgreSQL alike; the few dialect differences (the local
day of an instant, a shape per planner where one is much faster) are marked where
they occur. Month/week buckets are CASEs on bucket starts computed in Python.

Which rows each figure counts is written down in ``docs/dashboard.md``. In short:
volume and regulatory clocks count complaints *received* in the period; step times
count step events *done* in the period; end-to-end times count complaints *closed* in
the period; the backlog and the overdue list are the state now, whatever the period.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    bindparam,
    case,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    AggClockDay,
    AggClosedDay,
    AggOnTimeDay,
    AggRatingDay,
    AggReceivedDay,
    AggStepDay,
    AggUnitDay,
    Complaint,
    ComplaintUnit,
    Rating,
    Setting,
    StepEvent,
    Unit,
    User,
    UtcDateTime,
)
from layanan import sop
from layanan.calendar import OFFICE_TZ, day_start

# Step events that do not complete a step: actions that stay at their step (e-mail
# queued at step 11); their minutes are part of the step's completion that follows.
STAYING_ACTIONS = tuple(a.key for a in sop.ACTIONS if not a.moves)
# A unit's draft handed to the Head and the Head's return of it (SOP review loop).
DRAFT_ACTIONS = ("submit_draft", "return_draft")
# Step events that are not staff work against an SOP standard: the complainant's own
# online submission (the first step takes no time there), and the staying ones.
NOT_TIMED_ACTIONS = (
    *(a.key for a in sop.ACTIONS if a.role is sop.Role.PEMOHON),
    *STAYING_ACTIONS,
)
GRAINS = ("week", "month")


@dataclass(frozen=True)
class Filters:
    """What the manager chose: a period [start, end) and optional unit/channel/category."""

    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    unit_id: int | None = None
    channel: str | None = None
    category: str | None = None
    grain: str = "month"  # volume buckets: "week" or "month"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("period bounds must be aware datetimes")
        if self.grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}")


# --- dialect helpers ----------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _offset_modifier(at: datetime | None = None) -> str:
    """SQLite date modifier from UTC to office time, e.g. "+480 minutes" (WITA)."""
    offset = OFFICE_TZ.utcoffset(at or datetime(2026, 1, 1))
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def local_day(session: Session, col) -> ColumnElement[str]:
    """The office-local calendar day of an instant, as text 'YYYY-MM-DD'."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone(str(OFFICE_TZ), col), "YYYY-MM-DD")
    return func.date(col, _offset_modifier())


def bucket_bounds(filters: Filters) -> list[tuple[datetime, str]]:
    """Office-local months ('2026-11') or weeks (their Monday, '2026-11-23') that the
    period touches, as (UTC start instant, label), oldest first."""
    tz = OFFICE_TZ
    first = filters.start.astimezone(tz).date()
    last = (filters.end - timedelta(microseconds=1)).astimezone(tz).date()
    if filters.grain == "month":
        day = first.replace(day=1)
    else:
        day = first - timedelta(days=first.weekday())
    bounds = []
    while day <= last:
        start = day_start(day, tz=tz)
        if filters.grain == "month":
            bounds.append((start, day.strftime("%Y-%m")))
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        else:
            bounds.append((start, day.isoformat()))
            day += timedelta(days=7)
    return bounds


def bucket(col, filters: Filters) -> ColumnElement[str]:
    """The month/week label of an instant inside the period, as a CASE on the bucket
    starts (plain comparisons: several times cheaper than date functions per row)."""
    bounds = bucket_bounds(filters)
    starts = [start for start, _label in bounds[1:]]
    labels = [label for _start, label in bounds]
    whens = [(col < start, label) for start, label in zip(starts, labels, strict=False)]
    if not whens:  # one bucket: still an expression (PostgreSQL refuses GROUP BY 'x')
        whens = [(col.is_(None), labels[0])]
    return case(*whens, else_=labels[-1])


EXACT_MINUTES = 600  # up to 10 working hours histograms count every minute, then hours


def minute_bin(col) -> ColumnElement[int]:
    """Working minutes as counted in histograms: exact up to ``EXACT_MINUTES``, then
    rounded down to the whole hour (fewer groups; standards are far below the limit,
    so on time / late is never affected)."""
    return case((col <= EXACT_MINUTES, col), else_=col - col % 60)


def no_index_order(session: Session, col) -> ColumnElement:
    """``col + 0`` on SQLite: the same value, but the planner no longer walks an index
    on ``col`` to get GROUP BY order for free (it then prefers the covering range scan
    of the WHERE clause). PostgreSQL plans by cost: the bare column."""
    return col + 0 if _dialect(session) == "sqlite" else col


def _on_time(event=StepEvent) -> ColumnElement[int]:
    """1 when the step was done within its standard (working minutes), else 0."""
    return case((event.working_minutes <= event.standard_minutes, 1), else_=0)


def _complaint_conditions(f: Filters, c=Complaint) -> list[ColumnElement[bool]]:
    """Conditions on a complaint for the unit / channel / category filters."""
    conds: list[ColumnElement[bool]] = []
    if f.channel:
        conds.append(c.channel == f.channel)
    if f.category:
        conds.append(c.category == f.category)
    if f.unit_id:
        cu = ComplaintUnit.__table__.alias("filter_unit")  # the query may join the table too
        conds.append(exists().where(cu.c.complaint_id == c.id, cu.c.unit_id == f.unit_id))
    return conds


def _event_conditions(f: Filters, e=StepEvent) -> list[ColumnElement[bool]]:
    """Events done in the period, of complaints that pass the filters."""
    conds = [e.at >= f.start, e.at < f.end]
    complaint_conds = _complaint_conditions(f)
    if complaint_conds:
        conds.append(e.complaint_id.in_(select(Complaint.id).where(*complaint_conds)))
    return conds


def _received(f: Filters, c=Complaint) -> list[ColumnElement[bool]]:
    return [c.received_at >= f.start, c.received_at < f.end, *_complaint_conditions(f, c)]


def _closed(f: Filters, c=Complaint) -> list[ColumnElement[bool]]:
    return [c.closed_at >= f.start, c.closed_at < f.end, *_complaint_conditions(f, c)]


# --- per-day aggregates (db.aggregates) ---------------------------------------------

_recompute = threading.local()


@contextmanager
def recomputing() -> Iterator[None]:
    """Within the block, every figure is recomputed from the events (as before the
    aggregates existed): the tests compare both ways on the same data."""
    _recompute.on = True
    try:
        yield
    finally:
        _recompute.on = False


def _agg_days(f: Filters) -> tuple[str, str] | None:
    """[first day, day after the last) of the period when the per-day aggregates can
    answer it: whole office-local days and no unit filter (the aggregates are per
    channel and category, not per assigned unit). None: recompute from the events."""
    if f.unit_id or getattr(_recompute, "on", False):
        return None
    first = f.start.astimezone(OFFICE_TZ)
    after = f.end.astimezone(OFFICE_TZ)
    if first != day_start(first.date()) or after != day_start(after.date()):
        return None
    return first.date().isoformat(), after.date().isoformat()


def _agg_read(
    f: Filters, days: tuple[str, str], t, *, bucketed: bool = False
) -> tuple[list[ColumnElement[bool]], ColumnElement[int], ColumnElement[str] | None]:
    """How to read an aggregate table (all but agg_clock_days have month and year rows)
    for the period's days: ``(conditions, sign, bucket)``, summed as ``measure * sign``.

    Unbucketed, a year or month inside is its year or month row (``_agg_span``). Per
    month, a month row's bucket is its own key, which is the month's label ('2026-11'),
    and the days it is corrected by are in that month too; a year row has no month, so
    a bucketed read goes no higher than months. Per week, a month row cannot be split:
    the days themselves are read.
    """
    conds: list[ColumnElement[bool]] = []
    if f.channel:
        conds.append(t.channel == f.channel)
    if f.category:
        conds.append(t.category == f.category)
    if bucketed and f.grain == "week":
        return [*conds, _day_rows(t, *days)], literal(1), day_bucket(t.day, f)
    span, sign = _agg_span(days, t, years=not bucketed)
    return [*conds, span], sign, (func.substr(t.day, 1, 7) if bucketed else None)


def _day_rows(t, first: str, after: str) -> ColumnElement[bool]:
    """Day rows with first <= day < after. Month and year keys sort among day keys
    ('2026' and '2026-01' just before '2026-01-01'), so those inside the range are
    excluded by name: with ``length(day) = 10`` instead, PostgreSQL estimated 0.5% of
    the rows and sorted them for the GROUP BY instead of hashing."""
    conds = [t.day >= first, t.day < after]
    inside: list[str] = [
        str(year)
        for year in range(int(first[:4]), int(after[:4]) + 1)
        if first <= str(year) < after
    ]
    month = date.fromisoformat(first).replace(day=1)
    while month.isoformat() < after:
        key = month.isoformat()[:7]
        if first <= key < after:
            inside.append(key)
        month = _next_month(month)
    if inside:
        conds.append(t.day.not_in(inside))
    return and_(*conds)


# Rows of one key of a day, a month and a year, relative to a day's (the step
# histogram at 1,000,000 complaints: 2,700, 6,800 and 9,700 rows): a year row set
# replaces twelve month rows for a little more than one.
_KEY_ROWS = {10: 1.0, 7: 2.5, 4: 3.6}


def _agg_span(
    days: tuple[str, str], t, *, years: bool = True
) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """The rows of a table with month and year rows (``Spec.monthly``) whose signed sum
    is the sum over the days [first, after): ``(where, sign)``, summed as
    ``count * sign``.

    A whole year or month inside is its row ('YYYY', 'YYYY-MM'). A year or month cut by
    the period is whichever reads fewer rows: its parts inside, or its row less its
    parts outside (sums subtract exactly). "12 bulan terakhir" is then one year row and
    a few corrections, not twelve months of rows; the default "30 days" is most of one
    month and two days of the next: a month row and four days, not thirty days of rows
    (at 1,000,000 complaints a day holds thousands of step-histogram rows).
    """
    first, after = date.fromisoformat(days[0]), date.fromisoformat(days[1])
    keys = _year_keys(first, after) if years else _month_keys(first, after)
    minus = [k for k, sign in keys.items() if sign < 0]
    where = t.day.in_(list(keys))
    sign = case((t.day.in_(minus), -1), else_=1) if minus else literal(1)
    return where, sign


def _rows_read(keys: dict[str, int]) -> float:
    return sum(_KEY_ROWS[len(k)] for k in keys)


def _year_keys(first: date, after: date) -> dict[str, int]:
    """{key: +1 or -1} over [first, after) with year, month and day keys."""
    keys: dict[str, int] = {}
    year = first.year
    while date(year, 1, 1) < after:
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
        lo, hi = max(first, start), min(after, end)
        if (lo, hi) == (start, end):
            keys[str(year)] = 1
        else:
            inside = _month_keys(lo, hi)
            outside = _month_keys(start, lo) | _month_keys(hi, end)  # disjoint ranges
            whole = {str(year): 1} | {k: -sign for k, sign in outside.items()}
            keys |= whole if _rows_read(whole) < _rows_read(inside) else inside
        year += 1
    return keys


def _month_keys(first: date, after: date) -> dict[str, int]:
    """{key: +1 or -1} over [first, after) with month and day keys."""
    keys: dict[str, int] = {}
    month = first.replace(day=1)
    while month < after:
        following = _next_month(month)
        lo, hi = max(first, month), min(after, following)
        inside = (hi - lo).days
        outside = (following - month).days - inside
        if outside == 0:
            keys[month.isoformat()[:7]] = 1
        elif outside < inside:
            keys[month.isoformat()[:7]] = 1
            keys |= {d: -1 for d in _day_keys(month, lo) + _day_keys(hi, following)}
        else:
            keys |= {d: 1 for d in _day_keys(lo, hi)}
        month = following
    return keys


def _day_keys(first: date, after: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((after - first).days)]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def day_bucket(col, filters: Filters) -> ColumnElement[str]:
    """``bucket`` for an office-local day 'YYYY-MM-DD' (bucket starts are midnights)."""
    bounds = bucket_bounds(filters)
    starts = [start.astimezone(OFFICE_TZ).date().isoformat() for start, _label in bounds[1:]]
    labels = [label for _start, label in bounds]
    whens = [(col < start, label) for start, label in zip(starts, labels, strict=False)]
    if not whens:
        whens = [(col.is_(None), labels[0])]
    return case(*whens, else_=labels[-1])


# --- cache key ----------------------------------------------------------------------


def data_version(*, session: Session) -> tuple:
    """Cheap fingerprint that changes whenever a complaint moves or is rated.

    Every move appends a step event (ids only grow), a rating adds a row, and the
    calendar or clock settings change ``settings.updated_at``.
    """
    return tuple(
        session.execute(
            select(
                select(func.max(StepEvent.id)).scalar_subquery(),
                select(func.count()).select_from(Rating).scalar_subquery(),
                select(func.max(Setting.updated_at)).scalar_subquery(),
            )
        ).one()
    )


# --- reference lists ----------------------------------------------------------------


def units(*, session: Session) -> list[tuple[int, str, str]]:
    """Every unit as (id, code, name), by name."""
    return [
        tuple(r) for r in session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.name))
    ]


# --- volume ---------------------------------------------------------------------------


def volume(*, session: Session, filters: Filters) -> list[tuple[str, str, str, str, int]]:
    """Complaints received per (bucket, channel, category, form); form '' if undecided."""
    days = _agg_days(filters)
    if days:
        t = AggReceivedDay
        conds, sign, b = _agg_read(filters, days, t, bucketed=True)
        b = b.label("bucket")
        total = func.sum(t.count * sign)
        q = (
            select(b, t.channel, t.category, t.form, total)
            .where(*conds)
            .group_by(b, t.channel, t.category, t.form)
            .having(total > 0)
            .order_by(b)
        )
        return [tuple(r) for r in session.execute(q)]
    b = bucket(Complaint.received_at, filters).label("bucket")
    form = func.coalesce(Complaint.form, "").label("form")
    q = (
        select(b, Complaint.channel, Complaint.category, form, func.count())
        .where(*_received(filters))
        .group_by(b, Complaint.channel, Complaint.category, form)
        .order_by(b)
    )
    return [tuple(r) for r in session.execute(q)]


def volume_by_unit(*, session: Session, filters: Filters) -> list[tuple[str, int | None, int]]:
    """Complaints received per (bucket, assigned unit); unit None: not yet assigned.

    A complaint assigned to two units counts once for each.
    """
    days = _agg_days(filters)
    if days and not (filters.channel or filters.category):
        t = AggUnitDay
        conds, sign, b = _agg_read(filters, days, t, bucketed=True)
        b = b.label("bucket")
        total = func.sum(t.count * sign)
        q = (
            select(b, t.unit_id, total)
            .where(*conds, t.kind == "received")
            .group_by(b, t.unit_id)
            .having(total > 0)
            .order_by(b)
        )
        return [(r[0], r[1] or None, r[2]) for r in session.execute(q)]
    b = bucket(Complaint.received_at, filters).label("bucket")
    q = (
        select(b, ComplaintUnit.unit_id, func.count())
        .select_from(Complaint)
        .outerjoin(ComplaintUnit, ComplaintUnit.complaint_id == Complaint.id)
        .where(*_received(filters))
        .group_by(b, ComplaintUnit.unit_id)
        .order_by(b)
    )
    if filters.unit_id:
        q = q.where(ComplaintUnit.unit_id == filters.unit_id)
    return [tuple(r) for r in session.execute(q)]


# --- time per step ------------------------------------------------------------------


def _timed_events(filters: Filters) -> list[ColumnElement[bool]]:
    return [*_event_conditions(filters), StepEvent.action.not_in(NOT_TIMED_ACTIONS)]


def step_histogram(*, session: Session, filters: Filters) -> list[tuple[int, int, int, int]]:
    """Step events done in the period, counted per distinct value.

    Rows are (step, standard minutes, working minutes, count): the median, 90th
    percentile and on-time share per step are computed from these counts. One covering
    range scan of ix_step_events_stats_at, or of the period's days in agg_step_days.
    """
    days = _agg_days(filters)
    if days and not (filters.channel or filters.category):  # no such keys in the table
        t = AggStepDay
        conds, sign, _ = _agg_read(filters, days, t)
        total = func.sum(t.count * sign)
        q = (
            select(t.step, t.standard_minutes, t.minutes, total)
            .where(*conds)
            .group_by(t.step, t.standard_minutes, t.minutes)
            .having(total > 0)
        )
        return [tuple(r) for r in session.execute(q)]
    e = StepEvent
    minutes = minute_bin(e.working_minutes).label("minutes")
    # On the bare column SQLite would walk the (step, at) index for its order instead of
    # the covering (at, ...) range of ix_step_events_stats_at (docs/dashboard.md).
    step = no_index_order(session, e.step).label("step")
    q = (
        select(step, e.standard_minutes, minutes, func.count())
        .where(*_timed_events(filters))
        .group_by(step, e.standard_minutes, minutes)
    )
    return [tuple(r) for r in session.execute(q)]


def on_time_by_bucket_and_unit(
    *, session: Session, filters: Filters
) -> list[tuple[str, int | None, int, int]]:
    """Steps done and of them on time, per month/week of the event and unit staff member.

    Rows are (bucket, staff id for unit work (role ``unit``: SOP steps 5 and 8) else
    None, steps done, on time).
    """
    days = _agg_days(filters)
    if days:
        t = AggOnTimeDay
        conds, sign, b = _agg_read(filters, days, t, bucketed=True)
        b = b.label("bucket")
        total = func.sum(t.count * sign)
        q = (
            select(b, t.unit_actor_id, total, func.sum(t.on_time * sign))
            .where(*conds)
            .group_by(b, t.unit_actor_id)
            .having(total > 0)
        )
        return [(r[0], r[1] or None, r[2], int(r[3] or 0)) for r in session.execute(q)]
    e = StepEvent
    b = bucket(e.at, filters).label("bucket")
    unit_actor = case((e.role == "unit", e.actor_id)).label("unit_actor")
    q = (
        select(b, unit_actor, func.count(), func.sum(_on_time()))
        .where(*_timed_events(filters))
        .group_by(b, unit_actor)
    )
    return [(r[0], r[1], r[2], int(r[3] or 0)) for r in session.execute(q)]


def unit_of_staff(*, session: Session) -> dict[int, int | None]:
    """Every user's unit id, by user id (a small table)."""
    return dict(session.execute(select(User.id, User.unit_id)).all())


# --- backlog ------------------------------------------------------------------------


def backlog(
    *, session: Session, filters: Filters, now: datetime, bounds: Sequence[datetime]
) -> list[tuple[int, int, int, int]]:
    """Open complaints now, in one pass: (current step, age bucket, open, of which past
    the step's due).

    ``bounds`` are instants, newest first: bucket 0 holds complaints received after
    ``bounds[0]``, bucket i those received in (bounds[i], bounds[i-1]], and bucket
    ``len(bounds)`` the older ones. The dashboard sums the rows per step, per bucket and
    in all (the overdue total): one read of the open complaints instead of three (at
    1,000,000 complaints, 15,000 open: 10 ms each).
    """
    c = Complaint
    overdue = case((c.step_due_at < now, 1), else_=0)
    whens = [(c.received_at > bound, i) for i, bound in enumerate(bounds)]
    age = case(*whens, else_=len(bounds)).label("age")
    q = (
        select(c.current_step, age, func.count(), func.sum(overdue))
        .where(c.current_step.is_not(None), *_complaint_conditions(filters))
        .group_by(c.current_step, age)
    )
    return [(r[0], r[1], r[2], int(r[3] or 0)) for r in session.execute(q)]


# --- returns at step 9 --------------------------------------------------------------


def draft_returns(*, session: Session, filters: Filters) -> list[tuple[int, str, int]]:
    """Drafts submitted (step 8) and returned (step 9) in the period, per assigned unit."""
    days = _agg_days(filters)
    if days and not (filters.channel or filters.category):
        t = AggUnitDay
        conds, sign, _ = _agg_read(filters, days, t)
        total = func.sum(t.count * sign)
        q = (
            select(t.unit_id, t.kind, total)
            .where(*conds, t.kind.in_(DRAFT_ACTIONS))
            .group_by(t.unit_id, t.kind)
            .having(total > 0)
        )
        return [tuple(r) for r in session.execute(q)]
    e = StepEvent
    q = (
        select(ComplaintUnit.unit_id, e.action, func.count())
        .select_from(e)
        .join(ComplaintUnit, ComplaintUnit.complaint_id == e.complaint_id)
        .where(*_event_conditions(filters), e.action.in_(DRAFT_ACTIONS))
        .group_by(ComplaintUnit.unit_id, e.action)
    )
    if filters.unit_id:
        q = q.where(ComplaintUnit.unit_id == filters.unit_id)
    return [tuple(r) for r in session.execute(q)]


def draft_rounds(*, session: Session, filters: Filters) -> list[tuple[int, int, int]]:
    """Complaints whose draft was approved (paraf) in the period, per assigned unit.

    Rows are (unit id, approved complaints, total draft rounds of those complaints).
    """
    days = _agg_days(filters)
    if days and not (filters.channel or filters.category):
        t = AggUnitDay
        conds, sign, _ = _agg_read(filters, days, t)
        total = func.sum(t.count * sign)
        q = (
            select(t.unit_id, total, func.sum(t.rounds * sign))
            .where(*conds, t.kind == "approved")
            .group_by(t.unit_id)
            .having(total > 0)
        )
        return [(r[0], r[1], int(r[2] or 0)) for r in session.execute(q)]
    c = Complaint
    q = (
        select(ComplaintUnit.unit_id, func.count(), func.sum(c.draft_rounds))
        .select_from(c)
        .join(ComplaintUnit, ComplaintUnit.complaint_id == c.id)
        .where(
            c.approved_at >= filters.start,
            c.approved_at < filters.end,
            *_complaint_conditions(filters),
        )
        .group_by(ComplaintUnit.unit_id)
    )
    if filters.unit_id:
        q = q.where(ComplaintUnit.unit_id == filters.unit_id)
    return [(r[0], r[1], int(r[2] or 0)) for r in session.execute(q)]


# --- end to end and regulatory clocks -----------------------------------------------


def _totals_of_closed(session: Session, filters: Filters):
    """Per complaint closed in the period: its working minutes from arrival to close."""
    e, c = StepEvent, Complaint
    # On the bare key SQLite scans all complaints in id order instead of the
    # ix_complaints_closed range.
    key = no_index_order(session, c.id).label("complaint_id")
    return (
        select(key, func.sum(e.working_minutes).label("total"))
        .select_from(c)
        .join(e, e.complaint_id == c.id)
        .where(*_closed(filters), e.action.not_in(STAYING_ACTIONS))
        .group_by(key)
        .subquery()
    )


def end_to_end(*, session: Session, filters: Filters) -> list[tuple[str, int, int]]:
    """Histogram of closed complaints' working minutes: (form, minutes, count).

    A complaint's steps follow each other without gaps, so the sum of its events'
    working minutes is the working time from arrival to closing.
    """
    days = _agg_days(filters)
    if days and not (filters.channel or filters.category):  # no such keys in the table
        t = AggClosedDay
        conds, sign, _ = _agg_read(filters, days, t)
        total = func.sum(t.count * sign)
        q = (
            select(t.form, t.minutes, total)
            .where(*conds)
            .group_by(t.form, t.minutes)
            .having(total > 0)
        )
        return [tuple(r) for r in session.execute(q)]
    totals = _totals_of_closed(session, filters)
    total = minute_bin(totals.c.total).label("total")
    form = func.coalesce(Complaint.form, "").label("form")
    q = (
        select(form, total, func.count())
        .select_from(totals)
        .join(Complaint, Complaint.id == totals.c.complaint_id)
        .group_by(form, total)
    )
    return [tuple(r) for r in session.execute(q)]


@dataclass(frozen=True)
class DueDay:
    """Regulatory deadlines of complaints received on one office-local day."""

    day: str  # 'YYYY-MM-DD'
    verification: datetime
    follow_up: datetime
    completion: datetime
    supervisory_completion: datetime


# The deadline fields of a DueDay, in the order of _due_table's columns (column2...).
_DUE_FIELDS = ("verification", "follow_up", "completion", "supervisory_completion")
_DUE_COLUMN = {f: f"column{i}" for i, f in enumerate(_DUE_FIELDS, start=2)}
# Per clock: the DueDay field of its deadline, and that of a supervisory complaint (only
# the completion clock differs). The one table behind the SQL (``_due_column``) and the
# Python (``_due_of_clock``) reading of a clock's deadline.
CLOCK_DUE_FIELDS = {
    "verifikasi": ("verification", "verification"),
    "tindak_lanjut": ("follow_up", "follow_up"),
    "penyelesaian": ("completion", "supervisory_completion"),
}


def _due_of_clock(due: DueDay, key: str, supervisory: int | bool) -> datetime:
    regular, special = CLOCK_DUE_FIELDS[key]
    return getattr(due, special if supervisory else regular)


def _due_column(dues, key: str, c=Complaint) -> ColumnElement:
    """The deadline of clock ``key`` of complaint ``c`` from ``_due_table``'s row."""
    regular, special = CLOCK_DUE_FIELDS[key]
    if regular == special:
        return dues.c[_DUE_COLUMN[regular]]
    return case(
        (c.supervisory.is_(True), dues.c[_DUE_COLUMN[special]]),
        else_=dues.c[_DUE_COLUMN[regular]],
    )


def _due_names(i: int) -> list[str]:
    return [f"dd{i}_{j}" for j in range(1 + len(_DUE_FIELDS))]


def due_params(days: Sequence[DueDay]) -> dict[str, Any]:
    """The values of ``_due_table(len(days))``'s parameters for ``days``."""
    params: dict[str, Any] = {}
    for i, d in enumerate(days):
        names = _due_names(i)
        params[names[0]] = d.day
        params.update(zip(names[1:], (getattr(d, f) for f in _DUE_FIELDS), strict=True))
    return params


def _due_table(days: Sequence[DueDay] | int):
    """A VALUES table (column1: the day, then ``_DUE_FIELDS``) of deadlines per received
    day, as a CTE: of ``days`` with their values bound, or of that many days whose
    values come with the execution (``due_params``), so that the statement can be
    built once and reused (the aggregates' upkeep on every flush).

    Written as ``WITH ... AS (VALUES ...)``, which SQLite and PostgreSQL both accept.
    """
    count = days if isinstance(days, int) else len(days)
    values = {} if isinstance(days, int) else due_params(days)
    rows, params = [], []
    for i in range(count):
        names = _due_names(i)
        rows.append("(" + ", ".join(f":{n}" for n in names) + ")")
        params.append(bindparam(names[0], values.get(names[0]), type_=String))
        params.extend(bindparam(n, values.get(n), type_=UtcDateTime) for n in names[1:])
    stmt = (
        text("VALUES " + ", ".join(rows))
        .bindparams(*params)
        .columns(
            column("column1", String),
            *(column(_DUE_COLUMN[f], UtcDateTime) for f in _DUE_FIELDS),
        )
    )
    return stmt.cte("due_days")


CLOCK_KEYS = ("verifikasi", "tindak_lanjut", "penyelesaian")
# SQLite keeps its correlated seeks: measured faster than the grouped pass (100,000
# complaints, 12 months: 2.6 s against 3.2 s); PostgreSQL groups.
CLOCKS_GROUPED_ON_SQLITE = False


# Per regulatory clock, the step (per form) whose last completion ends it (sop table).
CLOCK_ENDS = {key: sop.TABLE.clock_steps(key) for key in CLOCK_KEYS}
CLOCK_STEPS = tuple(sorted({n for ends in CLOCK_ENDS.values() for n in ends.values()}))


def _clock_columns(dialect: str, scope: Select | None, dues, c=Complaint):
    """Per clock: (done_at, due_at) expressions for a complaint, and joins they need.

    Done: when the step that ends the clock for the complaint's form was last completed
    (``CLOCK_ENDS``, from the SOP table), as ``layanan.clocks``.
    SQLite: a correlated seek in ix_step_events_complaint_step per clock, cheapest for
    its nested loops. PostgreSQL: one grouped pass over the (step, at) range of the
    period joined by hash, which beats 3 seeks per complaint over long periods.
    """
    oral = c.form == "lisan"
    has_form = c.form.is_not(None)
    joins: list = []
    if dialect == "postgresql" or CLOCKS_GROUPED_ON_SQLITE:
        e = StepEvent
        # ``scope`` (the complaints received in the period, by ix_complaints_received):
        # their events are sought by ix_step_events_complaint_step (complaint_id, step,
        # ...), never scanning the events of other complaints (an `at >= start` filter
        # alone walks the whole index).
        in_scope = [] if scope is None else [e.complaint_id.in_(scope)]
        done_steps = (
            select(
                e.complaint_id.label("complaint_id"),
                *[func.max(case((e.step == n, e.at))).label(f"s{n}") for n in CLOCK_STEPS],
            )
            .where(
                *in_scope,
                e.step.in_(CLOCK_STEPS),
                e.action.not_in(STAYING_ACTIONS),
            )
            .group_by(e.complaint_id)
            .subquery("clock_steps")
        )
        joins.append((done_steps, done_steps.c.complaint_id == c.id, True))

        def done(step_number: int) -> ColumnElement:
            return done_steps.c[f"s{step_number}"]

    else:

        def done_at_step(step_expr) -> ColumnElement:
            e = StepEvent.__table__.alias("clock_event")
            return (
                select(func.max(e.c.at))
                .where(
                    e.c.complaint_id == c.id,
                    e.c.step == step_expr,
                    e.c.action.not_in(STAYING_ACTIONS),
                )
                .scalar_subquery()
            )

        def done(step_number: int) -> ColumnElement:
            return done_at_step(literal(step_number))

    def ended(clock: str) -> ColumnElement:
        ends = CLOCK_ENDS[clock]
        oral_end, written_end = ends[sop.Form.LISAN], ends[sop.Form.TERTULIS]
        if oral_end == written_end:
            return done(written_end)
        return case((oral, done(oral_end)), else_=done(written_end))

    verification, follow, completion = (ended(k) for k in CLOCK_KEYS)
    columns = {
        "verifikasi": (verification, _due_column(dues, "verifikasi", c)),
        "tindak_lanjut": (case((has_form, follow)), _due_column(dues, "tindak_lanjut", c)),
        "penyelesaian": (case((has_form, completion)), _due_column(dues, "penyelesaian", c)),
    }
    return columns, joins


def _clock_late(done_at, due_at, now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(done_at.is_not(None), done_at > due_at),
        and_(done_at.is_(None), due_at < now),
    )


def regulatory_compliance(
    *, session: Session, filters: Filters, days: Sequence[DueDay], now: datetime
) -> dict[str, tuple[int, int, int]]:
    """Per clock, complaints received in the period: (met, late, still running).

    Met: done by its deadline. Late: done after it, or not done and past it. Running:
    not done and not yet due.
    """
    if not days:
        return {key: (0, 0, 0) for key in CLOCK_KEYS}
    agg_days = _agg_days(filters)
    if agg_days and not (filters.channel or filters.category):
        return _compliance_from_aggregates(session, agg_days, days, now)
    dues = _due_table(days)
    c = Complaint
    clocks, joins = _clock_columns(
        _dialect(session), select(Complaint.id).where(*_received(filters)), dues, c
    )
    # One row per complaint with its done/due instants, computed once (MATERIALIZED:
    # otherwise each use below would repeat the correlated subqueries).
    per_complaint = (
        select(
            *[done.label(f"{key}_done") for key, (done, _due) in clocks.items()],
            *[due.label(f"{key}_due") for key, (_done, due) in clocks.items()],
        )
        .select_from(c)
        # LEFT JOIN (every received day has a row): keeps complaints the outer loop in
        # SQLite, which then looks each day up instead of rescanning the complaints.
        .outerjoin(dues, dues.c.column1 == local_day(session, c.received_at))
        .where(*_received(filters))
    )
    for target, on, outer in joins:
        per_complaint = per_complaint.join(target, on, isouter=outer)
    per_complaint = per_complaint.cte("clock_state").prefix_with("MATERIALIZED")
    columns = []
    for key in CLOCK_KEYS:
        done_at = per_complaint.c[f"{key}_done"]
        due_at = per_complaint.c[f"{key}_due"]
        met = and_(done_at.is_not(None), done_at <= due_at)
        late = _clock_late(done_at, due_at, now)
        columns += [
            func.sum(case((met, 1), else_=0)).label(f"{key}_met"),
            func.sum(case((late, 1), else_=0)).label(f"{key}_late"),
        ]
    q = select(func.count(), *columns).select_from(per_complaint)
    row = session.execute(q).one()
    total = row[0]
    result = {}
    for i, key in enumerate(CLOCK_KEYS):
        met, late = int(row[1 + 2 * i] or 0), int(row[2 + 2 * i] or 0)
        result[key] = (met, late, total - met - late)
    return result


def _compliance_from_aggregates(
    session: Session, agg_days: tuple[str, str], days: Sequence[DueDay], now: datetime
) -> dict[str, tuple[int, int, int]]:
    """``regulatory_compliance`` from agg_clock_days: met and late-done as stored; of
    the rest of each day's complaints (not done yet), late when the day's deadline has
    passed, else running."""
    t = AggClockDay
    q = (
        select(t.day, t.supervisory, t.clock, t.state, func.sum(t.count))
        .where(t.day >= agg_days[0], t.day < agg_days[1])
        .group_by(t.day, t.supervisory, t.clock, t.state)
    )
    counts: dict[tuple, int] = {}
    for day, supervisory, clock, state, n in session.execute(q):
        counts[(day, supervisory, clock, state)] = int(n or 0)
    due_of = {d.day: d for d in days}
    result = {}
    for key in CLOCK_KEYS:
        met = late = total = 0
        for (day, supervisory, clock, state), n in counts.items():
            if clock or state != "received":
                continue
            done_met = counts.get((day, supervisory, key, "met"), 0)
            done_late = counts.get((day, supervisory, key, "late"), 0)
            met += done_met
            late += done_late
            total += n
            due = due_of.get(day)
            if due is not None and _due_of_clock(due, key, supervisory) < now:
                late += n - done_met - done_late
        result[key] = (met, late, total - met - late)
    return result


# --- ratings --------------------------------------------------------------------------


def ratings(*, session: Session, filters: Filters) -> list[tuple[int, int]]:
    """Satisfaction ratings given in the period: (score 1-5, count)."""
    days = _agg_days(filters)
    if days:
        t = AggRatingDay
        conds, sign, _ = _agg_read(filters, days, t)
        total = func.sum(t.count * sign)
        q = (
            select(t.score, total)
            .where(*conds)
            .group_by(t.score)
            .having(total > 0)
            .order_by(t.score)
        )
        return [tuple(r) for r in session.execute(q)]
    q = (
        select(Rating.score, func.count())
        .where(Rating.at >= filters.start, Rating.at < filters.end)
        .group_by(Rating.score)
        .order_by(Rating.score)
    )
    conds = _complaint_conditions(filters)
    if conds:
        q = q.where(Rating.complaint_id.in_(select(Complaint.id).where(*conds)))
    return [tuple(r) for r in session.execute(q)]


# --- status counts (recapitulation) --------------------------------------------------


def status_counts(*, session: Session, filters: Filters, now: datetime) -> list[tuple[str, int]]:
    """Complaints received in the period by status now: selesai / diproses / terlambat."""
    c = Complaint
    status = case(
        (c.current_step.is_(None), "selesai"),
        (c.step_due_at < now, "terlambat"),
        else_="diproses",
    ).label("status")
    q = select(status, func.count()).where(*_received(filters)).group_by(status)
    return [tuple(r) for r in session.execute(q)]


# --- complaint lists (drill-down) -----------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """Which complaints stand behind a figure: a kind and its value (see ``drill_where``)."""

    kind: str
    value: str | int | None = None
    label: str = ""


DRILL_KINDS = (
    "received",  # received in the period
    "bucket",  # received in a month/week bucket (value '2026-11')
    "channel",
    "category",
    "form",  # 'lisan' / 'tertulis' / '' (not yet classified)
    "unit",  # received in the period and assigned to unit (value id; None: unassigned)
    "step_late",  # with a step-N event in the period past its standard (value N)
    "bucket_late",  # with a late step event in that month/week
    "unit_late",  # with a late step-5/8 event by staff of the unit
    "open",  # open now
    "open_step",  # open now at step N
    "overdue",  # open now and past the current step's due time
    "age",  # open now, age bucket i (value i; the page passes the bounds)
    "returned",  # with a draft returned in the period, assigned to the unit (value id)
    "closed",  # closed in the period
    "clock_late",  # received in the period, regulatory clock missed (value clock key)
    "rating",  # rated in the period with score N
    "status",  # received in the period, with status now (value selesai/diproses/terlambat)
)


def drill_where(
    session: Session,
    drill: Drill,
    *,
    filters: Filters,
    now: datetime,
    age_bounds: Sequence[datetime] = (),
    due_days: Sequence[DueDay] = (),
) -> tuple[list[ColumnElement[bool]], list | None]:
    """Conditions on ``Complaint`` for a drill-down, and (target, on, outer) joins, if any."""
    c, e = Complaint, StepEvent
    base = _complaint_conditions(filters)
    period_events = [e.at >= filters.start, e.at < filters.end, e.complaint_id == c.id]
    late = e.working_minutes > e.standard_minutes
    kind, value = drill.kind, drill.value
    if kind == "received":
        return _received(filters), None
    if kind == "bucket":
        b = bucket(c.received_at, filters)
        return [*_received(filters), b == value], None
    if kind in ("channel", "category"):
        return [*_received(filters), getattr(c, kind) == value], None
    if kind == "form":
        cond = c.form.is_(None) if not value else c.form == value
        return [*_received(filters), cond], None
    if kind == "unit":
        has = exists().where(ComplaintUnit.complaint_id == c.id)
        if value is None:
            return [*_received(filters), ~has], None
        return [*_received(filters), has.where(ComplaintUnit.unit_id == int(value))], None
    if kind == "step_late":
        return [*base, exists().where(*period_events, e.step == int(value), late)], None
    if kind == "bucket_late":
        b = bucket(e.at, filters)
        return [*base, exists().where(*period_events, b == value, late)], None
    if kind == "unit_late":
        if value is None:  # unit staff without a unit: nothing to list
            return [false()], None
        by_unit = select(User.id).where(User.unit_id == int(value))
        return [
            *base,
            exists().where(*period_events, e.role == "unit", e.actor_id.in_(by_unit), late),
        ], None
    if kind == "open":
        return [*base, c.current_step.is_not(None)], None
    if kind == "open_step":
        return [*base, c.current_step == int(value)], None
    if kind == "overdue":
        return [*base, c.current_step.is_not(None), c.step_due_at < now], None
    if kind == "age":
        i = int(value)
        conds = [*base, c.current_step.is_not(None)]
        if i < len(age_bounds):
            conds.append(c.received_at > age_bounds[i])
        if i > 0:
            conds.append(c.received_at <= age_bounds[i - 1])
        return conds, None
    if kind == "returned":
        assigned = exists().where(
            ComplaintUnit.complaint_id == c.id, ComplaintUnit.unit_id == int(value)
        )
        returned = exists().where(*period_events, e.action == "return_draft")
        return [*base, assigned, returned], None
    if kind == "closed":
        return _closed(filters), None
    if kind == "clock_late":
        dues = _due_table(due_days)
        clocks, clock_joins = _clock_columns(
            _dialect(session), select(Complaint.id).where(*_received(filters)), dues, c
        )
        done_at, due_at = clocks[str(value)]
        joins = [(dues, dues.c.column1 == local_day(session, c.received_at), True)]
        joins += clock_joins
        return [*_received(filters), _clock_late(done_at, due_at, now)], joins
    if kind == "rating":
        rated = exists().where(
            Rating.complaint_id == c.id,
            Rating.score == int(value),
            Rating.at >= filters.start,
            Rating.at < filters.end,
        )
        return [*base, rated], None
    if kind == "status":
        status = {
            "selesai": c.current_step.is_(None),
            "terlambat": and_(c.current_step.is_not(None), c.step_due_at < now),
            "diproses": and_(
                c.current_step.is_not(None), or_(c.step_due_at.is_(None), c.step_due_at >= now)
            ),
        }[str(value)]
        return [*_received(filters), status], None
    raise ValueError(f"unknown drill-down {kind!r}")


LIST_COLUMNS = (
    Complaint.id,
    Complaint.ticket,
    Complaint.received_at,
    Complaint.channel,
    Complaint.category,
    Complaint.subject,
    Complaint.current_step,
    Complaint.step_due_at,
    Complaint.closed_at,
    Complaint.confidential,
    # The identity, for services.identity to redact an anonim complaint's subject.
    Complaint.anonymous,
    Complaint.complainant_name,
    Complaint.complainant_phone,
    Complaint.complainant_email,
    Complaint.complainant_address,
)


def complaint_list(
    *,
    session: Session,
    drill: Drill,
    filters: Filters,
    now: datetime,
    offset: int = 0,
    limit: int = 25,
    age_bounds: Sequence[datetime] = (),
    due_days: Sequence[DueDay] = (),
    total: int | None = None,
) -> tuple[list[tuple], int]:
    """One page of the complaints behind a figure, and how many there are in all
    (counted, unless the caller knows it: ``total``).

    Overdue lists are sorted most overdue first; others newest received first.
    """
    conds, joins = drill_where(
        session, drill, filters=filters, now=now, age_bounds=age_bounds, due_days=due_days
    )
    base: Select = select(*LIST_COLUMNS).select_from(Complaint)
    counted: Select = select(func.count()).select_from(Complaint)
    for target, on, outer in joins or ():
        base = base.join(target, on, isouter=outer)
        counted = counted.join(target, on, isouter=outer)
    base, counted = base.where(*conds), counted.where(*conds)
    if drill.kind in ("overdue", "open", "open_step", "age"):
        order = (Complaint.step_due_at.asc(), Complaint.id)
    else:
        order = (Complaint.received_at.desc(), Complaint.id.desc())
    rows = session.execute(base.order_by(*order).offset(offset).limit(limit)).all()
    if total is None:
        total = session.scalar(counted) or 0
    return [tuple(r) for r in rows], int(total)


def overdue(
    *,
    session: Session,
    filters: Filters,
    now: datetime,
    limit: int = 50,
    total: int | None = None,
) -> tuple[list[tuple], int]:
    """Open complaints past their current step's due time, most overdue first, and how
    many there are (``total``, when the caller has it from ``backlog``)."""
    return complaint_list(
        session=session,
        drill=Drill("overdue"),
        filters=filters,
        now=now,
        limit=limit,
        total=total,
    )


__all__ = [
    "CLOCK_KEYS",
    "DRILL_KINDS",
    "GRAINS",
    "NOT_TIMED_ACTIONS",
    "Drill",
    "DueDay",
    "Filters",
    "backlog",
    "bucket",
    "bucket_bounds",
    "complaint_list",
    "data_version",
    "draft_returns",
    "draft_rounds",
    "end_to_end",
    "local_day",
    "on_time_by_bucket_and_unit",
    "overdue",
    "ratings",
    "regulatory_compliance",
    "status_counts",
    "step_histogram",
    "unit_of_staff",
    "units",
    "volume",
    "volume_by_unit",
]

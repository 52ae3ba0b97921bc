"""Per-day dashboard aggregates, kept in the same transaction as the rows they summarise.

The dashboard's figures over a period (docs/dashboard.md) are sums over office-local
days: step events done, complaints received, closed and rated. Re-aggregating every
event of a year on each cold load costs what the history costs, so four tables
(``db.models.Agg*``) hold those sums per day, channel and category, and
``db.stats`` reads them for every whole-day period without a unit filter.

How they stay right: each aggregate is defined by ONE grouped query over the base
tables (``SPECS``). The rebuild runs it over everything; the incremental upkeep runs
it restricted to the complaints a flush touches, before and after the flush, and adds
the difference (``after - before``) to the tables. Every write of a complaint, its
events or its rating goes through an ORM flush (``services.workflow.perform``, intake,
the portal's rating), so a ``before_flush`` / ``after_flush`` pair on every session
sees them all, in the writer's own transaction: a rolled-back change leaves no trace.
The one contribution of a complaint depends only on its own rows (the unit of a unit
staff member is looked up when reading), so the difference is exact.

Core writes bypass flushes: ``benchmarks/bulk_seed.py`` calls ``rebuild`` at its end.
The office calendar never changes stored events (``step_events`` is append-only and
``working_minutes`` is fixed at event time), and none of these tables holds a
deadline, so a calendar change (``recompute_open_deadlines``) has nothing to update.

On PostgreSQL the touched complaints are locked (``FOR UPDATE``) before "before" is
read, so that a concurrent writer of the same complaint (which takes the same lock,
``services.workflow.lock_complaint``) cannot fall between the two reads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    bindparam,
    case,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import stats
from db.models import (
    AggClockDay,
    AggClosedDay,
    AggDefinition,
    AggOnTimeDay,
    AggRatingDay,
    AggReceivedDay,
    AggStepDay,
    AggUnitDay,
    Complaint,
    ComplaintUnit,
    Rating,
    StepEvent,
)


def local_day(dialect: str, col):
    """The office-local day of an instant as 'YYYY-MM-DD' (as ``db.stats.local_day``)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(stats.OFFICE_TZ), col), "YYYY-MM-DD")
    return func.date(col, stats._offset_modifier())


@dataclass(frozen=True)
class Spec:
    """One aggregate table: its key and measure columns and the query that fills it."""

    model: Any
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    # Also rows per month ('YYYY-MM' in ``day``) and per year ('YYYY'): the sums of
    # that month's or year's day rows.
    monthly: bool = False

    @property
    def table(self):
        return self.model.__table__

    def source(
        self, conn: Connection, ids: Iterable[int] | None = None
    ) -> tuple[Select, dict[str, Any]]:
        """The grouped query (and its parameters) over every complaint, or over ``ids``.

        A statement restricted to ids is built once per dialect (``_scoped_statement``),
        with the ids as one expanding parameter: the upkeep runs these queries twice on
        every flush, and building them anew each time cost more than running them
        (1,000 demo moves: 18 s of 27 s)."""
        dialect = conn.dialect.name
        if ids is None:
            if self.model is AggClockDay:
                return _clock_source(conn, None)
            return _SOURCES[self.model](dialect, False), {}
        params: dict[str, Any] = {"ids": sorted(set(ids))}
        if self.model is AggClockDay:
            statement, clock_params = _clock_source(conn, params["ids"])
            return statement, params | clock_params
        return _scoped_statement(self.model, dialect), params


@functools.cache
def _scoped_statement(model, dialect: str) -> Select:
    return _SOURCES[model](dialect, True)


def _ids() -> BindParameter:
    """The complaint ids of a scoped source query (given at execution as ``ids``)."""
    return bindparam("ids", expanding=True)


def _timed(scoped: bool, *columns) -> Select:
    e, c = StepEvent, Complaint
    q = (
        select(*columns)
        .select_from(e)
        .join(c, c.id == e.complaint_id)
        .where(e.action.not_in(stats.NOT_TIMED_ACTIONS))
    )
    return q.where(e.complaint_id.in_(_ids())) if scoped else q


def _step_source(dialect: str, scoped: bool) -> Select:
    e = StepEvent
    keys = (
        local_day(dialect, e.at).label("day"),
        e.step.label("step"),
        e.standard_minutes.label("standard_minutes"),
        stats.minute_bin(e.working_minutes).label("minutes"),
    )
    return _timed(scoped, *keys, func.count().label("count")).group_by(*keys)


def _on_time_source(dialect: str, scoped: bool) -> Select:
    e, c = StepEvent, Complaint
    keys = (
        local_day(dialect, e.at).label("day"),
        c.channel.label("channel"),
        c.category.label("category"),
        func.coalesce(case((e.role == "unit", e.actor_id)), 0).label("unit_actor_id"),
    )
    on_time = func.sum(case((e.working_minutes <= e.standard_minutes, 1), else_=0))
    return _timed(scoped, *keys, func.count().label("count"), on_time.label("on_time")).group_by(
        *keys
    )


def _closed_source(dialect: str, scoped: bool) -> Select:
    e, c = StepEvent, Complaint
    totals = select(e.complaint_id.label("complaint_id"), func.sum(e.working_minutes).label("t"))
    totals = totals.where(e.action.not_in(stats.STAYING_ACTIONS))
    if scoped:
        totals = totals.where(e.complaint_id.in_(_ids()))
    totals = totals.group_by(e.complaint_id).subquery("totals")
    keys = (
        local_day(dialect, c.closed_at).label("day"),
        func.coalesce(c.form, "").label("form"),
        stats.minute_bin(totals.c.t).label("minutes"),
    )
    q = (
        select(*keys, func.count().label("count"))
        .select_from(c)
        .join(totals, totals.c.complaint_id == c.id)
        .where(c.closed_at.is_not(None))
    )
    if scoped:
        q = q.where(c.id.in_(_ids()))
    return q.group_by(*keys)


def _received_source(dialect: str, scoped: bool) -> Select:
    c = Complaint
    keys = (
        local_day(dialect, c.received_at).label("day"),
        c.channel.label("channel"),
        c.category.label("category"),
        func.coalesce(c.form, "").label("form"),
    )
    q = select(*keys, func.count().label("count"))
    if scoped:
        q = q.where(c.id.in_(_ids()))
    return q.group_by(*keys)


def _rating_source(dialect: str, scoped: bool) -> Select:
    r, c = Rating, Complaint
    keys = (
        local_day(dialect, r.at).label("day"),
        c.channel.label("channel"),
        c.category.label("category"),
        r.score.label("score"),
    )
    q = select(*keys, func.count().label("count")).select_from(r).join(c, c.id == r.complaint_id)
    if scoped:
        q = q.where(r.complaint_id.in_(_ids()))
    return q.group_by(*keys)


def _unit_source(dialect: str, scoped: bool) -> Select:
    c, cu, e = Complaint, ComplaintUnit, StepEvent
    unit = func.coalesce(cu.unit_id, 0)
    received = (
        select(
            local_day(dialect, c.received_at).label("day"),
            unit.label("unit_id"),
            literal("received").label("kind"),
            literal(0).label("rounds"),
        )
        .select_from(c)
        .outerjoin(cu, cu.complaint_id == c.id)
    )
    drafts = (
        select(
            local_day(dialect, e.at).label("day"),
            cu.unit_id.label("unit_id"),
            e.action.label("kind"),
            literal(0).label("rounds"),
        )
        .select_from(e)
        .join(cu, cu.complaint_id == e.complaint_id)
        .where(e.action.in_(stats.DRAFT_ACTIONS))
    )
    approved = (
        select(
            local_day(dialect, c.approved_at).label("day"),
            cu.unit_id.label("unit_id"),
            literal("approved").label("kind"),
            func.coalesce(c.draft_rounds, 0).label("rounds"),
        )
        .select_from(c)
        .join(cu, cu.complaint_id == c.id)
        .where(c.approved_at.is_not(None))
    )
    if scoped:
        received = received.where(c.id.in_(_ids()))
        drafts = drafts.where(e.complaint_id.in_(_ids()))
        approved = approved.where(c.id.in_(_ids()))
    rows = union_all(received, drafts, approved).subquery("unit_rows")
    keys = (rows.c.day, rows.c.unit_id, rows.c.kind)
    return select(
        *keys, func.count().label("count"), func.sum(rows.c.rounds).label("rounds")
    ).group_by(*keys)


def _dues_for(conn: Connection, days: list[str]) -> list[stats.DueDay]:
    # The office calendar and clock standards live with the services that edit them
    # (services.calendar_settings); imported here, at use, because that module imports
    # the models this one is loaded with.
    from services import calendar_settings

    return calendar_settings.due_days_for(conn, days)


def _clock_source(conn: Connection, ids: list[int] | None) -> tuple[Select, dict[str, Any]]:
    """Per received day and supervisory flag: the complaints ('received') and, per
    clock, those done by the deadline ('met') or after it ('late'), with the calendar
    now in the database (as ``db.stats.regulatory_compliance`` judges them).

    Its deadlines are a VALUES table of the received days in scope: a scoped statement
    is built once per dialect and number of days, the days' deadlines are parameters."""
    dialect = conn.dialect.name
    scoped = ids is not None
    params: dict[str, Any] = {"ids": ids} if scoped else {}
    days = sorted({d for (d,) in conn.execute(_received_days(dialect, scoped), params)})
    if scoped:
        statement = _scoped_clock_statement(dialect, len(days))
    else:
        statement = _clock_statement(dialect, False, len(days))
    return statement, stats.due_params(_dues_for(conn, days))


@functools.cache
def _received_days(dialect: str, scoped: bool) -> Select:
    c = Complaint
    q = select(local_day(dialect, c.received_at)).distinct()
    return q.where(c.id.in_(_ids())) if scoped else q


@functools.lru_cache(maxsize=64)  # a flush touches complaints of a few received days
def _scoped_clock_statement(dialect: str, day_count: int) -> Select:
    return _clock_statement(dialect, True, day_count)


def _clock_statement(dialect: str, scoped: bool, day_count: int) -> Select:
    c = Complaint
    day = local_day(dialect, c.received_at)
    supervisory = case((c.supervisory.is_(True), 1), else_=0)
    if not day_count:  # nothing to count: a query that returns no row
        return (
            select(
                day.label("day"),
                supervisory.label("supervisory"),
                literal("").label("clock"),
                literal("").label("state"),
                func.count().label("count"),
            )
            .where(false())
            .group_by(day, supervisory)
        )
    dues = stats._due_table(day_count)
    scope = select(c.id).where(c.id.in_(_ids())) if scoped else None
    clocks, joins = stats._clock_columns(dialect, scope, dues, c)
    per_complaint = (
        select(
            day.label("day"),
            supervisory.label("supervisory"),
            *[done.label(f"{key}_done") for key, (done, _due) in clocks.items()],
            *[due.label(f"{key}_due") for key, (_done, due) in clocks.items()],
        )
        .select_from(c)
        .outerjoin(dues, dues.c.column1 == day)
    )
    if scoped:
        per_complaint = per_complaint.where(c.id.in_(_ids()))
    for target, on, outer in joins:
        per_complaint = per_complaint.join(target, on, isouter=outer)
    per = per_complaint.cte("clock_state").prefix_with("MATERIALIZED")
    parts = [
        select(
            per.c.day,
            per.c.supervisory,
            literal("").label("clock"),
            literal("received").label("state"),
        )
    ]
    for key in stats.CLOCK_KEYS:
        done_at, due_at = per.c[f"{key}_done"], per.c[f"{key}_due"]
        state = case((done_at <= due_at, "met"), else_="late")
        parts.append(
            select(
                per.c.day, per.c.supervisory, literal(key).label("clock"), state.label("state")
            ).where(done_at.is_not(None))
        )
    rows = union_all(*parts).subquery("clock_rows")
    keys = (rows.c.day, rows.c.supervisory, rows.c.clock, rows.c.state)
    return select(*keys, func.count().label("count")).group_by(*keys)


_SOURCES = {
    AggStepDay: _step_source,
    AggOnTimeDay: _on_time_source,
    AggClosedDay: _closed_source,
    AggReceivedDay: _received_source,
    AggRatingDay: _rating_source,
    AggClockDay: _clock_source,
    AggUnitDay: _unit_source,
}

SPECS = (
    Spec(AggStepDay, ("day", "step", "standard_minutes", "minutes"), ("count",), monthly=True),
    Spec(
        AggOnTimeDay,
        ("day", "channel", "category", "unit_actor_id"),
        ("count", "on_time"),
        monthly=True,
    ),
    Spec(AggClosedDay, ("day", "form", "minutes"), ("count",), monthly=True),
    Spec(AggReceivedDay, ("day", "channel", "category", "form"), ("count",), monthly=True),
    Spec(AggRatingDay, ("day", "channel", "category", "score"), ("count",), monthly=True),
    # No month rows: a day's complaints are judged against that day's deadlines.
    Spec(AggClockDay, ("day", "supervisory", "clock", "state"), ("count",)),
    Spec(AggUnitDay, ("day", "unit_id", "kind"), ("count", "rounds"), monthly=True),
)

Rows = dict[tuple, tuple[int, ...]]


def _rows(conn: Connection, spec: Spec, query: tuple[Select, dict[str, Any]] | Select) -> Rows:
    """The rows of ``query`` (a statement, or a ``Spec.source`` pair of one and its
    parameters) as {keys: measures}."""
    statement, params = query if isinstance(query, tuple) else (query, {})
    n = len(spec.keys)
    return {
        tuple(r[:n]): tuple(int(v or 0) for v in r[n:]) for r in conn.execute(statement, params)
    }


def with_months(spec: Spec, rows: Rows) -> Rows:
    """``rows`` (day rows) and, for a monthly spec, the month and year rows they sum to."""
    if not spec.monthly:
        return rows
    sums: Rows = {}
    for key, measures in rows.items():
        _increment(sums, (key[0][:7], *key[1:]), measures)
        _increment(sums, (key[0][:4], *key[1:]), measures)
    return rows | sums


def recomputed(conn: Connection) -> dict[str, Rows]:
    """Every aggregate as a full recomputation from the base tables would give it."""
    return {
        spec.table.name: with_months(spec, _rows(conn, spec, spec.source(conn))) for spec in SPECS
    }


def stored(conn: Connection) -> dict[str, Rows]:
    """Every aggregate as stored, without the rows whose measures are all 0."""
    result = {}
    for spec in SPECS:
        t = spec.table
        q = select(*[t.c[k] for k in spec.keys], *[t.c[m] for m in spec.measures])
        rows = _rows(conn, spec, q)
        result[t.name] = {k: v for k, v in rows.items() if any(v)}
    return result


def contributions(conn: Connection, ids: Iterable[int]) -> dict[str, Rows]:
    """What the complaints ``ids`` contribute to every aggregate, read now."""
    ids = sorted(set(ids))
    if not ids:
        return {spec.table.name: {} for spec in SPECS}
    return {spec.table.name: _rows(conn, spec, spec.source(conn, ids)) for spec in SPECS}


@functools.cache
def _upsert(spec: Spec, dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE adding the measures, built once per table."""
    t = spec.table
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t)
    return stmt.on_conflict_do_update(
        index_elements=list(spec.keys),
        set_={m: t.c[m] + stmt.excluded[m] for m in spec.measures},
    )


def add(conn: Connection, before: dict[str, Rows], after: dict[str, Rows]) -> None:
    """Add ``after - before`` to the stored aggregates (an upsert per changed key)."""
    for spec in SPECS:
        old = with_months(spec, before[spec.table.name])
        new = with_months(spec, after[spec.table.name])
        zero = (0,) * len(spec.measures)
        changes = []
        for key in old.keys() | new.keys():
            delta = tuple(
                a - b for a, b in zip(new.get(key, zero), old.get(key, zero), strict=True)
            )
            if any(delta):
                changes.append(
                    dict(zip(spec.keys, key, strict=True))
                    | dict(zip(spec.measures, delta, strict=True))
                )
        if not changes:
            continue
        # Sorted keys: two writers touching the same rows lock them in the same order.
        changes.sort(key=lambda row: tuple(row[k] for k in spec.keys))
        conn.execute(_upsert(spec, conn.dialect.name), changes)


# The version of what SPECS compute. Change it with any change to a source query or to
# the binning: the next ``migrate`` (every app start) then rebuilds the tables, so no
# release can read aggregates that an older definition filled.
# 2: month rows in every table but agg_clock_days (issue 14).
# 3: year rows beside the month rows (a 12-month period reads a year, not 12 months).
DEFINITION = 3


def rebuild(conn: Connection) -> dict[str, int]:
    """Recompute every aggregate from the base tables; returns the rows written per table."""
    written = {}
    for spec in SPECS:
        written[spec.table.name] = _rebuild_one(conn, spec)
    conn.execute(delete(AggDefinition.__table__))
    conn.execute(insert(AggDefinition.__table__).values(id=1, version=DEFINITION))
    return written


def _rebuild_one(conn: Connection, spec: Spec) -> int:
    t = spec.table
    conn.execute(delete(t))
    columns = [*spec.keys, *spec.measures]
    source, params = spec.source(conn)
    written = conn.execute(insert(t).from_select(columns, source), params).rowcount
    if spec.monthly:
        others = [t.c[k] for k in spec.keys[1:]]
        # Month rows from the day rows, then year rows from the month rows.
        for length, of_length in ((7, 10), (4, 7)):
            key = func.substr(t.c.day, 1, length)
            sums = select(key, *others, *[func.sum(t.c[m]) for m in spec.measures])
            sums = sums.where(func.length(t.c.day) == of_length).group_by(key, *others)
            written += conn.execute(insert(t).from_select(columns, sums)).rowcount
    return written


def rebuild_clocks(conn: Connection) -> int:
    """Rebuild the regulatory-clock aggregate alone: run it in the transaction that
    changes the office calendar or the clock standards, after the change (met and
    late are judged by the deadlines those give)."""
    (spec,) = [s for s in SPECS if s.model is AggClockDay]
    return _rebuild_one(conn, spec)


def ensure_current(conn: Connection) -> bool:
    """Rebuild the aggregates unless they were built under this code's DEFINITION (a
    new database, a database migrated to the tables' revision, a changed definition).
    Returns whether it rebuilt. Called by ``db.engine.migrate`` under the schema lock."""
    stored_version = conn.execute(select(AggDefinition.version)).scalar()
    if stored_version == DEFINITION:
        return False
    if stored_version is None and conn.execute(select(Complaint.id).limit(1)).first() is None:
        # Nothing to build, and no row written: an empty database stays empty (a
        # restore accepts only an empty target). The flushes keep the tables from the
        # first complaint on; the first start that finds one marks them built.
        return False
    rebuild(conn)
    return True


# --- upkeep on every flush ------------------------------------------------------------

_INFO_KEY = "db.aggregates.before"


def _complaint_id(obj) -> int | None:
    if isinstance(obj, Complaint):
        return obj.id
    cid = obj.complaint_id
    if cid is None and getattr(obj, "complaint", None) is not None:
        cid = obj.complaint.id
    return cid


# What the aggregates read of a complaint: a change of one of these re-reads it.
COMPLAINT_DIMENSIONS = (
    "channel",
    "category",
    "form",
    "received_at",
    "closed_at",
    "supervisory",
    "approved_at",
    "draft_rounds",
)


def _ends_a_clock_or_is_a_draft(event: StepEvent) -> bool:
    """A new event whose effect on the clock and unit aggregates needs the complaint's
    other rows (the last completion of a clock's step, its assigned units)."""
    if event.action in stats.DRAFT_ACTIONS:
        return True
    return event.step in stats.CLOCK_STEPS and event.action not in stats.STAYING_ACTIONS


def _python_day(at: datetime) -> str:
    if at.tzinfo is None:  # stored UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(stats.OFFICE_TZ).date().isoformat()


def _python_bin(minutes: int) -> int:
    return minutes if minutes <= stats.EXACT_MINUTES else minutes - minutes % 60


def _increment(rows: Rows, key: tuple, inc: tuple[int, ...]) -> None:
    old = rows.get(key, (0,) * len(inc))
    rows[key] = tuple(a + b for a, b in zip(old, inc, strict=True))


def _direct(session: Session, objects: list) -> tuple[set[int], dict[str, Rows]]:
    """Split a flush: complaints to re-read before and after (``ids``), and the
    increments known from the new rows alone (new events and ratings of a complaint
    whose channel, category, form and dates stay as they are, and not yet closed:
    the common move), which need no query."""
    reread: set[int] = set()
    direct: dict[str, Rows] = {spec.table.name: {} for spec in SPECS}
    complaints: dict[int, Complaint | None] = {}

    def complaint_of(cid: int) -> Complaint | None:
        if cid not in complaints:
            found = session.identity_map.get(
                inspect(Complaint).identity_key_from_primary_key((cid,))
            )
            complaints[cid] = found
        return complaints[cid]

    for obj in objects:
        cid = _complaint_id(obj)
        if cid is None:
            continue  # a new complaint: read after the flush, nothing before
        state = inspect(obj)
        if isinstance(obj, Complaint):
            if state.deleted or any(
                state.attrs[name].history.has_changes() for name in COMPLAINT_DIMENSIONS
            ):
                reread.add(cid)
            continue
        if not state.pending or isinstance(obj, ComplaintUnit):
            reread.add(cid)  # an existing event or rating changed or deleted, a unit
        elif isinstance(obj, StepEvent) and _ends_a_clock_or_is_a_draft(obj):
            reread.add(cid)
    for obj in objects:
        cid = _complaint_id(obj)
        if cid is None or cid in reread or isinstance(obj, Complaint):
            continue
        complaint = complaint_of(cid)
        if complaint is None or complaint.closed_at is not None:
            reread.add(cid)
            continue
        base = (_python_day(obj.at), complaint.channel, complaint.category)
        if isinstance(obj, StepEvent):
            if obj.action in stats.NOT_TIMED_ACTIONS:
                continue
            unit_actor = (obj.actor_id or 0) if obj.role == "unit" else 0
            on_time = 1 if obj.working_minutes <= obj.standard_minutes else 0
            minutes = _python_bin(obj.working_minutes)
            _increment(direct["agg_on_time_days"], (*base, unit_actor), (1, on_time))
            _increment(
                direct["agg_step_days"], (base[0], obj.step, obj.standard_minutes, minutes), (1,)
            )
            continue
        else:
            key, inc, rows = (*base, obj.score), (1,), direct["agg_rating_days"]
        _increment(rows, key, inc)
    # Rows of a complaint that is re-read anyway are counted by the re-read.
    return reread, direct


def _touched(session: Session) -> list:
    return [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, (Complaint, StepEvent, Rating, ComplaintUnit))
    ]


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    objects = _touched(session)
    if not objects:
        return
    ids, direct = _direct(session, objects)
    conn = session.connection()
    if ids and conn.dialect.name == "postgresql":
        conn.execute(
            select(Complaint.id)
            .where(Complaint.id.in_(sorted(ids)))
            .order_by(Complaint.id)
            .with_for_update()
        )
    new = [obj for obj in objects if isinstance(obj, Complaint) and obj.id is None]
    session.info[_INFO_KEY] = (new, ids, contributions(conn, ids), direct)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    state = session.info.pop(_INFO_KEY, None)
    if state is None:
        return
    new, ids, before, direct = state
    conn = session.connection()
    if direct and any(direct.values()):
        add(conn, {name: {} for name in direct}, direct)
    # New complaints have their ids now; they contributed nothing before.
    ids = ids | {obj.id for obj in new if obj.id is not None}
    if ids:
        add(conn, before, contributions(conn, ids))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


__all__ = ["SPECS", "add", "contributions", "rebuild", "recomputed", "stored"]

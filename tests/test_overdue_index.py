"""The overdue list is read in index order and stops at its page (issue 14).

Before migration 0014 the open complaints past their deadline were found in
ix_complaints_step_due and all sorted for the first page: 13,584 rows at 1,000,000
complaints. The partial index of open complaints by (step_due_at, id) gives them in
the list's order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, text

from db import engine as db_engine
from db import stats
from db.engine import read_session
from db.stats import Filters

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _plan(db: str, backend: str) -> str:
    engine = db_engine.get_engine(db)
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "complaints" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with read_session(db) as session:
            period = Filters(start=datetime(2026, 11, 1, tzinfo=UTC), end=NOW)
            stats.overdue(session=session, filters=period, now=NOW, limit=50)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    (statement, parameters), *_ = seen
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        if backend == "postgresql":
            # A near-empty table is cheapest scanned and sorted whatever the indexes;
            # with both priced out, what remains is a plan that gives the list's order
            # without sorting, if an index offers one.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_sort = off")
            cursor.execute("EXPLAIN " + statement, parameters)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        rows = cursor.fetchall()
        conn.rollback()
    return "\n".join(str(r[-1]) for r in rows)


def test_the_overdue_list_reads_the_open_complaints_in_its_order(db, backend):
    plan = _plan(db, backend)
    assert "ix_complaints_open_due" in plan, plan
    if backend == "postgresql":
        assert "Sort" not in plan, plan
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_partial_index_holds_only_open_complaints(db, backend):
    engine = db_engine.get_engine(db)
    with engine.connect() as conn:
        if backend == "postgresql":
            definition = conn.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_complaints_open_due'")
            )
        else:
            definition = conn.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_complaints_open_due'")
            )
    assert definition and "current_step IS NOT NULL" in definition, definition

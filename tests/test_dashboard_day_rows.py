"""The dashboard's day rows of a period, read from the aggregates with month rows.

A month key ('2026-12') sorts among the day keys ('2026-12-01' ...), so a day range
must leave out the month rows inside it. It did so with ``length(day) = 10``, which
PostgreSQL cannot estimate (0.5% of the rows): it then sorted a month's 58,000 step
histogram rows at 1,000,000 complaints for the GROUP BY instead of hashing them, the
costliest query of the cold dashboard (docs/dashboard.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert, text

from db import engine as db_engine
from db import stats
from db.engine import read_session
from db.models import AggStepDay
from db.stats import Filters

WITA = ZoneInfo("Asia/Makassar")
DAYS = [f"2026-11-{d:02d}" for d in range(3, 31)] + [f"2026-12-{d:02d}" for d in (1, 2)]


def _rows() -> list[dict]:
    rows = [
        {"day": day, "step": step, "standard_minutes": 30, "minutes": minutes, "count": 1}
        for day in DAYS
        for step in (2, 3, 4)
        for minutes in range(40)
    ]
    # The month rows of November and December: inside the range only '2026-12' is.
    for month in ("2026-11", "2026-12"):
        rows += [
            {"day": month, "step": 2, "standard_minutes": 30, "minutes": m, "count": 1000}
            for m in range(40)
        ]
    return rows


def test_a_period_of_days_sums_its_day_rows_only_and_is_estimated_as_many(db, backend):
    engine = db_engine.get_engine(db)
    with engine.begin() as conn:
        conn.execute(insert(AggStepDay), _rows())
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    period = Filters(
        start=datetime(2026, 11, 3, tzinfo=WITA), end=datetime(2026, 12, 3, tzinfo=WITA)
    )
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "agg_step_days" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with read_session(db) as session:
            histogram = stats.step_histogram(session=session, filters=period)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Every day row once, no month row (its count of 1000 would show).
    assert sorted(histogram) == sorted(
        (step, 30, minutes, len(DAYS)) for step in (2, 3, 4) for minutes in range(40)
    )
    assert len(seen) == 1
    if backend != "postgresql":
        return
    statement, parameters = seen[0]
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def scans(node):
        if "Relation Name" in node:
            yield node
        for child in node.get("Plans", ()):
            yield from scans(child)

    (scan,) = scans(plan[0]["Plan"])
    actual = len(DAYS) * 3 * 40
    # The planner sees about as many rows as there are (main: 18 of 3,600).
    assert scan["Plan Rows"] >= actual / 2, scan

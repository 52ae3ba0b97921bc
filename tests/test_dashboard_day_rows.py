"""The dashboard's day rows of a period, read from the aggregates with month rows.

A month key ('2026-12') sorts among the day keys ('2026-12-01' ...). A period is read
as the keys it needs: whole months as month rows, a month cut by the period as its
days inside or, when fewer, its month row less its days outside (issue 14: the
default "30 days" read thirty days of step-histogram rows, thousands a day at
1,000,000 complaints). With ``length(day) = 10`` to leave out the month rows,
PostgreSQL once estimated 0.5% of the rows and sorted instead of hashing; the keys
are now listed, and estimated as many as they are.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from db import engine as db_engine
from db import stats
from db.engine import read_session
from db.models import AggStepDay
from db.stats import Filters
from tests.databases import statements_run

WITA = ZoneInfo("Asia/Makassar")
DAYS = [f"2026-11-{d:02d}" for d in range(1, 31)] + [f"2026-12-{d:02d}" for d in (1, 2)]
PERIOD = DAYS[2:]  # 3 November to 2 December: the default "30 hari terakhir"


def _count(day: str, step: int, minutes: int) -> int:
    return 1 + (int(day[-2:]) + step + minutes) % 3  # the days differ


def _rows() -> list[dict]:
    rows = [
        {
            "day": day,
            "step": step,
            "standard_minutes": 30,
            "minutes": minutes,
            "count": _count(day, step, minutes),
        }
        for day in DAYS
        for step in (2, 3, 4)
        for minutes in range(40)
    ]
    # Each month row is the sum of its day rows, as db.aggregates keeps it.
    for month in ("2026-11", "2026-12"):
        rows += [
            {
                "day": month,
                "step": step,
                "standard_minutes": 30,
                "minutes": minutes,
                "count": sum(_count(d, step, minutes) for d in DAYS if d.startswith(month)),
            }
            for step in (2, 3, 4)
            for minutes in range(40)
        ]
    return rows


def test_most_of_a_month_is_its_month_row_less_the_days_outside(db, backend):
    engine = db_engine.get_engine(db)
    with engine.begin() as conn:
        conn.execute(insert(AggStepDay), _rows())
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    period = Filters(
        start=datetime(2026, 11, 3, tzinfo=WITA), end=datetime(2026, 12, 3, tzinfo=WITA)
    )
    with statements_run(db) as run, read_session(db) as session:
        histogram = stats.step_histogram(session=session, filters=period)
    seen = [(s, p) for s, p in run if "agg_step_days" in s]
    # The sum over the period's days, exactly.
    assert sorted(histogram) == sorted(
        (step, 30, minutes, sum(_count(d, step, minutes) for d in PERIOD))
        for step in (2, 3, 4)
        for minutes in range(40)
    )
    assert len(seen) == 1
    statement, parameters = seen[0]
    values = parameters.values() if isinstance(parameters, dict) else parameters
    keys = {v for v in values if isinstance(v, str)}
    # November as its month row less 1 and 2 November; December as its two days.
    assert keys == {"2026-11", "2026-11-01", "2026-11-02", "2026-12-01", "2026-12-02"}
    if backend != "postgresql":
        return
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
    actual = 5 * 3 * 40  # the rows of those five keys
    # The planner sees about as many rows as there are.
    assert scan["Plan Rows"] >= actual / 2, scan


def _with_year_rows() -> list[dict]:
    rows = _rows()
    # The year row is the sum of its day rows too (db.aggregates keeps both).
    return rows + [
        {
            "day": "2026",
            "step": step,
            "standard_minutes": 30,
            "minutes": minutes,
            "count": sum(_count(d, step, minutes) for d in DAYS),
        }
        for step in (2, 3, 4)
        for minutes in range(40)
    ]


def test_twelve_months_are_their_year_row_and_a_few_corrections(db):
    """ "12 bulan terakhir" read twelve month rows per histogram value (85,000 rows at
    1,000,000 complaints); a year inside the period is its year row, corrected by the
    months and days outside when that reads fewer rows."""
    engine = db_engine.get_engine(db)
    with engine.begin() as conn:
        conn.execute(insert(AggStepDay), _with_year_rows())
    cases = {
        # 1 January to 2 December: the year less December, plus its two days.
        (datetime(2026, 1, 1), datetime(2026, 12, 3)): (
            DAYS,
            {"2026", "2026-12", "2026-12-01", "2026-12-02"},
        ),
        # 1 January to 20 November: the year less December and 21-30 November, which
        # hold rows.
        (datetime(2026, 1, 1), datetime(2026, 11, 21)): (
            DAYS[:20],
            {"2026", "2026-12", *(f"2026-11-{d}" for d in range(21, 31))},
        ),
    }
    for (start, end), (days, expected_keys) in cases.items():
        period = Filters(start=start.replace(tzinfo=WITA), end=end.replace(tzinfo=WITA))
        with statements_run(db) as run, read_session(db) as session:
            histogram = stats.step_histogram(session=session, filters=period)
        assert sorted(histogram) == sorted(
            (step, 30, minutes, sum(_count(d, step, minutes) for d in days))
            for step in (2, 3, 4)
            for minutes in range(40)
        ), (start, end)
        [(_statement, parameters)] = [(s, p) for s, p in run if "agg_step_days" in s]
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert {v for v in values if isinstance(v, str)} == expected_keys, (start, end)

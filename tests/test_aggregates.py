"""The per-day dashboard aggregates (``db.aggregates``) equal a full recomputation after
random workloads, and every dashboard figure read from them equals the figure
recomputed from the events (``db.stats.recomputing``), on SQLite and PostgreSQL.

A workload is a seeded random interleaving, over three weeks of November 2026, of
intakes on every channel and category and of moves along every SOP path: the oral
path, its conversion to written, drafts returned at the Head's review (step 9), failed
moves (a stale version: rolled back), e-mails queued at step 11 (a staying action) and
ratings of delivered complaints.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from db import aggregates, stats
from db.engine import get_engine, migrate, read_session, write_session
from db.models import AggClockDay, AggDefinition, AggStepDay, Rating
from db.stats import Filters
from layanan import sop
from layanan.calendar import day_bounds
from layanan.errors import StaleVersion
from services import admin, auth, dashboard, workflow
from tests.factories import PDF, actor_for, new_complaint, payload_for, state

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 2, 8, 0, tzinfo=WITA)  # Monday
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=WITA)
CHANNELS = (
    sop.Channel.DATANG_LANGSUNG,
    sop.Channel.TELEPON,
    sop.Channel.EMAIL,
    sop.Channel.ONLINE,
    sop.Channel.SURAT,
)
# Moves to choose from at a step: those that leave it (the staying e-mail is added at
# step 11 now and then); returns at step 9 are drawn as often as approvals.
MOVES = {
    step.number: [a.key for a in sop.ACTIONS if a.at == step.number and a.moves]
    for step in sop.table().steps
}


def _workload(staff, seed: int, complaints: int = 10) -> list[int]:
    """Play a random workload through the workflow; returns the complaint ids."""
    rng = random.Random(seed)
    clock = START
    ids: list[int] = []
    arrivals = sorted(rng.randrange(0, 15 * 24 * 60) for _ in range(complaints))
    pending = [START + timedelta(minutes=m) for m in arrivals]
    while pending or ids:
        clock += timedelta(minutes=rng.choice((7, 25, 50, 240, 1100)))
        if clock >= NOW - timedelta(hours=1):
            break
        if pending and (not ids or rng.random() < 0.3):
            pending.pop(0)
            created = new_complaint(
                staff,
                channel=rng.choice(CHANNELS),
                category=rng.choice(sop.CATEGORIES),
                now=clock,
            )
            ids.append(created.complaint_id)
            continue
        cid = rng.choice(ids)
        complaint = state(cid)
        if complaint.current_step is None:
            continue
        choices = MOVES[complaint.current_step]
        action = rng.choice(choices)
        if complaint.current_step == 11 and rng.random() < 0.2:
            action = "send_email"
        payload = payload_for(action, staff)
        if action == "dispose" and rng.random() < 0.5:  # two units, now and then
            payload = {**payload, "units": [staff.unit_kop.unit_id, staff.unit_ukm.unit_id]}
        version = complaint.version - (1 if rng.random() < 0.1 else 0)
        try:
            workflow.perform(
                complaint_id=cid,
                action=action,
                user_id=actor_for(action, staff).id,
                expected_version=version,
                payload=payload,
                documents=[PDF] if action == "submit_draft" else [],
                now=clock,
            )
        except StaleVersion:
            assert version != complaint.version  # the stale ones, rolled back
            continue
        if action == "deliver" and rng.random() < 0.6:
            with write_session() as session:
                session.add(Rating(complaint_id=cid, score=rng.randint(1, 5), at=clock))
    return ids


def _compare_aggregates() -> None:
    with get_engine().connect() as conn:
        stored, recomputed = aggregates.stored(conn), aggregates.recomputed(conn)
    for name, rows in recomputed.items():
        assert stored[name] == rows, name
    assert all(recomputed.values())  # the workload reached every table


def test_aggregates_equal_a_full_recomputation_after_random_workloads(staff):
    _workload(staff, seed=1, complaints=12)
    _compare_aggregates()
    # And the rebuild command writes the same rows.
    with get_engine().begin() as conn:
        aggregates.rebuild(conn)
    _compare_aggregates()


def test_every_table_but_the_clocks_keeps_month_and_year_rows_that_sum_its_days(staff):
    """A 12-month dashboard reads a year row and a few corrections per key, not 365
    days (issue 14): every aggregate but agg_clock_days (judged per day's deadline) has
    month and year rows, kept by the moves themselves, each equal to the sum of its
    day rows."""
    _workload(staff, seed=5, complaints=8)
    with get_engine().connect() as conn:
        stored = aggregates.stored(conn)
    for spec in aggregates.SPECS:
        rows = stored[spec.table.name]
        for length in (7, 4):  # months, years
            kept = {k: v for k, v in rows.items() if len(k[0]) == length}
            if spec.table.name == "agg_clock_days":
                assert not kept
                continue
            assert kept, spec.table.name
            sums: dict[tuple, list[int]] = {}
            for key, measures in rows.items():
                if len(key[0]) == 10:
                    total = sums.setdefault((key[0][:length], *key[1:]), [0] * len(measures))
                    for i, m in enumerate(measures):
                        total[i] += m
            assert {k: tuple(v) for k, v in sums.items() if any(v)} == kept, spec.table.name


def test_migrating_fills_the_aggregates_and_a_new_definition_rebuilds_them(staff, db, monkeypatch):
    """A database that reaches the aggregates' revision with rows in it (0009 creates
    them empty) is filled by the migration step of every app start; a later change of
    the definition (``aggregates.DEFINITION``) rebuilds them on the next start."""
    _workload(staff, seed=5, complaints=4)
    engine = get_engine(for_writing=True)
    with engine.begin() as conn:  # as the tables stand right after 0009's upgrade
        for spec in aggregates.SPECS:
            conn.execute(spec.table.delete())
        conn.execute(AggDefinition.__table__.delete())
    migrate(db)
    _compare_aggregates()

    with engine.begin() as conn:  # a stray change a rebuild would undo
        conn.execute(AggStepDay.__table__.update().values(count=AggStepDay.count + 7))
    migrate(db)  # same definition: the tables are trusted, not rebuilt at every start
    with engine.connect() as conn:
        assert aggregates.stored(conn) != aggregates.recomputed(conn)
    monkeypatch.setattr(aggregates, "DEFINITION", aggregates.DEFINITION + 1)
    migrate(db)
    _compare_aggregates()
    with engine.connect() as conn:
        assert conn.execute(AggDefinition.__table__.select()).one().version == (
            aggregates.DEFINITION
        )


def _clock_rows() -> tuple[dict, dict]:
    with get_engine().connect() as conn:
        name = AggClockDay.__tablename__
        return aggregates.stored(conn)[name], aggregates.recomputed(conn)[name]


def test_a_calendar_or_clock_standards_change_rejudges_the_clock_aggregate(staff):
    """Met or late is judged when a clock's step is done, by the deadline the office
    calendar and the SP4N-LAPOR! day counts give then; changing either re-judges
    every complaint's clocks in the same transaction."""
    _workload(staff, seed=7, complaints=5)
    stored, recomputed = _clock_rows()
    assert stored == recomputed and any(k[3] == "met" for k in stored)
    admin.add_local_holiday(
        acting_user_id=staff.admin.id, day=date(2026, 11, 10), name="Hari jadi daerah"
    )
    admin.save_regulatory_standards(
        acting_user_id=staff.admin.id,
        standards={
            "verification_days": 1,
            "follow_up_days": 1,
            "completion_days": 2,
            "supervisory_completion_days": 3,
        },
    )
    after, recomputed = _clock_rows()
    assert after != stored  # the shorter deadlines turned some "met" into "late"
    assert after == recomputed


def test_the_upkeep_builds_its_queries_once_and_reuses_them_for_other_complaints(staff):
    """Every flush reads the touched complaints' contributions before and after it.
    Building those grouped queries anew each time cost more than running them (1,000
    demo moves: 18 s of 27 s), so a query is built once and the ids are a parameter."""
    first = new_complaint(staff, now=START)
    second = new_complaint(staff, now=START + timedelta(minutes=5))
    ids = sorted([first.complaint_id, second.complaint_id])
    with get_engine().connect() as conn:
        for spec in aggregates.SPECS:
            one, one_params = spec.source(conn, [first.complaint_id])
            both, both_params = spec.source(conn, ids)
            assert one is both, spec.table.name
            assert (one_params["ids"], both_params["ids"]) == ([first.complaint_id], ids)
        # And what they read is what they read for each complaint alone.
        alone = [aggregates.contributions(conn, [i]) for i in ids]
        together = aggregates.contributions(conn, ids)
    for name, rows in together.items():
        summed: dict[tuple, tuple[int, ...]] = {}
        for part in alone:
            for key, measures in part[name].items():
                old = summed.get(key, (0,) * len(measures))
                summed[key] = tuple(a + b for a, b in zip(old, measures, strict=True))
        assert rows == summed, name


def test_a_rolled_back_move_leaves_the_aggregates_as_they_were(staff):
    created = new_complaint(staff, now=START)
    with get_engine().connect() as conn:
        before = aggregates.stored(conn)
    with pytest.raises(RuntimeError), write_session() as session:
        workflow.perform(
            complaint_id=created.complaint_id,
            action="hand_over",
            user_id=staff.petugas.id,
            expected_version=created.version,
            payload=payload_for("hand_over", staff),
            now=START + timedelta(minutes=20),
            session=session,
        )
        session.flush()
        raise RuntimeError("the caller fails after the move")
    with get_engine().connect() as conn:
        assert aggregates.stored(conn) == before
        assert conn.execute(AggStepDay.__table__.select()).all()  # intake's own steps


def _frames(board: dashboard.Dashboard) -> dict[str, pd.DataFrame]:
    return {name: value for name, value in vars(board).items() if isinstance(value, pd.DataFrame)}


def _same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    columns = list(a.columns)
    assert columns == list(b.columns), name
    if a.empty and b.empty:
        return
    key = [c for c in columns if a[c].dtype != float]
    a = a.sort_values(key, kind="stable").reset_index(drop=True)
    b = b.sort_values(key, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)


def test_every_dashboard_figure_from_aggregates_equals_the_recomputation(staff):
    _workload(staff, seed=3, complaints=10)
    first, last = NOW.date().replace(day=1), NOW.date()
    start, end = day_bounds(first, last, tz=WITA)
    cases = [
        Filters(start=start, end=end, grain="week"),
        Filters(start=start - timedelta(days=330), end=end, grain="month"),
        Filters(start=start, end=end, channel=sop.Channel.EMAIL.value),
        Filters(start=start, end=end, category=sop.CATEGORIES[0]),
        Filters(start=start + timedelta(days=9), end=end - timedelta(days=3), grain="week"),
        # Whole months (read from the month rows) and a partial one before them.
        Filters(*day_bounds(first, date(2026, 11, 30), tz=WITA), grain="week"),
        Filters(*day_bounds(date(2026, 9, 17), date(2026, 11, 30), tz=WITA), grain="month"),
        # Most of a month: its month row less the days outside, which hold events (the
        # default "30 hari terakhir" is read so).
        Filters(*day_bounds(date(2026, 11, 3), date(2026, 12, 2), tz=WITA), grain="week"),
        Filters(*day_bounds(date(2026, 11, 2), date(2026, 11, 26), tz=WITA), grain="month"),
        # Most of a year: its year row less the days and months outside, whose first
        # days hold events ("12 bulan terakhir" is read so), and across a new year.
        Filters(*day_bounds(date(2026, 1, 1), date(2026, 11, 20), tz=WITA), grain="month"),
        Filters(*day_bounds(date(2025, 12, 15), date(2026, 11, 24), tz=WITA), grain="month"),
        # Per week across a new year: the days alone, never the year or month rows.
        Filters(*day_bounds(date(2025, 12, 20), date(2026, 11, 27), tz=WITA), grain="week"),
    ]
    user = auth.load_current_user(user_id=staff.kepala.id)
    compared = 0
    for filters in cases:
        assert stats._agg_days(filters) is not None  # these are answered from aggregates
        dashboard.clear_cache()
        fast = dashboard.dashboard(user=user, filters=filters, now=NOW)
        dashboard.clear_cache()
        with stats.recomputing():
            slow = dashboard.dashboard(user=user, filters=filters, now=NOW)
        assert fast.headline == slow.headline
        for name, frame in _frames(fast).items():
            _same(frame, _frames(slow)[name], name)
            compared += 1
    assert compared == len(cases) * 13
    with read_session() as session:  # the workload did reach every kind of figure
        full = dashboard._build(session, cases[1], NOW)
    assert full.headline.closed and full.headline.ratings and full.headline.steps_done

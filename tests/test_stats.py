"""Dashboard figures on a small hand-built data set whose numbers are known.

Six complaints are played through the real workflow with explicit times (WITA), in
November 2026 (no holidays) and one at the end of October:

A  walk-in, written, full path, one draft returned: every step timed by hand below;
   closed Mon 2 Nov 14:00 after 360 working minutes.
B  phone, oral: step 5 entered Fri 6 Nov 16:00, settled Mon 9 Nov 08:00 = 60 working
   minutes across the weekend (16:00-16:30 and 07:30-08:00); closed after 90 minutes.
C  e-mail, waiting at step 4 since Mon 9 Nov 09:10 (due 09:40: overdue at noon).
D  online, waiting at step 2 since Mon 9 Nov 11:50 (due 12:20: not overdue at noon).
E  e-mail, waiting at step 4 since Mon 2 Nov 09:10: verification clock (3 working
   days) missed, 5.4 working days old.
F  walk-in received Fri 30 Oct 10:00, waiting at step 3: outside the November period,
   but part of the backlog now.

"Now" is Mon 9 Nov 2026 12:00 WITA.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from db.engine import write_session
from db.models import Rating
from db.stats import Drill, Filters
from layanan import sop
from layanan.errors import NotAllowed
from services import auth, dashboard
from services.dashboard import month_filters, quantile
from tests.databases import statements_run
from tests.factories import PDF, do, new_complaint, payload_for, state

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 9, 12, 0, tzinfo=WITA)


def wita(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def walk_written(staff, cid: int, times: dict[str, datetime]) -> None:
    for action, at in times.items():
        key = action.split("#")[0]
        actor = {
            "hand_over": staff.petugas,
            "classify_written": staff.subbag,
            "classify_oral": staff.subbag,
            "register": staff.subbag,
            "dispose": staff.kepala,
            "submit_draft": staff.unit_kop,
            "return_draft": staff.kepala,
            "approve": staff.kepala,
            "sign": staff.sekretaris,
            "deliver": staff.petugas,
            "archive": staff.arsiparis,
            "resolve_oral": staff.unit_kop,
        }[key]
        documents = [PDF] if key == "submit_draft" else []
        do(actor, cid, key, payload_for(key, staff), documents=documents, now=at)


@pytest.fixture
def data(staff):
    """The six complaints; returns their ids by letter."""
    ids = {}
    a = new_complaint(staff, now=wita(2, 8), category="Pelatihan dan sertifikasi")
    walk_written(
        staff,
        a.complaint_id,
        {
            "hand_over": wita(2, 8, 20),  # step 3: 20
            "classify_written": wita(2, 8, 50),  # step 4: 30
            "register": wita(2, 9, 30),  # step 6: 40 (late)
            "dispose": wita(2, 10, 0),  # step 7: 30
            "submit_draft": wita(2, 11, 0),  # step 8: 60
            "return_draft": wita(2, 11, 10),  # step 9: 10
            "submit_draft#2": wita(2, 12, 10),  # step 8: 60
            "approve": wita(2, 12, 40),  # step 9: 30
            "sign": wita(2, 13, 0),  # step 10: 20
            "deliver": wita(2, 13, 30),  # step 11: 30
            "archive": wita(2, 14, 0),  # step 12: 30
        },
    )
    ids["A"] = a.complaint_id
    b = new_complaint(
        staff, channel=sop.Channel.TELEPON, now=wita(6, 15, 30), category="Informasi publik"
    )
    walk_written(
        staff,
        b.complaint_id,
        {
            "hand_over": wita(6, 15, 45),  # step 3: 15
            "classify_oral": wita(6, 16, 0),  # step 4: 15
            "resolve_oral": wita(9, 8, 0),  # step 5: 60 across the weekend (late)
        },
    )
    ids["B"] = b.complaint_id
    c = new_complaint(staff, channel=sop.Channel.EMAIL, now=wita(9, 9), category="Lainnya")
    walk_written(staff, c.complaint_id, {"hand_over": wita(9, 9, 10)})  # step 3: 10
    ids["C"] = c.complaint_id
    d = new_complaint(staff, channel=sop.Channel.ONLINE, now=wita(9, 11, 50), category="Lainnya")
    ids["D"] = d.complaint_id
    e = new_complaint(staff, channel=sop.Channel.EMAIL, now=wita(2, 9), category="Lainnya")
    walk_written(staff, e.complaint_id, {"hand_over": wita(2, 9, 10)})  # step 3: 10
    ids["E"] = e.complaint_id
    f = new_complaint(staff, now=wita(30, 10, month=10), category="Lainnya")
    ids["F"] = f.complaint_id
    with write_session() as session:
        session.add(Rating(complaint_id=ids["A"], score=4, at=wita(9, 9)))
        session.add(Rating(complaint_id=ids["B"], score=5, at=wita(9, 9)))
    dashboard.clear_cache()
    return ids


def manager(user):
    return auth.load_current_user(user_id=user.id)


def board(staff, **filters) -> dashboard.Dashboard:
    return dashboard.dashboard(
        user=manager(staff.kepala), filters=month_filters(2026, 11, **filters), now=NOW
    )


def listed(staff, result, kind, value=None) -> list[int]:
    page = dashboard.complaints_behind(
        user=manager(staff.kepala), board=result, drill=Drill(kind, value), page_size=100
    )
    return list(page.rows["id"])


def test_it_computes_weekend_minutes_as_the_workflow_stored_them(data):
    assert state(data["B"]).closed_at == wita(9, 8)


def test_volume_by_channel_category_form_and_bucket(staff, data):
    result = board(staff)
    v = result.volume
    assert v["count"].sum() == 5  # F was received in October
    assert v.groupby("channel")["count"].sum().to_dict() == {
        "datang_langsung": 1,
        "email": 2,
        "online": 1,
        "telepon": 1,
    }
    assert v.groupby("category")["count"].sum().to_dict() == {
        "Informasi publik": 1,
        "Lainnya": 3,
        "Pelatihan dan sertifikasi": 1,
    }
    assert v.groupby("form")["count"].sum().to_dict() == {"": 3, "lisan": 1, "tertulis": 1}
    assert set(v["bucket"]) == {"2026-11"}
    units = result.volume_by_unit.groupby("unit")["count"].sum().to_dict()
    kop = manager(staff.unit_kop).unit_name
    assert units == {dashboard.UNASSIGNED: 3, kop: 2}


def test_weekly_buckets_start_on_monday_in_office_time(staff, data):
    filters = month_filters(2026, 11)
    weekly = Filters(start=filters.start, end=filters.end, grain="week")
    result = dashboard.dashboard(user=manager(staff.kepala), filters=weekly, now=NOW)
    per_week = result.volume.groupby("bucket")["count"].sum().to_dict()
    assert per_week == {"2026-11-02": 3, "2026-11-09": 2}


def test_time_per_step_median_p90_and_on_time_share(staff, data):
    steps = board(staff).step_times.set_index("step")
    # Counts exclude the complainant's own online submission (step 1 of D).
    assert steps["count"].to_dict() == {
        1: 4,
        2: 4,
        3: 4,
        4: 2,
        5: 1,
        6: 1,
        7: 1,
        8: 2,
        9: 2,
        10: 1,
        11: 1,
        12: 1,
    }
    assert steps.loc[3, "median"] == 12.5  # 10, 10, 15, 20
    assert steps.loc[3, "p90"] == pytest.approx(18.5)
    assert steps.loc[4, "median"] == 22.5  # 15, 30
    assert steps.loc[5, "median"] == 60  # across the weekend
    assert steps.loc[9, "median"] == 20  # returned after 10, approved after 30
    assert steps.loc[9, "p90"] == pytest.approx(28)
    assert steps.loc[8, "median"] == 60 and steps.loc[8, "late"] == 0  # standard 60
    assert steps["standard"].to_dict() == {s.number: s.minutes for s in sop.STEPS}
    assert steps["late"][steps["late"] > 0].to_dict() == {5: 1, 6: 1}
    headline = board(staff).headline
    assert (headline.steps_done, headline.steps_on_time) == (24, 22)


def test_on_time_per_month_and_per_unit(staff, data):
    result = board(staff)
    assert result.on_time_by_bucket[["bucket", "count", "on_time"]].values.tolist() == [
        ["2026-11", 24, 22]
    ]
    # Unit work: B's step 5 (60, late) and A's two drafts (60 each, on time).
    unit = result.on_time_by_unit.set_index("unit_id")
    assert unit.loc[staff.unit_kop.unit_id, ["count", "on_time"]].tolist() == [3, 2]


def test_backlog_by_step_and_age_and_the_overdue_list(staff, data):
    result = board(staff)
    backlog = result.backlog_by_step.set_index("step")[["count", "overdue"]]
    assert backlog.to_dict("index") == {
        2: {"count": 1, "overdue": 0},
        3: {"count": 1, "overdue": 1},
        4: {"count": 2, "overdue": 2},
    }
    ages = dict(zip(result.backlog_by_age["label"], result.backlog_by_age["count"], strict=True))
    assert ages == {
        "< 1 hari": 2,
        "1–3 hari": 0,
        "3–5 hari": 0,
        "5–14 hari": 2,
        "14–60 hari": 0,
        "≥ 60 hari": 0,
    }
    # Most overdue first: F (due Fri 30 Oct 10:30), E (Mon 2 Nov 09:40), C (09:40 today).
    assert list(result.overdue["id"]) == [data["F"], data["E"], data["C"]]
    assert list(result.overdue["overdue_minutes"]) == [3210, 2720, 140]
    assert (result.headline.open_now, result.headline.overdue_now) == (4, 3)


def test_the_dashboard_reads_the_open_complaints_once(staff, data):
    """The backlog per step, per age and the overdue total come from one pass over the
    open complaints (at 1,000,000 complaints each pass cost 10 ms); the overdue list
    itself is a page read in its index order."""
    dashboard.clear_cache()
    with statements_run() as seen:
        result = board(staff)
    open_reads = [
        sql
        for sql, _params in seen
        if "current_step IS NOT NULL" in sql and "FROM complaints" in sql and "LIMIT" not in sql
    ]
    assert len(open_reads) == 1, open_reads
    assert result.overdue_total == result.headline.overdue_now == 3


def test_returns_at_step_nine_per_unit(staff, data):
    returns = board(staff).returns_by_unit.set_index("unit_id")
    row = returns.loc[staff.unit_kop.unit_id]
    assert (row.drafts, row.returned, row.approved, row.avg_rounds) == (2, 1, 1, 2.0)
    assert row.return_share == 0.5


def test_end_to_end_and_regulatory_clocks(staff, data):
    result = board(staff)
    summary = result.end_to_end_summary.set_index("form")
    assert summary.loc["*", "count"] == 2
    assert summary.loc["*", "median_days"] == pytest.approx((90 + 360) / 2 / 510)
    assert summary.loc["lisan", "median_days"] == pytest.approx(90 / 510)
    assert summary.loc["tertulis", "median_days"] == pytest.approx(360 / 510)
    assert result.end_to_end["count"].tolist() == [2, 0, 0, 0, 0, 0]
    clocks = result.compliance.set_index("clock")[["met", "late", "running"]]
    assert clocks.to_dict("index") == {
        "verifikasi": {"met": 2, "late": 1, "running": 2},  # E missed its 3 days
        "tindak_lanjut": {"met": 2, "late": 0, "running": 3},
        "penyelesaian": {"met": 2, "late": 0, "running": 3},
    }
    assert result.headline.closed == 2


def test_ratings_average_and_distribution(staff, data):
    result = board(staff)
    assert result.ratings["count"].tolist() == [0, 0, 0, 1, 1]
    assert result.headline.rating_avg == 4.5


def test_filters_by_channel_and_unit(staff, data):
    by_email = board(staff, channel="email")
    assert by_email.headline.received == 2
    assert by_email.step_times.set_index("step").loc[3, "count"] == 2
    by_unit = board(staff, unit_id=staff.unit_kop.unit_id)
    assert by_unit.headline.received == 2 and by_unit.headline.closed == 2
    assert by_unit.backlog_by_step.empty


def test_drill_down_lists_the_complaints_behind_each_figure(staff, data):
    result = board(staff)
    assert sorted(listed(staff, result, "channel", "email")) == sorted([data["C"], data["E"]])
    assert listed(staff, result, "form", "lisan") == [data["B"]]
    assert listed(staff, result, "step_late", 6) == [data["A"]]
    assert listed(staff, result, "step_late", 5) == [data["B"]]
    assert listed(staff, result, "overdue") == [data["F"], data["E"], data["C"]]
    assert listed(staff, result, "open_step", 2) == [data["D"]]
    assert sorted(listed(staff, result, "age", 3)) == sorted([data["E"], data["F"]])
    assert listed(staff, result, "returned", staff.unit_kop.unit_id) == [data["A"]]
    assert listed(staff, result, "clock_late", "verifikasi") == [data["E"]]
    assert listed(staff, result, "rating", 5) == [data["B"]]
    assert listed(staff, result, "unit_late", staff.unit_kop.unit_id) == [data["B"]]
    assert sorted(listed(staff, result, "closed")) == sorted([data["A"], data["B"]])
    assert len(listed(staff, result, "received")) == 5
    page = dashboard.complaints_behind(
        user=manager(staff.kepala), board=result, drill=Drill("received"), page_size=2, page=3
    )
    assert (page.total, page.pages, len(page.rows)) == (5, 3, 1)


def test_the_cache_is_invalidated_when_a_complaint_moves(staff, data):
    first = board(staff)
    assert board(staff) is first  # cached
    do(staff.subbag, data["C"], "classify_written", now=wita(9, 11))
    second = board(staff)
    assert second is not first
    assert second.step_times.set_index("step").loc[4, "count"] == 3


def test_non_managers_are_refused_by_the_service(staff, data):
    for user in (staff.petugas, staff.subbag, staff.unit_kop, staff.arsiparis, staff.outsider):
        with pytest.raises(NotAllowed):
            board_for(user)
        with pytest.raises(NotAllowed):
            dashboard.complaints_behind(
                user=manager(user), board=board(staff), drill=Drill("received")
            )
    for user in (staff.kepala, staff.sekretaris, staff.admin):
        assert board_for(user).headline.received == 5


def board_for(user):
    return dashboard.dashboard(user=manager(user), filters=month_filters(2026, 11), now=NOW)


def test_quantile_matches_numpy_linear_interpolation():
    assert quantile([(10, 1), (15, 1), (20, 1)], 0.9) == pytest.approx(19)
    assert quantile([(10, 2), (15, 1), (20, 1)], 0.5) == 12.5
    assert quantile([(7, 3)], 0.9) == 7
    assert quantile([], 0.5) is None


def test_without_an_explicit_time_the_cache_key_is_stable():
    first = dashboard._clock_now(None)
    assert first == dashboard._clock_now(None) or dashboard._clock_now(None) > first
    assert first.second == 0 and first.microsecond == 0
    assert first.minute % (dashboard.CACHE_SECONDS // 60) == 0


def test_bulk_seeded_data_follows_the_workflow_rules(db):
    """benchmarks.bulk_seed writes what the workflow would: minutes, due times, versions."""
    from itertools import pairwise

    from sqlalchemy import select

    from benchmarks.bulk_seed import bulk_seed
    from db.engine import read_session
    from db.models import Complaint, StepEvent
    from layanan.clocks import step_due_at
    from services.calendar_settings import load_calendar

    totals = bulk_seed(url=db, count=150, now=NOW, days=60)
    # Arrivals in the last minutes before now are not recorded yet (bulk_seed's docstring).
    assert 140 <= totals["complaints"] <= 150 and totals["events"] > totals["complaints"] * 5
    with read_session() as session:
        calendar = load_calendar(session)
        events: dict[int, list[StepEvent]] = {}
        for e in session.scalars(select(StepEvent).order_by(StepEvent.complaint_id, StepEvent.seq)):
            assert e.working_minutes == calendar.working_minutes(e.step_entered_at, e.at)
            assert e.standard_minutes == sop.step(e.step).minutes
            events.setdefault(e.complaint_id, []).append(e)
        complaints = session.scalars(select(Complaint)).all()
        assert len(complaints) == totals["complaints"]
        for c in complaints:
            mine = events[c.id]
            assert [e.seq for e in mine] == list(range(1, len(mine) + 1))
            assert all(a.at == b.step_entered_at for a, b in pairwise(mine))
            assert mine[0].step_entered_at == c.arrived_at
            assert c.version == 1 + len(mine)
            assert c.current_step == mine[-1].to_step and c.step_entered_at == mine[-1].at
            if c.current_step is None:
                assert c.closed_at == mine[-1].at and c.step_due_at is None
            else:
                assert c.step_due_at == step_due_at(calendar, c.current_step, c.step_entered_at)
            assert c.received_at <= NOW

"""The dashboard page (pages/dashboard.py): managers see it, everyone else is refused."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services import dashboard
from tests.apptest_helpers import open_page, texts, tickets
from tests.factories import bring_to, state


@pytest.fixture
def some_complaints(staff):
    """Three complaints received now: one closed written, one closed oral, one at step 4."""
    dashboard.clear_cache()
    return {
        "closed": state(bring_to(staff, None)).ticket,
        "oral": state(bring_to(staff, None, oral=True)).ticket,
        "open": state(bring_to(staff, 4)).ticket,
    }


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("who", ["kepala", "sekretaris", "admin"])
def test_the_dashboard_renders_for_managers(staff, some_complaints, who):
    at = open_page("dashboard", getattr(staff, who))
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Dasbor pemantauan pengaduan"
    shown = metrics(at)
    assert shown["Pengaduan diterima"] == "3"
    assert shown["Selesai pada periode"] == "2"
    assert shown["Terbuka saat ini"] == "1"
    charts = at.get("plotly_chart")
    assert len(charts) >= 14
    assert "Lihat daftar pengaduan" in texts(at)


@pytest.mark.parametrize("who", ["petugas", "subbag", "unit_kop", "arsiparis", "outsider"])
def test_other_roles_are_refused(staff, some_complaints, who):
    at = open_page("dashboard", getattr(staff, who))
    assert not at.exception
    assert "tidak memiliki akses" in texts(at)
    assert not at.get("plotly_chart") and not at.metric


def test_visitors_are_asked_to_log_in(staff):
    at = open_page("dashboard", None)
    assert "Silakan masuk" in texts(at)
    assert not at.get("plotly_chart")


def test_drill_down_lists_the_complaints_behind_a_figure(staff, some_complaints):
    at = open_page("dashboard", staff.kepala)
    pick = at.selectbox(key="dash_drill_pick")
    [open_now] = [o for o in pick.options if "terbuka saat ini" in o]
    pick.select(("open", None)).run()
    assert not at.exception
    assert open_now
    assert tickets(at)[-1:] == [some_complaints["open"]]
    at.selectbox(key="dash_drill_pick").select(("closed", None)).run()
    assert sorted(tickets(at)[-2:]) == sorted([some_complaints["closed"], some_complaints["oral"]])


def test_filters_narrow_the_figures(staff, some_complaints):
    at = open_page("dashboard", staff.kepala)
    at.selectbox(key="dash_channel").select("email").run()
    assert metrics(at)["Pengaduan diterima"] == "0"
    at.selectbox(key="dash_channel").select(None).run()
    at.selectbox(key="dash_unit").select(staff.unit_kop.unit_id).run()
    assert metrics(at)["Pengaduan diterima"] == "2"


def test_monthly_recap_builds_and_offers_both_downloads(staff, some_complaints):
    at = open_page("dashboard", staff.kepala)
    at.selectbox(key="dash_recap_month").select_index(0).run()
    at.button(key="dash_recap_build").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Unduh Excel", "Unduh Word"]
    assert "3 pengaduan" in texts(at)


def test_the_page_reads_in_indonesian_with_decimal_commas(staff, some_complaints):
    at = open_page("dashboard", staff.kepala)
    assert not at.exception
    figures = at.get("plotly_chart")
    specs = [json.loads(f.proto.spec) for f in figures]
    assert all(spec["layout"].get("separators") == ",." for spec in specs)
    volume = specs[0]
    weeks = volume["layout"]["xaxis"]["categoryarray"]
    assert weeks and not any("-" in w for w in weeks)  # "30 Nov", not "2026-11-30"
    [ratings] = [s for s in specs if "Penilaian kepuasan" in s["layout"]["title"]["text"]]
    assert ratings["layout"]["annotations"][0]["text"] == "Belum ada penilaian pada periode ini"
    assert ratings["layout"]["xaxis"]["visible"] is False


def test_a_week_drill_down_is_named_by_its_indonesian_date(staff, some_complaints):
    from charts.dashboard import bucket_label
    from ui.dashboard import describer

    board = dashboard.dashboard(
        user=staff.kepala, filters=dashboard.month_filters(date.today().year, date.today().month)
    )
    describe = describer(board)
    assert describe("bucket", "2026-11-02") == "Diterima pada minggu 2 Nov 2026"
    assert describe("bucket_late", "2026-11") == "Melewati standar pada November 2026"
    assert bucket_label("2026-11-02") == "2 Nov"


def test_a_long_period_is_bucketed_per_month_even_after_weeks_were_chosen(staff):
    at = open_page("dashboard", staff.kepala)
    [volume] = [r for r in at.radio if r.label == "Volume"]
    assert volume.value == "week"  # the default 30 days
    at.selectbox(key="dash_period").select("12 bulan terakhir").run()
    assert not at.exception
    # A year in 53 weekly buckets costs 53 CASE branches per row and draws 53 bars.
    assert [r.value for r in at.radio if r.label == "Volume"] == ["month"]

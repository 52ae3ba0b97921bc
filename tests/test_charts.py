"""Chart builders: the right traces, the SOP standard drawn as a line, drill-down data."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import dashboard as charts
from layanan import sop
from services.dashboard import step_times_frame

# (step, standard, minutes, count): step 3 done in 10, 15 and 20; step 8 in 60 and 90.
HISTOGRAM = [(3, 30, 10, 1), (3, 30, 15, 1), (3, 30, 20, 1), (8, 60, 60, 1), (8, 60, 90, 1)]


def traces(fig: go.Figure) -> dict[str, object]:
    return {t.name: t for t in fig.data}


def test_step_times_has_median_p90_and_the_standard_line_from_the_sop_table():
    fig = charts.step_times(step_times_frame(HISTOGRAM))
    by_name = traces(fig)
    assert set(by_name) == {"Median", "Persentil ke-90", "Standar waktu SOP"}
    standard = by_name["Standar waktu SOP"]
    assert standard.type == "scatter" and "lines" in standard.mode
    assert list(standard.x) == ["Langkah 3", "Langkah 8"]
    assert list(standard.y) == [sop.step(3).minutes, sop.step(8).minutes]
    assert list(by_name["Median"].y) == [15, 75]
    assert list(by_name["Persentil ke-90"].y) == [19, 87]
    assert by_name["Median"].type == "bar"
    assert [list(c) for c in by_name["Median"].customdata] == [["step_late", 3], ["step_late", 8]]


def test_breaches_lists_the_late_steps_most_first():
    frame = step_times_frame([*HISTOGRAM, (9, 30, 45, 2), (9, 30, 10, 1)])
    [bar] = charts.breaches(frame).data
    assert list(bar.y) == ["Langkah 8", "Langkah 9"]  # most breaches last = top of the chart
    assert list(bar.x) == [1, 2]


def test_volume_stacks_one_bar_trace_per_channel_with_drill_values():
    frame = pd.DataFrame(
        {
            "bucket": ["2026-10", "2026-11", "2026-11"],
            "channel": ["email", "email", "surat"],
            "channel_label": ["E-mail", "E-mail", "Surat"],
            "category": ["Lainnya"] * 3,
            "form": ["", "lisan", "tertulis"],
            "form_label": ["Belum ditentukan", "Lisan", "Tertulis"],
            "count": [2, 3, 1],
        }
    )
    fig = charts.volume_by(
        frame, by="channel_label", label="saluran", grain="month", kind="channel"
    )
    by_name = traces(fig)
    assert set(by_name) == {"E-mail", "Surat"}
    assert list(by_name["E-mail"].x) == ["Oktober 2026", "November 2026"]
    assert list(by_name["E-mail"].y) == [2, 3]
    assert list(by_name["Surat"].customdata[0]) == ["channel", "surat"]
    assert fig.layout.barmode == "stack"
    pie = charts.oral_vs_written(frame).data[0]
    assert dict(zip(pie.labels, pie.values, strict=True)) == {
        "Belum ditentukan": 2,
        "Lisan": 3,
        "Tertulis": 1,
    }


def test_compliance_has_met_late_and_running_per_clock():
    frame = pd.DataFrame(
        {
            "clock": ["verifikasi", "tindak_lanjut", "penyelesaian"],
            "label": ["Verifikasi (3 hari kerja)", "Tindak lanjut (5)", "Penyelesaian (14 / 60)"],
            "met": [2, 2, 2],
            "late": [1, 0, 0],
            "running": [2, 3, 3],
        }
    )
    by_name = traces(charts.compliance(frame))
    assert set(by_name) == {"Tepat waktu", "Terlambat", "Masih berjalan"}
    assert list(by_name["Terlambat"].x) == [1, 0, 0]
    assert list(by_name["Terlambat"].customdata[0]) == ["clock_late", "verifikasi"]


def test_empty_data_still_gives_a_figure_with_a_note():
    fig = charts.step_times(step_times_frame([]))
    assert fig.layout.annotations[0].text == "Belum ada data pada periode ini"


def test_charts_never_import_streamlit():
    source = charts.__file__
    with open(source, encoding="utf-8") as handle:
        assert "streamlit" not in handle.read()


def test_bucket_axes_keep_the_labels_as_categories():
    frame = pd.DataFrame(
        {"bucket": ["2026-11-02", "2026-11-09"], "count": [4, 2], "on_time": [3, 2]}
    )
    frame["share"] = frame["on_time"] / frame["count"]
    fig = charts.on_time_share(
        frame, x="bucket", title="t", x_title="Minggu", kind="bucket_late", value="bucket"
    )
    assert fig.layout.xaxis.type == "category"
    assert list(fig.data[0].y) == [75.0, 100.0]


def test_weekly_axis_runs_in_date_order_with_indonesian_dates_whatever_the_trace_order():
    # "E-mail" (the first trace) has no complaint in the first week: plotly would put
    # that week last if the axis followed the order in which traces mention categories.
    frame = pd.DataFrame(
        {
            "bucket": ["2026-11-30", "2026-11-09", "2026-11-02", "2026-11-23"],
            "channel": ["email", "email", "surat", "surat"],
            "channel_label": ["E-mail", "E-mail", "Surat", "Surat"],
            "category": ["Lainnya"] * 4,
            "form": ["lisan"] * 4,
            "form_label": ["Lisan"] * 4,
            "count": [1, 2, 3, 4],
        }
    )
    fig = charts.volume_by(frame, by="channel_label", label="saluran", grain="week", kind="c")
    assert list(fig.layout.xaxis.categoryarray) == ["2 Nov", "9 Nov", "23 Nov", "30 Nov"]
    assert fig.layout.xaxis.categoryorder == "array"
    by_name = traces(fig)
    assert list(by_name["E-mail"].x) == ["9 Nov", "30 Nov"]
    assert list(by_name["E-mail"].y) == [2, 1]
    assert fig.layout.separators == ",."


def test_weeks_carry_the_year_when_the_period_spans_two_years():
    assert charts.bucket_labels(["2027-01-04", "2026-12-28"]) == {
        "2026-12-28": "28 Des 2026",
        "2027-01-04": "4 Jan 2027",
    }
    assert charts.bucket_label("2026-08") == "Agustus 2026"


def test_on_time_per_week_is_in_date_order_with_a_decimal_comma():
    frame = pd.DataFrame({"bucket": ["2026-11-23", "2026-11-02", "2026-11-16"], "count": [3, 4, 8]})
    frame["on_time"] = [2, 3, 7]
    frame["share"] = frame["on_time"] / frame["count"]
    fig = charts.on_time_share(
        frame, x="bucket", title="t", x_title="Minggu", kind="bucket_late", value="bucket"
    )
    [bar] = fig.data
    assert list(bar.x) == ["2 Nov", "16 Nov", "23 Nov"]
    assert list(bar.text) == ["75,0%", "87,5%", "66,7%"]
    assert list(bar.customdata[0]) == ["bucket_late", "2026-11-02"]
    assert fig.layout.separators == ",."


def test_every_figure_uses_the_decimal_comma_and_the_donut_shows_one_decimal():
    frame = pd.DataFrame(
        {
            "bucket": ["2026-11"] * 2,
            "channel": ["email", "surat"],
            "channel_label": ["E-mail", "Surat"],
            "category": ["Lainnya"] * 2,
            "form": ["lisan", "tertulis"],
            "form_label": ["Lisan", "Tertulis"],
            "count": [1, 6],
        }
    )
    donut = charts.oral_vs_written(frame)
    assert donut.layout.separators == ",."
    assert donut.data[0].texttemplate == "%{percent:.1%}"
    steps = step_times_frame(HISTOGRAM)
    figures = [
        donut,
        charts.step_times(steps),
        charts.breaches(steps),
        charts.volume_by(frame, by="category", label="kategori", grain="month", kind="c"),
        charts.ratings(pd.DataFrame({"score": range(1, 6), "count": [0, 0, 1, 2, 3]})),
    ]
    assert all(f.layout.separators == ",." for f in figures)


def test_step_labels_are_short_slanted_and_name_the_step_on_hover():
    fig = charts.step_times(step_times_frame(HISTOGRAM))
    median = traces(fig)["Median"]
    assert list(median.x) == ["Langkah 3", "Langkah 8"]
    assert list(median.hovertext) == [
        f"Langkah 3 · {sop.step(3).name}",
        f"Langkah 8 · {sop.step(8).name}",
    ]
    assert fig.layout.xaxis.tickangle == -45


def test_no_ratings_says_so_in_words_without_an_empty_axis():
    fig = charts.ratings(pd.DataFrame({"score": range(1, 6), "count": [0] * 5}))
    assert fig.layout.annotations[0].text == "Belum ada penilaian pada periode ini"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    rated = charts.ratings(pd.DataFrame({"score": range(1, 6), "count": [0, 0, 0, 1, 0]}))
    assert not rated.layout.annotations


def test_persen_writes_a_decimal_comma():
    assert charts.persen(0.904) == "90,4%"
    assert charts.persen(None) == "-"

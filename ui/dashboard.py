"""Widgets of the monitoring dashboard page (rendering only: no queries, no SQL).

The filters build a ``db.stats.Filters``; the figures come from
``services.dashboard.dashboard``; the charts from ``charts.dashboard``. A drill-down
(a clicked bar, a chosen figure) is kept in ``st.session_state[DRILL_KEY]`` as
(kind, value, label) and listed page by page through
``services.dashboard.complaints_behind``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from charts import dashboard as charts
from db.stats import Drill, Filters
from layanan import sop
from layanan.calendar import day_bounds, office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import durasi, tanggal, tanggal_jam
from services import dashboard, recap
from services.dashboard import Dashboard
from ui.complaint_view import complaint_link, esc

DRILL_KEY = "dash_drill"
LIST_PAGE_KEY = "dash_list_page"
RECAP_KEY = "dash_recap"
PAGE_SIZE = 25
PERIODS = (
    "30 hari terakhir",
    "Bulan ini",
    "Bulan lalu",
    "3 bulan terakhir",
    "12 bulan terakhir",
    "Tahun ini",
    "Pilih tanggal",
)
WEEKLY_UP_TO_DAYS = 92


# --- filters --------------------------------------------------------------------------


def _month_start(day: date, back: int = 0) -> date:
    month = day.month - 1 - back
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_bounds(choice: str, today: date, picked: tuple[date, date] | None) -> tuple[date, date]:
    """First and last local day (inclusive) of a period preset."""
    if choice == "Bulan ini":
        return _month_start(today), today
    if choice == "Bulan lalu":
        start = _month_start(today, 1)
        return start, _month_start(today) - timedelta(days=1)
    if choice == "3 bulan terakhir":
        return _month_start(today, 2), today
    if choice == "12 bulan terakhir":
        return _month_start(today, 11), today
    if choice == "Tahun ini":
        return date(today.year, 1, 1), today
    if choice == "Pilih tanggal" and picked:
        return picked
    return today - timedelta(days=29), today


def render_filters(units: list[tuple[int, str]]) -> Filters:
    """Period, grain, unit, channel and category; returns the Filters they describe."""
    today = office_today()
    with st.container(border=True):
        c1, c2, c3, c4, c5 = st.columns([2, 1.4, 2.2, 1.6, 2.2], vertical_alignment="bottom")
        choice = c1.selectbox("Periode", PERIODS, key="dash_period")
        picked = None
        if choice == "Pilih tanggal":
            value = c1.date_input(
                "Rentang tanggal",
                (today - timedelta(days=29), today),
                max_value=today,
                key="dash_range",
                format="DD/MM/YYYY",
            )
            if isinstance(value, tuple | list) and len(value) == 2:
                picked = (value[0], value[1])
        first, last = period_bounds(choice, today, picked)
        # A long period is bucketed per month only: a week chosen for a short period
        # must not stay selected (53 weekly buckets for a year), so the long periods
        # have a radio of their own.
        long_period = (last - first).days > WEEKLY_UP_TO_DAYS
        grain = c2.radio(
            "Volume",
            ("month",) if long_period else ("week", "month"),
            format_func=lambda g: "Per minggu" if g == "week" else "Per bulan",
            key="dash_grain_long" if long_period else "dash_grain",
            horizontal=True,
        )
        unit_names = dict(units)
        unit_id = c3.selectbox(
            "Unit",
            list(unit_names),
            index=None,
            format_func=lambda u: unit_names[u],
            key="dash_unit",
            placeholder="Semua unit",
        )
        channel = c4.selectbox(
            "Saluran",
            [c.value for c in sop.Channel],
            index=None,
            format_func=lambda v: sop.CHANNEL_LABELS[sop.Channel(v)],
            key="dash_channel",
            placeholder="Semua",
        )
        category = c5.selectbox(
            "Kategori", sop.CATEGORIES, index=None, key="dash_category", placeholder="Semua"
        )
    st.caption(
        f"Periode {tanggal(first)} s.d. {tanggal(last)} (WITA). Antrean, umur dan daftar "
        "terlambat menunjukkan keadaan saat ini, apa pun periodenya."
    )
    start, end = day_bounds(first, last)
    return Filters(
        start=start,
        end=end,
        unit_id=unit_id,
        channel=channel,
        category=category,
        grain=grain,
    )


# --- drill-down state -----------------------------------------------------------------


def set_drill(kind: str, value, label: str) -> None:
    st.session_state[DRILL_KEY] = (kind, value, label)
    st.session_state[LIST_PAGE_KEY] = 1


def _plain(value):
    """JSON-ish value from plotly customdata or pandas as a plain Python value."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _selection_callback(chart_key: str, describe: Callable[[str, object], str]):
    def callback() -> None:
        state = st.session_state.get(chart_key)
        points = (state or {}).get("selection", {}).get("points", []) if state else []
        for point in points:
            custom = point.get("customdata")
            if custom and len(custom) == 2:
                kind, value = custom[0], _plain(custom[1])
                set_drill(kind, value, describe(kind, value))
                return

    return callback


def chart(fig, key: str, describe: Callable[[str, object], str]) -> None:
    """A plotly chart whose clicked bar opens the list of complaints behind it."""
    st.plotly_chart(
        fig,
        key=key,
        on_select=_selection_callback(key, describe),
        selection_mode="points",
        config={"displaylogo": False},
    )


# --- labels of drill-downs ------------------------------------------------------------


def describer(board: Dashboard) -> Callable[[str, object], str]:
    channels = {c.value: label for c, label in sop.CHANNEL_LABELS.items()}
    ages = dict(zip(board.backlog_by_age["bucket"], board.backlog_by_age["label"], strict=True))
    clocks = dict(zip(board.compliance["clock"], board.compliance["label"], strict=True))

    def describe(kind: str, value) -> str:
        unit = board.units.get(value, dashboard.UNASSIGNED) if value is not None else None
        when = _bucket(value) if kind in ("bucket", "bucket_late") else value
        return {
            "received": "Semua pengaduan yang diterima pada periode",
            "closed": "Pengaduan yang selesai pada periode",
            "open": "Semua pengaduan terbuka saat ini",
            "overdue": "Pengaduan yang melewati batas waktu langkahnya saat ini",
            "channel": f"Saluran: {channels.get(value, value)}",
            "category": f"Kategori: {value}",
            "form": f"Bentuk: {dashboard.FORM_LABELS.get(value or '', value)}",
            "unit": f"Unit: {unit or dashboard.UNASSIGNED}",
            "bucket": f"Diterima pada {when}",
            "step_late": f"Melewati standar di Langkah {value}",
            "bucket_late": f"Melewati standar pada {when}",
            "unit_late": f"Pekerjaan unit melewati standar: {unit}",
            "open_step": f"Terbuka di Langkah {value}",
            "age": f"Terbuka, umur {ages.get(value, value)} kerja",
            "returned": f"Draf dikembalikan: {unit}",
            "clock_late": f"Melewati batas {clocks.get(value, value)}",
            "rating": f"Penilaian kepuasan {value}",
        }.get(kind, kind)

    return describe


def _bucket(value) -> str:
    """ "minggu 2 Nov 2026" / "November 2026" for a bucket value ("2026-11-02")."""
    if not value:
        return "-"
    label = charts.bucket_label(value, with_year=True)
    return label if len(str(value).split("-")) == 2 else f"minggu {label}"


def drill_options(board: Dashboard) -> list[tuple[str, object]]:
    """Every figure of the board whose complaints can be listed, as (kind, value)."""
    options: list[tuple[str, object]] = [
        ("received", None),
        ("closed", None),
        ("open", None),
        ("overdue", None),
    ]
    options += [("channel", c) for c in sorted(set(board.volume["channel"]))]
    options += [("category", c) for c in sorted(set(board.volume["category"]))]
    options += [("form", f) for f in sorted(set(board.volume["form"]))]
    unit_ids = {_plain(u) for u in board.volume_by_unit["unit_id"]}
    options += [("unit", u) for u in sorted(unit_ids, key=lambda u: (u is None, u or 0))]
    late = board.step_times[board.step_times["late"] > 0]
    options += [("step_late", int(s)) for s in late["step"]]
    options += [("open_step", int(s)) for s in board.backlog_by_step["step"]]
    aged = board.backlog_by_age[board.backlog_by_age["count"] > 0]
    options += [("age", int(b)) for b in aged["bucket"]]
    returned = board.returns_by_unit[board.returns_by_unit["returned"] > 0]
    options += [("returned", int(u)) for u in returned["unit_id"]]
    missed = board.compliance[board.compliance["late"] > 0]
    options += [("clock_late", c) for c in missed["clock"]]
    rated = board.ratings[board.ratings["count"] > 0]
    options += [("rating", int(s)) for s in rated["score"]]
    return options


# --- sections -------------------------------------------------------------------------


def _percent(share) -> str:
    return charts.persen(share)


def _minutes(value) -> str:
    """Working minutes in a table cell with a decimal comma ("19,5"); "-" if none."""
    if value is None or pd.isna(value):
        return "-"
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def _days(value) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{value:.1f}".replace(".", ",") + " hari kerja"


def render_headline(board: Dashboard) -> None:
    h = board.headline
    row1 = st.columns(4)
    row1[0].metric("Pengaduan diterima", h.received)
    row1[1].metric("Selesai pada periode", h.closed)
    row1[2].metric("Terbuka saat ini", h.open_now)
    row1[3].metric("Terlambat saat ini", h.overdue_now, help="Melewati batas waktu langkahnya")
    row2 = st.columns(4)
    row2[0].metric(
        "Langkah tepat waktu",
        _percent(h.on_time_share),
        help=f"{h.steps_on_time} dari {h.steps_done} langkah selesai dalam standar SOP",
    )
    row2[1].metric("Median waktu penyelesaian", _days(h.median_days_closed))
    row2[2].metric(
        "Penyelesaian tepat waktu",
        _percent(h.completion_share),
        help="Batas penyelesaian SP4N-LAPOR! (14 / 60 hari kerja) yang terpenuhi",
    )
    row2[3].metric(
        "Rata-rata kepuasan",
        "-" if h.rating_avg is None else f"{h.rating_avg:.2f}".replace(".", ",") + " / 5",
        help=f"{h.ratings} penilaian",
    )


def render_charts(board: Dashboard) -> None:
    describe = describer(board)
    grain = board.filters.grain
    volume, flow, backlog, quality = st.tabs(
        ["Volume", "Waktu per langkah", "Antrean dan keterlambatan", "Kepatuhan dan kepuasan"]
    )
    with volume:
        left, right = st.columns([2, 1])
        with left:
            chart(
                charts.volume_by(
                    board.volume, by="channel_label", label="saluran", grain=grain, kind="channel"
                ),
                "dash_chart_channel",
                describe,
            )
        with right:
            chart(charts.oral_vs_written(board.volume), "dash_chart_form", describe)
        chart(
            charts.volume_by(
                board.volume, by="category", label="kategori", grain=grain, kind="category"
            ),
            "dash_chart_category",
            describe,
        )
        chart(
            charts.volume_by(
                board.volume_by_unit, by="unit", label="unit", grain=grain, kind="unit"
            ),
            "dash_chart_unit",
            describe,
        )
    with flow:
        chart(charts.step_times(board.step_times), "dash_chart_steps", describe)
        left, right = st.columns(2)
        with left:
            chart(
                charts.on_time_share(
                    board.step_times,
                    x="label",
                    title="Langkah tepat waktu per langkah SOP",
                    x_title="Langkah",
                    kind="step_late",
                    value="step",
                ),
                "dash_chart_step_share",
                describe,
            )
        with right:
            chart(charts.breaches(board.step_times), "dash_chart_breaches", describe)
        left, right = st.columns(2)
        with left:
            chart(
                charts.on_time_share(
                    board.on_time_by_unit,
                    x="unit",
                    title=f"Pekerjaan unit tepat waktu (langkah {_unit_steps()})",
                    x_title="Unit",
                    kind="unit_late",
                    value="unit_id",
                ),
                "dash_chart_unit_share",
                describe,
            )
        with right:
            chart(
                charts.on_time_share(
                    board.on_time_by_bucket,
                    x="bucket",
                    title="Langkah tepat waktu per " + ("bulan" if grain == "month" else "minggu"),
                    x_title=charts.bucket_title(grain),
                    kind="bucket_late",
                    value="bucket",
                ),
                "dash_chart_month_share",
                describe,
            )
        chart(charts.returns_by_unit(board.returns_by_unit), "dash_chart_returns", describe)
        table = board.step_times[["label", "standard", "count", "median", "p90", "share"]].copy()
        table["share"] = [_percent(s) for s in table["share"]]
        for column in ("median", "p90"):
            table[column] = [_minutes(m) for m in table[column]]
        st.dataframe(
            table.rename(
                columns={
                    "label": "Langkah",
                    "standard": "Standar (menit)",
                    "count": "Dikerjakan",
                    "median": "Median (menit)",
                    "p90": "Persentil 90 (menit)",
                    "share": "Tepat waktu",
                }
            ),
            hide_index=True,
        )
    with backlog:
        left, right = st.columns(2)
        with left:
            chart(charts.backlog_by_step(board.backlog_by_step), "dash_chart_backlog", describe)
        with right:
            chart(charts.backlog_by_age(board.backlog_by_age), "dash_chart_age", describe)
        render_overdue(board)
    with quality:
        chart(charts.compliance(board.compliance), "dash_chart_clocks", describe)
        left, right = st.columns(2)
        with left:
            chart(charts.end_to_end(board.end_to_end), "dash_chart_e2e", describe)
            summary = board.end_to_end_summary
            st.caption(
                " · ".join(
                    f"{r.form_label}: {r['count']} selesai, median {_days(r.median_days)}, "
                    f"persentil 90 {_days(r.p90_days)}"
                    for _, r in summary.iterrows()
                )
            )
        with right:
            chart(charts.ratings(board.ratings), "dash_chart_ratings", describe)


def render_overdue(board: Dashboard) -> None:
    st.subheader("Melewati batas waktu langkah saat ini")
    if board.overdue.empty:
        st.info("Tidak ada pengaduan yang terlambat.")
        return
    shown = len(board.overdue)
    st.caption(
        f"{board.overdue_total} pengaduan, yang paling lama terlambat lebih dulu"
        + (f" ({shown} teratas)." if board.overdue_total > shown else ".")
    )
    _rows(board.overdue)
    if board.overdue_total > shown:
        label = describer(board)("overdue", None)
        st.button(
            f"Lihat semua {board.overdue_total} pengaduan terlambat",
            key="dash_overdue_all",
            on_click=set_drill,
            args=("overdue", None, label),
        )


# The ticket column is wide enough for a whole ticket ("ADU-2026-000123") with its icon
# at 1400 px: a narrower one cut it to "ADU-2026-00…".
LIST_COLUMNS = (
    ("Tiket", 2.6),
    ("Diterima", 1.8),
    ("Saluran · kategori", 2.0),
    ("Perihal", 2.6),
    ("Langkah", 2.0),
    ("Terlambat", 1.3),
)


def _rows(frame: pd.DataFrame) -> None:
    widths = [w for _, w in LIST_COLUMNS]
    header = st.columns(widths)
    for col, (title, _) in zip(header, LIST_COLUMNS, strict=True):
        col.markdown(f"**{title}**")
    for r in frame.itertuples():
        cols = st.columns(widths, vertical_alignment="center")
        with cols[0]:
            complaint_link(r.ticket)
        cols[1].markdown(tanggal_jam(r.received_at))
        cols[2].markdown(f"{esc(r.channel)}  \n:gray[{esc(r.category)}]")
        cols[3].markdown(esc(r.subject))
        step = "Selesai" if pd.isna(r.step) else f"{int(r.step)}. " + sop.step(int(r.step)).name
        cols[4].markdown(esc(step))
        cols[5].markdown(f":red[{durasi(r.overdue_minutes)}]" if r.overdue_minutes else "-")


def render_drill(board: Dashboard, user) -> None:
    """The "Lihat daftar pengaduan" chooser and the paginated list behind the figure."""
    st.subheader("Lihat daftar pengaduan")
    describe = describer(board)
    options = drill_options(board)

    def chosen() -> None:
        picked = st.session_state.get("dash_drill_pick")
        if picked is not None:
            set_drill(picked[0], picked[1], describe(*picked))

    st.selectbox(
        "Lihat daftar pengaduan",
        options,
        index=None,
        format_func=lambda o: describe(*o),
        key="dash_drill_pick",
        placeholder="Pilih angka atau klik batang pada grafik…",
        on_change=chosen,
        label_visibility="collapsed",
    )
    current = st.session_state.get(DRILL_KEY)
    if not current:
        return
    kind, value, label = current
    page_number = st.session_state.get(LIST_PAGE_KEY, 1)
    try:
        listing = dashboard.complaints_behind(
            user=user, board=board, drill=Drill(kind, value), page=page_number, page_size=PAGE_SIZE
        )
    except WorkflowError as err:
        st.error(md(err.message))
        return
    st.markdown(f"**{esc(label)}**: {listing.total} pengaduan")
    if listing.rows.empty:
        st.info("Tidak ada pengaduan.")
        return
    _rows(listing.rows)
    if listing.pages > 1:
        prev, info, nxt = st.columns([1, 3, 1], vertical_alignment="center")
        if prev.button("‹ Sebelumnya", disabled=listing.page <= 1, key="dash_prev"):
            st.session_state[LIST_PAGE_KEY] = listing.page - 1
            st.rerun()
        info.caption(f"Halaman {listing.page} dari {listing.pages}")
        if nxt.button("Berikutnya ›", disabled=listing.page >= listing.pages, key="dash_next"):
            st.session_state[LIST_PAGE_KEY] = listing.page + 1
            st.rerun()


def _months(today: date, count: int = 24) -> list[tuple[int, int]]:
    return [((start := _month_start(today, back)).year, start.month) for back in range(count)]


def render_recap(user) -> None:
    """Monthly recapitulation: choose a month, build with a progress bar, download."""
    from babel.dates import format_date

    st.subheader("Rekapitulasi Pengaduan bulanan")
    today = office_today()
    months = _months(today)
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    year, month = left.selectbox(
        "Bulan",
        months,
        index=1 if today.day < 6 else 0,
        format_func=lambda ym: format_date(date(ym[0], ym[1], 1), "MMMM y", locale="id"),
        key="dash_recap_month",
    )
    if right.button("Siapkan rekapitulasi", key="dash_recap_build", type="primary"):
        bar = st.progress(0.0, text="Memulai…")
        try:
            files = recap.build_recap(
                user=user,
                year=year,
                month=month,
                progress=lambda fraction, text: bar.progress(fraction, text=text),
            )
        except WorkflowError as err:
            st.error(md(err.message))
            return
        st.session_state[RECAP_KEY] = files
    files = st.session_state.get(RECAP_KEY)
    if files is None or (files.recap.year, files.recap.month) != (year, month):
        return
    st.success(f"Rekapitulasi {files.recap.periode}: {files.recap.total} pengaduan.")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Unduh Excel",
        files.xlsx.data,
        file_name=files.xlsx.filename,
        mime=files.xlsx.mime,
        key="dash_recap_xlsx",
    )
    c2.download_button(
        "Unduh Word",
        files.docx.data,
        file_name=files.docx.filename,
        mime=files.docx.mime,
        key="dash_recap_docx",
    )


def _unit_steps() -> str:
    """ "5 dan 8": the steps the units work at, from the SOP table."""
    numbers = [str(n) for n in sorted(sop.table().steps_of_role(sop.Role.UNIT))]
    if len(numbers) < 2:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + " dan " + numbers[-1]

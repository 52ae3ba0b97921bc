"""Figures of the monitoring dashboard, one function per chart.

Every function takes a DataFrame shaped by ``services.dashboard`` and returns a
``plotly.graph_objects.Figure``. Bars carry ``customdata`` = [drill kind, value] so a
selection on the page maps to ``db.stats.Drill``.

Figures read as Indonesian: decimal comma (``separators=",."`` on every figure, so
``%{y:.1f}`` and pie percentages print "90,4"), time axes in date order labelled "2 Nov"
(weeks) or "November 2026" (months), SOP steps as "Langkah 8" with the step's name on
hover, and an empty chart says so in words instead of drawing an empty axis.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date

from layanan import sop

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
ON_TIME = "#2ca02c"
LATE = "#d62728"
RUNNING = "#9e9e9e"
STANDARD_LINE = "#111111"
SEPARATORS = ",."  # decimal comma, dot for thousands (plotly: decimal first)
NO_DATA = "Belum ada data pada periode ini"


def _layout(fig: go.Figure, title: str, x: str, y: str, *, stacked: bool = False) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        barmode="stack" if stacked else "group",
        legend_title_text="",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=360,
        clickmode="event+select",
        separators=SEPARATORS,
    )
    return fig


def _custom(kind: str, values) -> list[list]:
    return [[kind, v] for v in values]


def _empty(fig: go.Figure, text: str = NO_DATA) -> go.Figure:
    """The note in words, and no axes (an empty axis would show a meaningless -1..1)."""
    fig.add_annotation(
        text=text,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 15},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(showlegend=False)
    return fig


def persen(share: float | None, digits: int = 1) -> str:
    """A share (0..1) as Indonesians write it: "90,4%"; "-" when unknown."""
    if share is None or pd.isna(share):
        return "-"
    return f"{share * 100:.{digits}f}".replace(".", ",") + "%"


def bucket_date(value: str) -> date:
    """The first day of a bucket label ("2026-11" or "2026-11-23")."""
    parts = [int(p) for p in str(value).split("-")]
    return date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def bucket_label(value: str, *, with_year: bool = False) -> str:
    """ "November 2026" for a month bucket, "23 Nov" (or "23 Nov 2026") for a week."""
    day = bucket_date(value)
    if len(str(value).split("-")) == 2:
        return format_date(day, "MMMM y", locale="id")
    return format_date(day, "d MMM y" if with_year else "d MMM", locale="id")


def bucket_labels(values) -> dict[str, str]:
    """Label of each bucket; weeks carry the year when the buckets span two years."""
    buckets = sorted({str(v) for v in values if not pd.isna(v)}, key=bucket_date)
    with_year = len({bucket_date(b).year for b in buckets}) > 1
    return {b: bucket_label(b, with_year=with_year) for b in buckets}


def _time_axis(fig: go.Figure, labels: dict[str, str]) -> None:
    """Categories in date order (not in the order traces first mention them)."""
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(labels.values()))


def _step_axis(fig: go.Figure, axis: str = "x") -> None:
    """Short step labels ("Langkah 8") slanted so that eleven of them never overlap."""
    if axis == "x":
        fig.update_xaxes(type="category", tickangle=-45, automargin=True)
    else:
        fig.update_yaxes(type="category", automargin=True)


def _step_names(frame: pd.DataFrame) -> list[str]:
    """Full step names for hover text ("Langkah 8 · Penyusunan ...")."""
    return [f"Langkah {int(s)} · {sop.step(int(s)).name}" for s in frame["step"]]


def bucket_title(grain: str) -> str:
    return "Bulan" if grain == "month" else "Minggu (mulai Senin)"


def volume_by(frame: pd.DataFrame, *, by: str, label: str, grain: str, kind: str) -> go.Figure:
    """Complaints received per bucket, stacked by ``by`` (channel/category/form/unit)."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig), f"Volume pengaduan per {label}", "", "Jumlah")
    value_col = {"channel_label": "channel", "form_label": "form", "unit": "unit_id"}.get(by, by)
    keys = [by, "bucket"] if value_col == by else [by, value_col, "bucket"]
    grouped = frame.groupby(keys, dropna=False)["count"].sum().reset_index()
    labels = bucket_labels(grouped["bucket"])
    for i, (name, part) in enumerate(grouped.groupby(by, sort=True)):
        part = part.sort_values("bucket", key=lambda col: col.map(bucket_date))
        drill_value = part[value_col].iloc[0]
        fig.add_bar(
            x=[labels[str(b)] for b in part["bucket"]],
            y=part["count"],
            name=str(name),
            marker_color=PALETTE[i % len(PALETTE)],
            customdata=_custom(kind, [None if pd.isna(drill_value) else drill_value] * len(part)),
            hovertemplate=f"{name}<br>%{{x}}: %{{y:,d}} pengaduan<extra></extra>",
        )
    _time_axis(fig, labels)
    return _layout(
        fig, f"Volume pengaduan per {label}", bucket_title(grain), "Jumlah pengaduan", stacked=True
    )


def oral_vs_written(frame: pd.DataFrame) -> go.Figure:
    """Share of oral and written complaints (donut)."""
    totals = frame.groupby(["form", "form_label"])["count"].sum().reset_index()
    fig = go.Figure(
        go.Pie(
            labels=totals["form_label"],
            values=totals["count"],
            hole=0.45,
            customdata=_custom("form", totals["form"]),
            sort=False,
            texttemplate="%{percent:.1%}",
            hovertemplate="%{label}: %{value:,d} pengaduan (%{percent:.1%})<extra></extra>",
        )
    )
    fig.update_layout(
        title="Lisan dan tertulis",
        height=360,
        margin={"t": 50, "b": 10},
        separators=SEPARATORS,
    )
    return fig if not totals.empty else _empty(fig)


def step_times(frame: pd.DataFrame) -> go.Figure:
    """Median and 90th percentile of working minutes per step, with each step's standard.

    The standard is drawn as a line (``standard`` column, from the SOP table).
    """
    data = frame[frame["count"] > 0]
    fig = go.Figure()
    labels = data["label"]
    names = _step_names(data)
    fig.add_bar(
        x=labels,
        y=data["median"],
        name="Median",
        marker_color=PALETTE[0],
        customdata=_custom("step_late", data["step"]),
        hovertext=names,
        hovertemplate="%{hovertext}<br>median %{y:,.0f} menit kerja<extra></extra>",
    )
    fig.add_bar(
        x=labels,
        y=data["p90"],
        name="Persentil ke-90",
        marker_color=PALETTE[1],
        customdata=_custom("step_late", data["step"]),
        hovertext=names,
        hovertemplate="%{hovertext}<br>persentil 90: %{y:,.0f} menit kerja<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=data["standard"],
        name="Standar waktu SOP",
        mode="lines+markers",
        line={"color": STANDARD_LINE, "dash": "dash", "shape": "hvh"},
        hovertext=names,
        hovertemplate="%{hovertext}<br>standar %{y:,d} menit kerja<extra></extra>",
    )
    if data.empty:
        _empty(fig)
    else:
        _step_axis(fig)
    return _layout(fig, "Waktu per langkah SOP (menit kerja)", "Langkah SOP", "Menit kerja")


def on_time_share(
    frame: pd.DataFrame, *, x: str, title: str, x_title: str, kind: str, value: str
) -> go.Figure:
    """Share of steps done within their standard, per ``x`` (step, unit, month)."""
    data = frame[frame["count"] > 0]
    fig = go.Figure()
    labels: dict[str, str] = {}
    if x == "bucket":  # a time axis: date order, Indonesian dates
        data = data.sort_values("bucket", key=lambda col: col.map(bucket_date))
        labels = bucket_labels(data["bucket"])
        shown = [labels[str(b)] for b in data["bucket"]]
    else:
        shown = list(data[x])
    hover = _step_names(data) if x == "label" and "step" in data else shown
    fig.add_bar(
        x=shown,
        y=data["share"] * 100,
        name="Tepat waktu",
        marker_color=ON_TIME,
        customdata=_custom(kind, data[value]),
        text=[persen(s) for s in data["share"]],
        textposition="outside",
        hovertext=hover,
        hovertemplate="%{hovertext}<br>%{y:.1f}% tepat waktu<extra></extra>",
    )
    if data.empty:
        return _layout(_empty(fig), title, x_title, "")
    fig.update_yaxes(range=[0, 110])
    if labels:
        _time_axis(fig, labels)
    elif x == "label":
        _step_axis(fig)
    else:
        fig.update_xaxes(type="category", automargin=True)
    return _layout(fig, title, x_title, "% langkah tepat waktu")


def breaches(frame: pd.DataFrame, *, top: int = 5) -> go.Figure:
    """The steps that most often exceed their standard (count of late steps)."""
    data = frame[frame["late"] > 0].sort_values(["late", "step"], ascending=[True, False])
    data = data.tail(top)
    fig = go.Figure()
    fig.add_bar(
        y=data["label"],
        x=data["late"],
        orientation="h",
        name="Melewati standar",
        marker_color=LATE,
        customdata=_custom("step_late", data["step"]),
        text=[persen(s) for s in data["late_share"]],
        textposition="auto",
        hovertext=_step_names(data),
        hovertemplate="%{hovertext}<br>%{x:,d} kali melewati standar<extra></extra>",
    )
    if data.empty:
        _empty(fig, "Tidak ada langkah yang melewati standar pada periode ini")
    else:
        _step_axis(fig, "y")
    return _layout(fig, "Langkah yang paling sering melewati standar", "Jumlah", "")


def backlog_by_step(frame: pd.DataFrame) -> go.Figure:
    """Open complaints now per current step, split within time and past the step's due."""
    fig = go.Figure()
    within = frame["count"] - frame["overdue"]
    names = _step_names(frame)
    fig.add_bar(
        x=frame["label"],
        y=within,
        name="Masih dalam standar",
        marker_color=ON_TIME,
        customdata=_custom("open_step", frame["step"]),
        hovertext=names,
        hovertemplate="%{hovertext}<br>%{y:,d} masih dalam standar<extra></extra>",
    )
    fig.add_bar(
        x=frame["label"],
        y=frame["overdue"],
        name="Melewati batas langkah",
        marker_color=LATE,
        customdata=_custom("open_step", frame["step"]),
        hovertext=names,
        hovertemplate="%{hovertext}<br>%{y:,d} melewati batas langkah<extra></extra>",
    )
    if frame.empty:
        _empty(fig, "Tidak ada pengaduan terbuka")
    else:
        _step_axis(fig)
    return _layout(fig, "Pengaduan terbuka per langkah saat ini", "Langkah", "Jumlah", stacked=True)


def backlog_by_age(frame: pd.DataFrame) -> go.Figure:
    """Open complaints by age in working days since receipt."""
    fig = go.Figure()
    fig.add_bar(
        x=frame["label"],
        y=frame["count"],
        name="Pengaduan terbuka",
        marker_color=PALETTE[4],
        customdata=_custom("age", frame["bucket"]),
        hovertemplate="%{x}: %{y:,d} pengaduan<extra></extra>",
    )
    if not frame["count"].sum():
        _empty(fig, "Tidak ada pengaduan terbuka")
    return _layout(fig, "Umur pengaduan terbuka (hari kerja)", "Umur", "Jumlah")


def returns_by_unit(frame: pd.DataFrame) -> go.Figure:
    """Drafts submitted and returned at step 9 per unit, with average rounds as text."""
    fig = go.Figure()
    fig.add_bar(
        x=frame["unit"],
        y=frame["drafts"],
        name="Draf diajukan",
        marker_color=PALETTE[0],
        customdata=_custom("returned", frame["unit_id"]),
    )
    fig.add_bar(
        x=frame["unit"],
        y=frame["returned"],
        name="Draf dikembalikan",
        marker_color=LATE,
        customdata=_custom("returned", frame["unit_id"]),
        text=[
            "" if pd.isna(r) else f"rata-rata {r:.2f} putaran".replace(".", ",")
            for r in frame["avg_rounds"]
        ],
        textposition="outside",
    )
    if frame.empty:
        _empty(fig, "Belum ada draf jawaban pada periode ini")
    return _layout(fig, "Draf jawaban dikembalikan pada langkah 9", "Unit", "Jumlah draf")


def end_to_end(frame: pd.DataFrame) -> go.Figure:
    """Closed complaints by working days from arrival to closing, oral and written."""
    fig = go.Figure()
    for column, name, color in (
        ("lisan", "Lisan", PALETTE[2]),
        ("tertulis", "Tertulis", PALETTE[0]),
    ):
        fig.add_bar(
            x=frame["label"],
            y=frame[column],
            name=name,
            marker_color=color,
            customdata=_custom("closed", frame["bucket"]),
            hovertemplate=f"{name}<br>%{{x}}: %{{y:,d}} pengaduan<extra></extra>",
        )
    if not (frame["lisan"].sum() + frame["tertulis"].sum()):
        _empty(fig, "Belum ada pengaduan yang selesai pada periode ini")
    return _layout(
        fig, "Waktu penyelesaian pengaduan selesai (hari kerja)", "Lama", "Jumlah", stacked=True
    )


def compliance(frame: pd.DataFrame) -> go.Figure:
    """Regulatory clocks: met, late and still running, per clock."""
    fig = go.Figure()
    for column, name, color in (
        ("met", "Tepat waktu", ON_TIME),
        ("late", "Terlambat", LATE),
        ("running", "Masih berjalan", RUNNING),
    ):
        kind = "clock_late" if column == "late" else "received"
        fig.add_bar(
            y=frame["label"],
            x=frame[column],
            orientation="h",
            name=name,
            marker_color=color,
            customdata=_custom(kind, frame["clock"]),
            hovertemplate=f"%{{y}}<br>{name}: %{{x:,d}} pengaduan<extra></extra>",
        )
    if not (frame["met"].sum() + frame["late"].sum() + frame["running"].sum()):
        _empty(fig)
    return _layout(fig, "Kepatuhan batas waktu SP4N-LAPOR!", "Jumlah pengaduan", "", stacked=True)


def ratings(frame: pd.DataFrame) -> go.Figure:
    """Distribution of satisfaction ratings (1-5)."""
    fig = go.Figure()
    fig.add_bar(
        x=[f"{s} ★" for s in frame["score"]],
        y=frame["count"],
        name="Penilaian",
        marker_color=PALETTE[8],
        customdata=_custom("rating", frame["score"]),
        hovertemplate="%{x}: %{y:,d} penilaian<extra></extra>",
    )
    if not frame["count"].sum():
        _empty(fig, "Belum ada penilaian pada periode ini")
    return _layout(fig, "Penilaian kepuasan pemohon", "Nilai", "Jumlah")


def step_name(step_number: int) -> str:
    return sop.step_label(step_number)

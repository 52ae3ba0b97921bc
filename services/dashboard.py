"""Read model of the monitoring dashboard: SQL aggregates shaped into DataFrames.

``dashboard(user=..., filters=...)`` runs the queries of ``db.stats`` (grouped rows,
never one row per event) and returns a ``Dashboard`` of small DataFrames that the chart
functions in ``charts/`` draw. Only managers (capability "view_dashboard": Kepala Dinas,
Sekretaris, admin) get anything; everyone else is refused here, whatever page they
reach.

Results are cached per (database, data version, filters, time): the data version
(``db.stats.data_version``: newest step event id, number of ratings, settings) changes
as soon as a complaint moves, so a manager never sees figures older than the last
move. Without an explicit ``now``, time is taken to the 5 minutes, so overdue counts
may lag the clock by up to 5 minutes between two moves.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, pairwise
from types import SimpleNamespace
from typing import Any

import pandas as pd

import config
from db import stats
from db.engine import read_session
from db.stats import Drill, DueDay, Filters
from layanan import sop
from layanan.calendar import OFFICE_TZ, WorkingCalendar, day_bounds
from layanan.clocks import RegulatoryStandards
from layanan.errors import NotAllowed
from services import authz, identity
from services.calendar_settings import due_day, load_calendar, load_standards

CACHE_SIZE = 32
OVERDUE_SHOWN = 10  # on the board; the full list is the "overdue" drill-down
CACHE_SECONDS = 300
MAX_PERIOD_DAYS = 3 * 366
FORM_LABELS = {"lisan": "Lisan", "tertulis": "Tertulis", "": "Belum ditentukan"}
STATUS_LABELS = {"selesai": "Selesai", "diproses": "Dalam proses", "terlambat": "Terlambat"}
CLOCK_LABELS = {
    "verifikasi": "Verifikasi",
    "tindak_lanjut": "Tindak lanjut",
    "penyelesaian": "Penyelesaian",
}
UNASSIGNED = "Belum ditetapkan"
VIEW = "view_dashboard"  # services.authz capability


# --- working-time helpers -------------------------------------------------------------


def working_minutes_before(calendar: WorkingCalendar, end: datetime, minutes: int) -> datetime:
    """The latest instant from which ``minutes`` working minutes have passed by ``end``."""
    remaining = timedelta(minutes=minutes)
    local_end = end.astimezone(calendar.tz)
    day = local_end.date()
    for _ in range(3660):
        hours = calendar.hours_on(day)
        if hours is not None:
            hi = min(hours[1], local_end)
            if hi > hours[0]:
                available = hi - hours[0]
                if remaining <= available:
                    return (hi - remaining).astimezone(UTC)
                remaining -= available
        day -= timedelta(days=1)
    raise ValueError("no working time found within ten years")


def age_buckets(standards: RegulatoryStandards) -> tuple[int, ...]:
    """Age bucket limits in working days: 1 and the regulatory clocks (3, 5, 14, 60)."""
    return tuple(
        sorted(
            {
                1,
                standards.verification_days,
                standards.follow_up_days,
                standards.completion_days,
                standards.supervisory_completion_days,
            }
        )
    )


def age_labels(limits: tuple[int, ...]) -> list[str]:
    labels = [f"< {limits[0]} hari"]
    labels += [f"{a}–{b} hari" for a, b in pairwise(limits)]
    labels.append(f"≥ {limits[-1]} hari")
    return labels


def age_bounds(
    calendar: WorkingCalendar, standards: RegulatoryStandards, now: datetime
) -> list[datetime]:
    """Instants newest first: received after ``bounds[i]`` = younger than limit i."""
    per_day = calendar.day_minutes
    return [working_minutes_before(calendar, now, k * per_day) for k in age_buckets(standards)]


def due_days(
    calendar: WorkingCalendar, standards: RegulatoryStandards, filters: Filters, now: datetime
) -> list[DueDay]:
    """Regulatory deadlines for every local day a complaint in the period can be received."""
    tz = calendar.tz
    first = filters.start.astimezone(tz).date()
    last = min(filters.end, max(now, filters.start)).astimezone(tz).date()
    days: list[DueDay] = []
    day = first
    while day <= last:
        days.append(due_day(calendar, standards, day))
        day += timedelta(days=1)
    return days


# --- percentiles from histograms ------------------------------------------------------


def quantile(histogram: list[tuple[int, int]], q: float) -> float | None:
    """The q-quantile of values given as (value, count), linear between ranks.

    Same as ``numpy.percentile(values, 100 * q)`` on the expanded values (median of
    an even count: the mean of the two middle values).
    """
    counts: dict[int, int] = {}
    for value, n in histogram:
        if n > 0:
            counts[value] = counts.get(value, 0) + n
    if not counts:
        return None
    values = sorted(counts)
    ends = list(accumulate(counts[v] for v in values))  # rank after each value
    position = (ends[-1] - 1) * q
    lower = int(position)
    fraction = position - lower

    def value_at(rank: int) -> int:
        return values[min(bisect_right(ends, rank), len(values) - 1)]

    low = value_at(lower)
    if fraction == 0:
        return float(low)
    return low + (value_at(lower + 1) - low) * fraction


# --- the dashboard -------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    received: int
    closed: int
    open_now: int
    overdue_now: int
    steps_done: int
    steps_on_time: int
    median_days_closed: float | None
    completion_met: int
    completion_decided: int
    rating_avg: float | None
    ratings: int

    @property
    def on_time_share(self) -> float | None:
        return self.steps_on_time / self.steps_done if self.steps_done else None

    @property
    def completion_share(self) -> float | None:
        return self.completion_met / self.completion_decided if self.completion_decided else None


@dataclass(frozen=True)
class Dashboard:
    """Everything the page draws. DataFrames are shared by the cache: do not modify."""

    filters: Filters
    now: datetime
    headline: Headline
    volume: pd.DataFrame  # bucket, channel, channel_label, category, form, form_label, count
    volume_by_unit: pd.DataFrame  # bucket, unit_id, unit, count
    step_times: pd.DataFrame  # step, label, standard, count, median, p90, mean, on_time, ...
    on_time_by_bucket: pd.DataFrame  # bucket, count, on_time, share
    on_time_by_unit: pd.DataFrame  # unit_id, unit, count, on_time, share
    backlog_by_step: pd.DataFrame  # step, label, count, overdue
    backlog_by_age: pd.DataFrame  # bucket, label, count
    returns_by_unit: pd.DataFrame  # unit_id, unit, drafts, returned, return_share, ...
    end_to_end: pd.DataFrame  # bucket, label, lisan, tertulis, count
    end_to_end_summary: pd.DataFrame  # form, form_label, count, median_days, p90_days
    compliance: pd.DataFrame  # clock, label, days, met, late, running, share
    overdue: pd.DataFrame  # id, ticket, subject, step, step_label, due_at, overdue_minutes
    overdue_total: int
    ratings: pd.DataFrame  # score, count
    age_bounds: tuple[datetime, ...] = field(default=())
    due_days: tuple[DueDay, ...] = field(default=())
    units: dict[int, str] = field(default_factory=dict)


_cache: OrderedDict[tuple, Dashboard] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _clock_now(now: datetime | None) -> datetime:
    """``now`` as given, else the current time taken down to ``CACHE_SECONDS``."""
    if now is not None:
        return now
    seconds = int(datetime.now(UTC).timestamp())
    return datetime.fromtimestamp(seconds - seconds % CACHE_SECONDS, UTC)


def check_filters(filters: Filters) -> None:
    if filters.end <= filters.start:
        raise NotAllowed("Akhir periode harus setelah awal periode.")
    if filters.end - filters.start > timedelta(days=MAX_PERIOD_DAYS):
        raise NotAllowed("Periode paling panjang tiga tahun.")


def dashboard(
    *, user: Any, filters: Filters, now: datetime | None = None, url: str | None = None
) -> Dashboard:
    """All dashboard figures for a manager (cached until a complaint moves)."""
    now = _clock_now(now)
    url = url or config.get_settings().database_url
    with read_session(url) as session:
        authz.require(session, user_id=user.id, capability=VIEW)
        check_filters(filters)
        key = (url, stats.data_version(session=session), filters, now)
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit
        result = _build(session, filters, now)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _unit_names(session) -> dict[int, str]:
    return {uid: name for uid, _code, name in stats.units(session=session)}


def _build(session, filters: Filters, now: datetime) -> Dashboard:
    calendar = load_calendar(session)
    standards = load_standards(session)
    units = _unit_names(session)
    per_day = calendar.day_minutes

    volume = _volume_frame(stats.volume(session=session, filters=filters))
    by_unit = pd.DataFrame(
        stats.volume_by_unit(session=session, filters=filters),
        columns=["bucket", "unit_id", "count"],
    )
    by_unit["unit"] = [units.get(u, UNASSIGNED) if u else UNASSIGNED for u in by_unit.unit_id]

    step_times = step_times_frame(stats.step_histogram(session=session, filters=filters))
    on_time_bucket, on_time_unit = _on_time_frames(
        stats.on_time_by_bucket_and_unit(session=session, filters=filters),
        stats.unit_of_staff(session=session),
        filters,
    )
    on_time_unit.insert(1, "unit", [units.get(u, UNASSIGNED) for u in on_time_unit.unit_id])

    bounds = age_bounds(calendar, standards, now)
    limits = age_buckets(standards)
    labels = age_labels(limits)
    backlog, backlog_age = _backlog_frames(
        stats.backlog(session=session, filters=filters, now=now, bounds=bounds), labels
    )

    returns = _returns_frame(
        stats.draft_returns(session=session, filters=filters),
        stats.draft_rounds(session=session, filters=filters),
        units,
    )

    e2e_rows = stats.end_to_end(session=session, filters=filters)
    end_to_end, e2e_summary = _end_to_end_frames(e2e_rows, limits, per_day)

    days = due_days(calendar, standards, filters, now)
    compliance = _compliance_frame(
        stats.regulatory_compliance(session=session, filters=filters, days=days, now=now),
        standards,
    )

    overdue_rows, overdue_total = stats.overdue(
        session=session,
        filters=filters,
        now=now,
        limit=OVERDUE_SHOWN,
        total=int(backlog["overdue"].sum()),
    )
    overdue = list_frame(overdue_rows, calendar, now)

    rating_rows = stats.ratings(session=session, filters=filters)
    ratings = pd.DataFrame(
        {"score": range(1, 6), "count": [dict(rating_rows).get(s, 0) for s in range(1, 6)]}
    )
    rated = int(ratings["count"].sum())
    rating_avg = float((ratings.score * ratings["count"]).sum() / rated) if rated else None

    closed_total = sum(n for _f, _m, n in e2e_rows)
    all_minutes = [(m, n) for _f, m, n in e2e_rows]
    median_minutes = quantile(all_minutes, 0.5)
    completion = compliance.set_index("clock").loc["penyelesaian"]
    headline = Headline(
        received=int(volume["count"].sum()),
        closed=closed_total,
        open_now=int(backlog["count"].sum()),
        overdue_now=int(backlog["overdue"].sum()),
        steps_done=int(step_times["count"].sum()),
        steps_on_time=int(step_times["on_time"].sum()),
        median_days_closed=None if median_minutes is None else median_minutes / per_day,
        completion_met=int(completion.met),
        completion_decided=int(completion.met + completion.late),
        rating_avg=rating_avg,
        ratings=rated,
    )
    return Dashboard(
        filters=filters,
        now=now,
        headline=headline,
        volume=volume,
        volume_by_unit=by_unit,
        step_times=step_times,
        on_time_by_bucket=on_time_bucket,
        on_time_by_unit=on_time_unit,
        backlog_by_step=backlog,
        backlog_by_age=backlog_age,
        returns_by_unit=returns,
        end_to_end=end_to_end,
        end_to_end_summary=e2e_summary,
        compliance=compliance,
        overdue=overdue,
        overdue_total=overdue_total,
        ratings=ratings,
        age_bounds=tuple(bounds),
        due_days=tuple(days),
        units=units,
    )


def _backlog_frames(rows, labels: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The open complaints per current step (step, label, count, overdue, name) and per
    age bucket (bucket, label, count), from ``stats.backlog``'s rows."""
    per_step: dict[int, list[int]] = {}
    per_age = [0] * len(labels)
    for step_number, age, count, overdue in rows:
        sums = per_step.setdefault(step_number, [0, 0])
        sums[0] += count
        sums[1] += overdue
        per_age[age] += count
    steps = sorted(per_step)
    by_step = pd.DataFrame(
        {
            "step": pd.Series(steps, dtype="int64"),
            "label": [f"Langkah {s}" for s in steps],
            "count": pd.Series([per_step[s][0] for s in steps], dtype="int64"),
            "overdue": pd.Series([per_step[s][1] for s in steps], dtype="int64"),
            "name": [sop.step(s).name for s in steps],
        }
    )
    by_age = pd.DataFrame({"bucket": range(len(labels)), "label": labels, "count": per_age})
    return by_step, by_age


def _on_time_frames(rows, staff_units: dict[int, int | None], filters: Filters):
    """On-time counts per month/week of the event, and per unit for unit work."""
    per_bucket: dict[str, list[int]] = {}
    per_unit: dict[int | None, list[int]] = {}
    for b, unit_actor, n, on in rows:
        entry = per_bucket.setdefault(b, [0, 0])
        entry[0] += n
        entry[1] += on
        if unit_actor is not None:
            unit_id = staff_units.get(unit_actor)
            if filters.unit_id and unit_id != filters.unit_id:
                continue
            entry = per_unit.setdefault(unit_id, [0, 0])
            entry[0] += n
            entry[1] += on
    by_bucket = _share_frame(
        pd.DataFrame(
            [(b, n, on) for b, (n, on) in sorted(per_bucket.items())],
            columns=["bucket", "count", "on_time"],
        )
    )
    by_unit = _share_frame(
        pd.DataFrame(
            [(u, n, on) for u, (n, on) in per_unit.items()],
            columns=["unit_id", "count", "on_time"],
        )
    )
    return by_bucket, by_unit


def _volume_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["bucket", "channel", "category", "form", "count"])
    labels = {c.value: label for c, label in sop.CHANNEL_LABELS.items()}
    frame.insert(2, "channel_label", [labels.get(c, c) for c in frame.channel])
    frame["form_label"] = [FORM_LABELS.get(f, f) for f in frame.form]
    return frame


def _share_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame["share"] = [
        on / n if n else None for on, n in zip(frame.on_time, frame["count"], strict=True)
    ]
    return frame


def step_times_frame(rows) -> pd.DataFrame:
    """Per SOP step: events, median/p90/mean working minutes, standard, on time, late.

    The standard is the SOP table's (``layanan.sop``); on time compares each event with
    the standard stored on it when it was done.
    """
    per_step: dict[int, list[tuple[int, int]]] = {}
    on_time: dict[int, int] = {}
    for step_number, standard, minutes, n in rows:
        per_step.setdefault(step_number, []).append((minutes, n))
        if minutes <= standard:
            on_time[step_number] = on_time.get(step_number, 0) + n
    records = []
    for s in sop.table().steps:
        hist = per_step.get(s.number, [])
        count = sum(n for _, n in hist)
        done_on_time = on_time.get(s.number, 0)
        records.append(
            {
                "step": s.number,
                "label": f"Langkah {s.number}",
                "name": s.name,
                "standard": s.minutes,
                "count": count,
                "median": quantile(hist, 0.5),
                "p90": quantile(hist, 0.9),
                "mean": sum(m * n for m, n in hist) / count if count else None,
                "on_time": done_on_time,
                "late": count - done_on_time,
                "share": done_on_time / count if count else None,
                "late_share": (count - done_on_time) / count if count else None,
            }
        )
    return pd.DataFrame.from_records(records)


def _returns_frame(returns, rounds, units: dict[int, str]) -> pd.DataFrame:
    by_unit: dict[int, dict[str, float]] = {}
    for unit_id, action, n in returns:
        entry = by_unit.setdefault(unit_id, {"drafts": 0, "returned": 0, "approved": 0, "r": 0})
        entry["drafts" if action == "submit_draft" else "returned"] += n
    for unit_id, approved, rounds_sum in rounds:
        entry = by_unit.setdefault(unit_id, {"drafts": 0, "returned": 0, "approved": 0, "r": 0})
        entry["approved"] += approved
        entry["r"] += rounds_sum
    records = [
        {
            "unit_id": unit_id,
            "unit": units.get(unit_id, UNASSIGNED),
            "drafts": int(e["drafts"]),
            "returned": int(e["returned"]),
            "return_share": e["returned"] / e["drafts"] if e["drafts"] else None,
            "approved": int(e["approved"]),
            "avg_rounds": e["r"] / e["approved"] if e["approved"] else None,
        }
        for unit_id, e in sorted(by_unit.items(), key=lambda kv: units.get(kv[0], ""))
    ]
    columns = ["unit_id", "unit", "drafts", "returned", "return_share", "approved", "avg_rounds"]
    return pd.DataFrame.from_records(records, columns=columns)


def _end_to_end_frames(rows, limits: tuple[int, ...], per_day: int):
    labels = age_labels(limits)
    counts = {form: [0] * len(labels) for form in ("lisan", "tertulis", "")}
    hist: dict[str, list[tuple[int, int]]] = {"lisan": [], "tertulis": [], "": []}
    for form, minutes, n in rows:
        days = minutes / per_day
        index = sum(1 for limit in limits if days >= limit)
        counts.setdefault(form, [0] * len(labels))[index] += n
        hist.setdefault(form, []).append((minutes, n))
    frame = pd.DataFrame(
        {
            "bucket": range(len(labels)),
            "label": labels,
            "lisan": counts["lisan"],
            "tertulis": counts["tertulis"],
        }
    )
    frame["count"] = [sum(c[i] for c in counts.values()) for i in range(len(labels))]
    summary = []
    everything = [pair for values in hist.values() for pair in values]
    for form, values in (
        ("lisan", hist["lisan"]),
        ("tertulis", hist["tertulis"]),
        ("*", everything),
    ):
        median, p90 = quantile(values, 0.5), quantile(values, 0.9)
        summary.append(
            {
                "form": form,
                "form_label": "Semua" if form == "*" else FORM_LABELS[form],
                "count": sum(n for _, n in values),
                "median_days": None if median is None else median / per_day,
                "p90_days": None if p90 is None else p90 / per_day,
            }
        )
    return frame, pd.DataFrame.from_records(summary)


def _compliance_frame(result, standards: RegulatoryStandards) -> pd.DataFrame:
    days = {
        "verifikasi": f"{standards.verification_days}",
        "tindak_lanjut": f"{standards.follow_up_days}",
        "penyelesaian": f"{standards.completion_days} / {standards.supervisory_completion_days}",
    }
    records = []
    for key in stats.CLOCK_KEYS:
        met, late, running = result[key]
        records.append(
            {
                "clock": key,
                "label": f"{CLOCK_LABELS[key]} ({days[key]} hari kerja)",
                "days": days[key],
                "met": met,
                "late": late,
                "running": running,
                "share": met / (met + late) if met + late else None,
            }
        )
    return pd.DataFrame.from_records(records)


def _subject(row) -> str:
    """A drill-down row's subject: the lists are shared by every manager (cached per
    filters, not per viewer), so they show what the least trusted of them may see
    (``services.identity``): "(rahasia)", or an anonim complaint's subject redacted."""
    secret, anonymous, name, phone, email, address = row[9:15]
    if secret:
        return "(rahasia)"
    if not anonymous:
        return row[5]
    shown = identity.disclosure(
        (),
        SimpleNamespace(
            confidential=False,
            anonymous=True,
            complainant_name=name,
            complainant_phone=phone,
            complainant_email=email,
            complainant_address=address,
        ),
    )
    return shown.redact(row[5]) or ""


def list_frame(rows, calendar: WorkingCalendar, now: datetime) -> pd.DataFrame:
    """Complaint rows (``db.stats.LIST_COLUMNS``) as a table for the page."""
    channel_labels = {c.value: label for c, label in sop.CHANNEL_LABELS.items()}
    records = []
    for row in rows:
        cid, ticket, received, channel, category, _subject_text, step, due, closed = row[:9]
        overdue_minutes = (
            calendar.working_minutes(due, now) if step is not None and due and due < now else 0
        )
        records.append(
            {
                "id": cid,
                "ticket": ticket,
                "received_at": received,
                "channel": channel_labels.get(channel, channel),
                "category": category,
                "subject": _subject(row),
                "step": step,
                "step_label": sop.step_label(step),
                "due_at": due if step is not None else None,
                "closed_at": closed,
                "overdue_minutes": overdue_minutes,
            }
        )
    columns = [
        "id",
        "ticket",
        "received_at",
        "channel",
        "category",
        "subject",
        "step",
        "step_label",
        "due_at",
        "closed_at",
        "overdue_minutes",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


@dataclass(frozen=True)
class ComplaintPage:
    rows: pd.DataFrame
    total: int
    page: int
    pages: int


def complaints_behind(
    *,
    user: Any,
    board: Dashboard,
    drill: Drill,
    page: int = 1,
    page_size: int = 25,
    url: str | None = None,
) -> ComplaintPage:
    """One page of the complaints behind a figure of ``board`` (same filters and time)."""
    with read_session(url) as session:
        authz.require(session, user_id=user.id, capability=VIEW)
        if drill.kind not in stats.DRILL_KINDS:
            raise NotAllowed("Rincian tidak dikenal.")
        page = max(1, page)
        calendar = load_calendar(session)
        rows, total = stats.complaint_list(
            session=session,
            drill=drill,
            filters=board.filters,
            now=board.now,
            offset=(page - 1) * page_size,
            limit=page_size,
            age_bounds=board.age_bounds,
            due_days=board.due_days,
        )
    pages = max(1, -(-total // page_size))
    return ComplaintPage(list_frame(rows, calendar, board.now), total, page, pages)


def month_filters(
    year: int, month: int, *, unit_id=None, channel=None, category=None, tz=None
) -> Filters:
    """Filters for one office-local calendar month."""
    first = date(year, month, 1)
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    start, end = day_bounds(first, last, tz=tz or OFFICE_TZ)
    return Filters(
        start=start,
        end=end,
        unit_id=unit_id,
        channel=channel,
        category=category,
        grain="month",
    )


def units_for_filter(*, user: Any, url: str | None = None) -> list[tuple[int, str]]:
    """Units a manager can filter on, as (id, name)."""
    with read_session(url) as session:
        authz.require(session, user_id=user.id, capability=VIEW)
        return [(uid, name) for uid, _code, name in stats.units(session=session)]


__all__ = [
    "ComplaintPage",
    "Dashboard",
    "Drill",
    "Filters",
    "Headline",
    "age_bounds",
    "clear_cache",
    "complaints_behind",
    "dashboard",
    "month_filters",
    "quantile",
    "step_times_frame",
    "units_for_filter",
    "working_minutes_before",
]

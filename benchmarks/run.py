"""The benchmark suite of issue 14 in one command: seed, time, write BENCHMARKS.md.

    python -m benchmarks.run --sizes 1000,100000 --sqlite --postgres SERVER_URL \\
        --keep /var/tmp/layanan-bench --out BENCHMARKS.md
    python -m benchmarks.run --sizes 1000,100000,1000000 --postgres SERVER_URL --keep DIR

SERVER_URL is a PostgreSQL server URL (``postgresql+psycopg://user@host:port/postgres``):
one database per size is created on it (``layanan_bench_<size>``). ``--sqlite`` adds one
SQLite file per size (the default when ``--postgres`` is not given). 1,000,000 is refused
on SQLite (the issue's targets name it on PostgreSQL only). Not run in CI.

1. **Seed.** Each size is filled by ``benchmarks.bulk_seed`` (the SOP paths, events and
   deadlines of real use, over the 365 days before the seeding instant). With ``--keep
   DIR`` the databases (SQLite files in DIR, PostgreSQL databases on the server) and a
   record of their seeding (``DIR/seeded-<db>-<size>.json``: counts, seconds, instant,
   load) are kept, and a later run with the same DIR reuses them instead of reseeding
   (a kept database is migrated to the current head on first use). The suite adds a few
   complaints itself on every run (the timed advance needs fresh ones): a kept 1,000
   database grows by ``runs + warmup`` complaints per run.
2. **Time, interleaved.** Every measurement is taken once per database and size in
   turn, round after round (``--warmup`` untimed rounds, then ``--runs`` timed ones), so
   load from other processes falls on all sizes alike; the figure is the median. Page
   figures are server-side AppTest runs in a fresh session (as a page load): the queue
   of each role, search (no text, a matching word, a word that matches nothing, a
   ticket; the page and the service call alone), the complaint page; one step advance
   through ``services.workflow.perform``; the signing hook (number + frozen letter, in a
   transaction rolled back); the dashboard default and 12 months, cold and warm; the
   register of the last whole month as Excel (and Word when under its row limit) and
   the monthly recap (figures, Excel, Word).
3. **Sessions.** One ``streamlit run app.py`` per database and size (or ``--base-url``),
   a protocol-level client (``benchmarks.sessions``: WebSocket + the sidebar click's
   message, no browser) opening the queue and a complaint page in turn from 1, 5, 10 and
   20 concurrent sessions for ``--session-seconds`` each: p50/p95 from click to settled
   page, page loads per second, server CPU per page load from ``/proc/<pid>/stat``; and
   the peak memory one session adds to the server while it opens every page once.
4. **Write** ``--out`` (default BENCHMARKS.md): machine (cores, RAM, load average
   sampled with every figure), date, command, every figure at every size and database,
   its ratio to the smallest size's figure, and each target of issue 14, met or not.

The exit status is 0 when every figure was measured, whatever the targets say (the
file says which are met); 1 when a measurement failed (the file says which).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session as OrmSession

from benchmarks import sessions as load_client
from benchmarks.bulk_seed import bulk_seed
from benchmarks.common import use_database
from db import engine as db_engine
from db.engine import read_session
from db.models import Complaint, User
from layanan import sop
from layanan.sop import Role
from services import process

ROOT = Path(__file__).resolve().parents[1]
MAX_SQLITE_SIZE = 100_000
TARGET_RATIO = 1.5
TARGET_DASHBOARD_SECONDS = 1.5
TARGET_CPU_PER_LOAD = 0.100
TARGET_REGISTER_SECONDS = 30.0
# The demo account of each role (services.seed), the user a role's figures are taken as.
ROLE_USERS: dict[Role, str] = {
    Role.PETUGAS: "petugas",
    Role.SUBBAG_UMUM: "subbag",
    Role.KEPALA_DINAS: "kepala",
    Role.SEKRETARIS: "sekretaris",
    Role.UNIT: "unit_kop",
    Role.ARSIPARIS: "arsiparis",
}
SEARCH_TEXTS = {
    "match": "Tadulako Mandiri",  # an organisation of the demo data: a few % of rows
    "no match": "tidak ada kata seperti ini",
}
# The pages the concurrent sessions open in turn (the CPU target names them).
SESSION_USERS = ("petugas", "kepala", "sekretaris", "subbag")
QUEUE_URL, COMPLAINT_URL = "", "pengaduan"  # the queue is the default page ("/")
MEMORY_WALK_URLS = ("", "pengaduan", "cari", "dasbor")


# --- databases ----------------------------------------------------------------------


@dataclass
class Target:
    """One database of one size, and what its measurements need."""

    kind: str  # "sqlite" | "postgresql"
    size: int
    url: str
    seeded: dict = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    ticket: str = ""  # the complaint page's complaint (waiting for the Head's approval)
    sign_id: int = 0  # a complaint with a reply, for the signing hook
    month: tuple[date, date] = (date.min, date.min)
    register_rows: int = 0
    queue_sizes: dict[str, int] = field(default_factory=dict)  # complaints in each queue
    complaints_now: int = 0  # the seeded ones plus those earlier runs' advances added

    @property
    def label(self) -> str:
        return f"{'SQLite' if self.kind == 'sqlite' else 'PostgreSQL'} {self.size:,}"


def _postgres_database(server: str, size: int, *, fresh: bool) -> str:
    name = f"layanan_bench_{size}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if fresh or not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return f"{server.rpartition('/')[0]}/{name}"


def _drop_postgres(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _complaints(url: str) -> int:
    use_database(url)
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def prepare(
    kind: str, size: int, *, directory: Path, keep: bool, server: str | None, log
) -> Target:
    """A seeded database of ``size``: reused from ``directory`` when kept and complete."""
    record_path = directory / f"seeded-{kind}-{size}.json"
    record = json.loads(record_path.read_text()) if keep and record_path.exists() else None
    if kind == "sqlite":
        url = f"sqlite:///{directory}/bench-{size}.db"
        if record is None and Path(url.removeprefix("sqlite:///")).exists():
            Path(url.removeprefix("sqlite:///")).unlink()  # a half-seeded leftover
    else:
        url = _postgres_database(server, size, fresh=record is None)
    if record is not None and record.get("url") == url:
        started = time.perf_counter()
        have = _complaints(url)  # migrates a kept database to head (timed, printed)
        if have >= record["complaints"]:
            log(
                f"  {kind} {size:,}: reusing {have:,} complaints seeded "
                f"{record['finished'][:16]} (migrated/opened in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            return Target(kind, size, url, seeded={**record, "reused": True})
        log(f"  {kind} {size:,}: kept database has {have:,} complaints, reseeding")
        if kind == "postgresql":
            db_engine.dispose_all()
            url = _postgres_database(server, size, fresh=True)
    use_database(url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 100_000 == 0 or done == total:
            log(f"    {done:,} / {total:,} ({time.perf_counter() - started:.0f} s)")

    totals = bulk_seed(url=url, count=size, now=now, progress=progress)
    record = {
        "url": url,
        **totals,
        "size": size,
        "seconds": round(time.perf_counter() - started, 1),
        "now": now.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "commit": _git("rev-parse", "--short", "HEAD"),
    }
    log(
        f"  {kind} {size:,}: seeded {totals['complaints']:,} complaints, "
        f"{totals['events']:,} events in {record['seconds']:,.1f} s"
    )
    if keep:
        record_path.write_text(json.dumps(record, indent=1))
    return Target(kind, size, url, seeded={**record, "reused": False})


def _previous_month(instant: datetime) -> tuple[date, date]:
    first = instant.date().replace(day=1)
    last = first - timedelta(days=1)
    return last.replace(day=1), last


def describe(target: Target) -> None:
    """Fill in the users, complaints and period the measurements use."""
    from db import queries
    from services import authz, register_book

    use_database(target.url)
    approve_step = sop.action("approve").at
    with read_session() as session:
        target.users = dict(session.execute(select(User.username, User.id)).tuples().all())
        target.ticket = session.scalar(
            select(Complaint.ticket)
            .where(Complaint.current_step == approve_step)
            .order_by(Complaint.received_at.desc())
            .limit(1)
        ) or session.scalar(select(Complaint.ticket).order_by(Complaint.id.desc()).limit(1))
        target.sign_id = session.scalar(
            select(Complaint.id)
            .where(Complaint.reply_body.is_not(None))
            .order_by(Complaint.id.desc())
            .limit(1)
        )
        for username in ROLE_USERS.values():
            actor = authz.load_actor(session, target.users[username])
            target.queue_sizes[username] = queries.queue_count(
                session, roles=actor.roles, unit_id=actor.unit_id, now=datetime.now(UTC)
            )
    target.complaints_now = _complaints(target.url)
    seeded_at = datetime.fromisoformat(target.seeded.get("now") or datetime.now(UTC).isoformat())
    target.month = _previous_month(seeded_at)
    target.register_rows = register_book.register_period(
        user_id=target.users["subbag"], start=target.month[0], end=target.month[1]
    ).count


# --- measurements ---------------------------------------------------------------------


class NotApplicable(Exception):
    """The measurement does not apply to this target (the reason goes in the table)."""


def _apptest(page: str, user_id: int, *, query=None, state=None, before_run=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=600)
    at.session_state["user_id"] = user_id
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def _timed_run(at, label: str) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{label}: {at.exception[0].message}")
    if at.error:
        raise RuntimeError(f"{label}: {at.error[0].value}")
    return elapsed


def queue_page(username: str) -> Callable[[Target], float]:
    def measure(t: Target) -> float:
        return _timed_run(_apptest("queue", t.users[username]), f"queue {username}")

    return measure


def search_page(which: str) -> Callable[[Target], float]:
    def measure(t: Target) -> float:
        query = t.ticket if which == "ticket" else SEARCH_TEXTS.get(which, "")
        at = _apptest("search", t.users["sekretaris"], state={"s_text": query} if query else {})
        return _timed_run(at, f"search {which}")

    return measure


def search_call(which: str) -> Callable[[Target], float]:
    def measure(t: Target) -> float:
        from services import complaint_lists

        query = t.ticket if which == "ticket" else SEARCH_TEXTS[which]
        started = time.perf_counter()
        complaint_lists.search(
            user_id=t.users["sekretaris"], filters=complaint_lists.ComplaintFilter(text=query)
        )
        return time.perf_counter() - started

    return measure


def complaint_page(t: Target) -> float:
    at = _apptest("complaint", t.users["kepala"], query={"tiket": t.ticket})
    return _timed_run(at, "complaint page")


def advance(t: Target) -> float:
    """One hand-over through the one door, on a complaint taken in just before (untimed)."""
    from services import workflow

    act = sop.action("hand_over")
    created = workflow.intake(
        data=workflow.IntakeData(
            channel=sop.Channel.DATANG_LANGSUNG,
            subject="Pengaduan uji kinerja",
            body="Dibuat oleh benchmarks.run untuk mengukur satu langkah.",
            category=sop.CATEGORIES[0],
            complainant_name="Uji Kinerja",
        ),
        user_id=t.users["petugas"],
    )
    actor = ROLE_USERS[sop.action_role(act)]
    started = time.perf_counter()
    workflow.perform(
        complaint_id=created.complaint_id,
        action=act.key,
        expected_version=created.version,
        user_id=t.users[actor],
        payload={"guest_book_entry": "BT-UJI-KINERJA"},
    )
    return time.perf_counter() - started


def notification_check(t: Target) -> float:
    """What the worker computes every minute before it writes anything: every open
    complaint's due reminders, escalations and SP4N-LAPOR! clocks (read only)."""
    from services import notifications

    started = time.perf_counter()
    with read_session() as session:
        notifications.due_notifications(session, now=datetime.now(UTC))
    return time.perf_counter() - started


def sign_hook(t: Target) -> float:
    """The signing action's hook (letter number + frozen letter), rolled back."""
    from services import workflow
    from services.authz import load_actor
    from services.calendar_settings import load_calendar

    act = sop.action("sign")
    hook = workflow.hooks_for(sop.table())[act.hook]
    with OrmSession(db_engine.get_engine(t.url, for_writing=True)) as session:
        try:
            complaint = workflow.lock_complaint(session, t.sign_id)
            ctx = workflow.HookContext(
                session=session,
                complaint=complaint,
                action=act,
                actor=load_actor(session, t.users[ROLE_USERS[sop.action_role(act)]]),
                data={},
                documents=[],
                now=datetime.now(UTC),
                calendar=load_calendar(session),
                hook_input={},
            )
            started = time.perf_counter()
            hook(ctx)
            session.flush()
            return time.perf_counter() - started
        finally:
            session.rollback()


def dashboard_page(period: str | None, cold: bool) -> Callable[[Target], float]:
    """The Head's dashboard in a fresh session. Cold: the figure cache emptied first (as
    right after a complaint moved); warm: the same view served from the cache. With a
    period, the timed run is the rerun after choosing it in the period box."""

    def view(t: Target):
        at = _apptest("dashboard", t.users["kepala"])
        if period is not None:
            _timed_run(at, "dashboard")  # untimed: the default view, to reach the widget
            at.selectbox(key="dash_period").select(period)
        return at

    def measure(t: Target) -> float:
        from services import dashboard

        if cold:
            at = view(t)
            dashboard.clear_cache()
        else:
            _timed_run(view(t), "dashboard")  # untimed: fills the cache for the view
            at = view(t)
        return _timed_run(at, "dashboard")

    return measure


def register_excel(t: Target) -> float:
    from services import register_book

    started = time.perf_counter()
    register_book.register_excel(user_id=t.users["subbag"], start=t.month[0], end=t.month[1])
    return time.perf_counter() - started


def register_word(t: Target) -> float:
    from services import register_book

    refusal = register_book.word_refusal(t.register_rows)
    if refusal is not None:
        raise NotApplicable(f"refused: {t.register_rows:,} rows > {register_book.WORD_ROW_LIMIT:,}")
    started = time.perf_counter()
    register_book.register_word(user_id=t.users["subbag"], start=t.month[0], end=t.month[1])
    return time.perf_counter() - started


def _recap(t: Target):
    from services import dashboard, recap
    from services.auth import load_current_user

    dashboard.clear_cache()
    user = load_current_user(user_id=t.users["kepala"])
    return recap.monthly_recap(user=user, year=t.month[0].year, month=t.month[0].month)


def recap_figures(t: Target) -> float:
    started = time.perf_counter()
    _recap(t)
    return time.perf_counter() - started


def recap_file(kind: str) -> Callable[[Target], float]:
    def measure(t: Target) -> float:
        from services import recap

        figures = _recap(t)
        started = time.perf_counter()
        (recap.recap_excel if kind == "xlsx" else recap.recap_word)(figures)
        return time.perf_counter() - started

    return measure


@dataclass(frozen=True)
class Measurement:
    key: str
    label: str
    group: str
    measure: Callable[[Target], float]
    unit: str = "ms"  # how the table shows it: ms or s


MEASUREMENTS: list[Measurement] = [
    *(
        Measurement(f"queue:{u}", f"Queue page ({u})", "queue", queue_page(u))
        for u in ROLE_USERS.values()
    ),
    Measurement("search:none", "Search page, no text", "search", search_page("none")),
    Measurement("search:match", "Search page, a matching word", "search", search_page("match")),
    Measurement("search:nomatch", "Search page, no match", "search", search_page("no match")),
    Measurement("search:ticket", "Search page, a ticket", "search", search_page("ticket")),
    Measurement("call:match", "Search call alone, a matching word", "call", search_call("match")),
    Measurement("call:nomatch", "Search call alone, no match", "call", search_call("no match")),
    Measurement("call:ticket", "Search call alone, a ticket", "call", search_call("ticket")),
    Measurement("complaint", "Complaint page (Head, approval step)", "complaint", complaint_page),
    Measurement("advance", "One advance (workflow.perform, hand-over)", "advance", advance),
    Measurement("sign", "Signing hook (number + letter)", "sign", sign_hook),
    Measurement(
        "worker:due",
        "Notification check of one minute (worker)",
        "worker",
        notification_check,
        "s",
    ),
    Measurement("dash:cold", "Dashboard, default, cold", "dashboard", dashboard_page(None, True)),
    Measurement("dash:warm", "Dashboard, default, warm", "dashboard", dashboard_page(None, False)),
    Measurement(
        "dash:cold12",
        "Dashboard, 12 months, cold",
        "dashboard",
        dashboard_page("12 bulan terakhir", True),
    ),
    Measurement(
        "dash:warm12",
        "Dashboard, 12 months, warm",
        "dashboard",
        dashboard_page("12 bulan terakhir", False),
    ),
    Measurement("reg:xlsx", "Register of a month, Excel", "export", register_excel, "s"),
    Measurement("reg:docx", "Register of a month, Word", "export", register_word, "s"),
    Measurement("recap", "Monthly recap, figures (cold)", "export", recap_figures, "s"),
    Measurement("recap:xlsx", "Monthly recap, Excel file", "export", recap_file("xlsx"), "s"),
    Measurement("recap:docx", "Monthly recap, Word file", "export", recap_file("docx"), "s"),
]


@dataclass
class Cell:
    """The samples of one measurement on one target."""

    values: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-min load average at each sample
    note: str = ""  # why there is no figure (not applicable, or the error)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def measure_all(
    targets: list[Target], runs: int, warmup: int, only: set[str] | None, log
) -> dict[str, dict[str, Cell]]:
    """{measurement key: {target label: Cell}}, round-robin over targets per measurement."""
    results: dict[str, dict[str, Cell]] = {
        m.key: {t.label: Cell() for t in targets} for m in MEASUREMENTS
    }
    chosen = [m for m in MEASUREMENTS if only is None or m.group in only or m.key in only]
    for round_number in range(warmup + runs):
        timed = round_number >= warmup
        log(f"  round {round_number + 1}/{warmup + runs}{'' if timed else ' (warm-up)'}")
        if round_number == warmup:
            # As the server does after its first page run (app.py): the collector
            # stops walking the heap built so far, so a timed run pays for what it
            # allocates itself, not for the harness's long-lived objects.
            process.freeze_startup_heap()
        for m in chosen:
            for t in targets:
                cell = results[m.key][t.label]
                if cell.note:
                    continue  # not applicable, or failed once: not retried
                use_database(t.url)
                load = os.getloadavg()[0]
                try:
                    value = m.measure(t)
                except NotApplicable as reason:
                    cell.note = str(reason)
                    continue
                except Exception as exc:
                    cell.note = f"failed: {type(exc).__name__}: {str(exc)[:120]}"
                    log(f"    {m.key} on {t.label} FAILED: {cell.note}")
                    traceback.print_exc()
                    continue
                if timed:
                    cell.values.append(value)
                    cell.loads.append(load)
    return results


# --- sessions -------------------------------------------------------------------------


@dataclass
class SessionFigures:
    loads: dict[int, load_client.LoadResult] = field(default_factory=dict)
    memory_mb: float | None = None
    rss_mb: float | None = None
    note: str = ""


def _cookie(t: Target, username: str) -> str:
    from services import auth

    use_database(t.url)
    return f"{auth.SESSION_COOKIE}={auth.create_session(user_id=t.users[username]).token}"


def start_servers(targets: list[Target], directory: Path) -> dict[str, load_client.Server]:
    """One ``streamlit run`` per target, started early so that their start-up overlaps
    the timing rounds' first (warm-up) round rather than adding to the run."""
    return {
        t.label: load_client.Server(t.url, log_path=directory / f"server-{t.kind}-{t.size}.log")
        for t in targets
    }


def run_sessions(
    targets: list[Target],
    counts: list[int],
    seconds: float,
    base_urls: list[str],
    server_pids: list[int],
    servers: dict[str, load_client.Server],
    warm: bool,
    log,
) -> dict[str, SessionFigures]:
    """Concurrent sessions on every target; counts interleaved over targets."""
    figures = {t.label: SessionFigures() for t in targets}
    try:
        if base_urls:
            urls = {targets[0].label: base_urls}
            pids = {targets[0].label: server_pids}
        else:
            for label, server in servers.items():
                server.wait_ready()
                log(f"  server for {label}: {server.base_url} (pid {server.pid})")
            urls = {label: [s.base_url] for label, s in servers.items()}
            pids = {label: [s.pid] for label, s in servers.items()}
        cookies = {t.label: [_cookie(t, u) for u in SESSION_USERS] for t in targets}
        walks = {
            t.label: [
                load_client.Click(u, f"tiket={t.ticket}" if u == COMPLAINT_URL else "")
                for u in MEMORY_WALK_URLS
            ]
            for t in targets
        }
        for t in targets:
            cookie = _cookie(t, "kepala")
            if warm:  # every page once per server: imports and caches of the code
                for url in urls[t.label]:
                    load_client.walk(url, cookie, walks[t.label])
            if len(pids[t.label]) == 1:
                try:
                    grown, rss = load_client.session_peak_memory(
                        urls[t.label][0], cookie, walks[t.label], pid=pids[t.label][0]
                    )
                    figures[t.label].memory_mb, figures[t.label].rss_mb = grown, rss
                except PermissionError as exc:
                    figures[t.label].note = str(exc)
        for count in counts:
            for t in targets:
                clicks = [
                    [
                        load_client.Click(QUEUE_URL),
                        load_client.Click(COMPLAINT_URL, f"tiket={t.ticket}"),
                    ]
                ]
                result = load_client.drive(
                    urls[t.label], cookies[t.label], clicks, count, seconds, pids[t.label]
                )
                figures[t.label].loads[count] = result
                log(
                    f"    {t.label}, {count} sessions: {len(result.loads)} loads, "
                    f"p50 {_fmt(result.p50, 's')} p95 {_fmt(result.p95, 's')}, "
                    f"{result.per_second:.2f}/s, cpu/load {_fmt(result.cpu_per_load, 'ms')}, "
                    f"errors {result.errors}, load {result.load_average:.1f}"
                )
    finally:
        for server in servers.values():
            server.stop()
    return figures


# --- the report -----------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:,.0f} ms"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.1f} {unit}"


def _machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        ram = "?"
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "ram": ram,
        "system": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
    }


def _postgres_settings(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
            names = ("fsync", "synchronous_commit", "shared_buffers", "work_mem")
            values = {n: conn.scalar(text(f"SHOW {n}")) for n in names}
        return f"PostgreSQL {version} (" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"
    except Exception as exc:
        return f"PostgreSQL (settings unreadable: {exc})"
    finally:
        engine.dispose()


def _errors(r: load_client.LoadResult) -> str:
    if not r.errors:
        return "0"
    kinds = "; ".join(f"{n}× {kind}" for kind, n in sorted(r.error_kinds.items()))
    return f"{r.errors} ({kinds}; see the server log)"


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "—"
    return f"{value / base:.2f}x"


def _load_text(loads: list[float]) -> str:
    return f"{statistics.median(loads):.1f}" if loads else "—"


def _sizes_by_kind(targets: list[Target]) -> dict[str, list[Target]]:
    kinds: dict[str, list[Target]] = {}
    for t in targets:
        kinds.setdefault(t.kind, []).append(t)
    return kinds


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def targets_section(
    targets: list[Target],
    results: dict[str, dict[str, Cell]],
    sessions: dict[str, SessionFigures],
) -> list[str]:
    """Each target of issue 14 against the figures of this run.

    A target names a size (1,000,000 on PostgreSQL, 100,000 on SQLite); when this run did
    not reach it, the verdict is "not measured" and the largest size it did reach is
    quoted beside it, as an indication only.
    """
    lines = ["## Targets of issue 14", ""]
    lines.append("| target | where | figure | verdict |")
    lines.append("|---|---|---|---|")
    by_kind = _sizes_by_kind(targets)
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}

    def reached(kind: str, size: int) -> tuple[Target | None, Target | None, bool]:
        """(smallest, the target's size or the largest below it, exact?)"""
        group = by_kind.get(kind, [])
        if len(group) < 2:
            return None, None, False
        exact = next((t for t in group if t.size == size), None)
        below = [t for t in group if t.size < size and t is not group[0]]
        return group[0], exact or (below[-1] if below else None), exact is not None

    def verdict(ok: bool | None, exact: bool) -> str:
        if ok is None:
            return "—"
        return _verdict(ok) if exact else f"not measured (at this size: {_verdict(ok)[2:-2]})"

    ratio_keys = [
        *(f"queue:{u}" for u in ROLE_USERS.values()),
        "search:none",
        "search:match",
        "search:nomatch",
        "search:ticket",
        "complaint",
        "advance",
    ]
    labels = {m.key: m.label for m in MEASUREMENTS}
    for kind, size in (("postgresql", 1_000_000), ("sqlite", 100_000)):
        small, big, exact = reached(kind, size)
        for key in ratio_keys:
            goal = f"{labels[key]} ≤ {TARGET_RATIO}x of {small.size if small else 1_000:,}"
            base = results[key][small.label].median if small else None
            value = results[key][big.label].median if big else None
            if base is None or value is None:
                lines.append(f"| {goal} | {names[kind]} {size:,} | not measured | — |")
                continue
            lines.append(
                f"| {goal} | {big.label}{'' if exact else f' ({size:,} not run)'} "
                f"| {_fmt(value, 'ms')} = {value / base:.2f}x "
                f"| {verdict(value / base <= TARGET_RATIO, exact)} |"
            )
    for key in ("dash:cold", "dash:cold12"):
        small, big, exact = reached("postgresql", 1_000_000)
        goal = f"{labels[key]} ≤ {TARGET_RATIO}x of 1,000 and < {TARGET_DASHBOARD_SECONDS} s"
        base = results[key][small.label].median if small else None
        value = results[key][big.label].median if big else None
        if base is None or value is None:
            lines.append(f"| {goal} | PostgreSQL 1,000,000 | not measured | — |")
        else:
            ok = value / base <= TARGET_RATIO and value < TARGET_DASHBOARD_SECONDS
            lines.append(
                f"| {goal} | {big.label}{'' if exact else ' (1,000,000 not run)'} "
                f"| {_fmt(value, 'ms')} = {value / base:.2f}x | {verdict(ok, exact)} |"
            )
        small, big, exact = reached("sqlite", 100_000)
        value = results[key][big.label].median if big else None
        goal = f"{labels[key]} < {TARGET_DASHBOARD_SECONDS} s"
        if value is None:
            lines.append(f"| {goal} | SQLite 100,000 | not measured | — |")
        else:
            lines.append(
                f"| {goal} | {big.label}{'' if exact else ' (100,000 not run)'} "
                f"| {_fmt(value, 'ms')} | {verdict(value < TARGET_DASHBOARD_SECONDS, exact)} |"
            )
    group = by_kind.get("postgresql", [])
    big = group[-1] if group else None
    exact = big is not None and big.size == 1_000_000
    fig = sessions.get(big.label) if big else None
    cpu = fig.loads[min(fig.loads)].cpu_per_load if fig and fig.loads else None
    goal = f"Server CPU per queue or complaint page load ≤ {TARGET_CPU_PER_LOAD * 1000:.0f} ms"
    if cpu is None:
        lines.append(f"| {goal} | PostgreSQL 1,000,000 | not measured | — |")
    else:
        lines.append(
            f"| {goal} | {big.label}{'' if exact else ' (1,000,000 not run)'}, "
            f"{min(fig.loads)} session(s) | {_fmt(cpu, 'ms')} "
            f"| {verdict(cpu <= TARGET_CPU_PER_LOAD, exact)} |"
        )
    value = results["reg:xlsx"][big.label].median if big else None
    goal = f"Register of a month as Excel < {TARGET_REGISTER_SECONDS:.0f} s"
    if value is None:
        lines.append(f"| {goal} | PostgreSQL 1,000,000 | not measured | — |")
    else:
        lines.append(
            f"| {goal} | {big.label}{'' if exact else ' (1,000,000 not run)'}, "
            f"{big.register_rows:,} rows | {_fmt(value, 's')} "
            f"| {verdict(value < TARGET_REGISTER_SECONDS, exact)} |"
        )
    lines += [
        "",
        "Also a target of issue 14, not measured by this command: the register's peak "
        "memory < 500 MB and its linear cost (tests/test_exports.py::"
        "test_the_excel_register_costs_linear_in_rows). Issue 15's replica targets: "
        "`--replicas 1,2` writes the Replicas section.",
        "",
    ]
    return lines


def write_report(
    path: Path,
    *,
    argv: list[str],
    targets: list[Target],
    results: dict[str, dict[str, Cell]],
    sessions: dict[str, SessionFigures],
    session_counts: list[int],
    session_seconds: float,
    runs: int,
    warmup: int,
    started: datetime,
    finished: datetime,
    load_samples: list[float],
    postgres: str | None,
    base_urls: list[str],
    code_version: tuple[str, bool],
    skipped: list[str] = (),
) -> None:
    machine = _machine()
    kinds = _sizes_by_kind(targets)
    commit, dirty = code_version
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m benchmarks.run` (do not edit by hand: re-run the command).",
        "",
        f"- **Date:** {started:%Y-%m-%d %H:%M} – {finished:%H:%M} UTC; commit `{commit}`"
        + (" (with uncommitted changes)" if dirty else ""),
        f"- **Command:** `python -m benchmarks.run {shlex.join(argv)}`",
        f"- **Machine:** {machine['cores']} cores ({machine['cpu']}), {machine['ram']} RAM; "
        f"{machine['system']}",
        f"- **Load average** (1 min, sampled at every figure): median "
        f"{_load_text(load_samples)}, min {min(load_samples, default=0):.1f}, "
        f"max {max(load_samples, default=0):.1f}. With more load than cores, wall times "
        "stretch: compare figures within one run (the ratios), not across runs.",
    ]
    if postgres:
        lines.append(f"- **Database server:** {_postgres_settings(postgres)}")
    lines.append(
        f"- **Method:** {warmup} untimed round(s), then the median of {runs} timed round(s); "
        "in every round each measurement is taken on every database and size in turn. "
        "Before the first timed round the harness freezes its heap for the garbage "
        "collector (`services.process.freeze_startup_heap`), as the server does after its "
        "first page run."
    )
    lines += ["", "## Data", ""]
    lines.append(
        "| database | complaints | events (seeded) | open (seeded) | seeded | seeding took |"
    )
    lines.append("|---|---|---|---|---|---|")
    for t in targets:
        s = t.seeded
        lines.append(
            f"| {t.label} | {t.complaints_now:,} ({s.get('complaints', 0):,} seeded) | "
            f"{s.get('events', 0):,} | "
            f"{s.get('open', 0):,} | {s.get('finished', '?')[:16].replace('T', ' ')}"
            f"{' (reused)' if s.get('reused') else ''} | {s.get('seconds', 0):,.1f} s at load "
            f"{s.get('load_before', 0):.1f}–{s.get('load_after', 0):.1f} |"
        )
    if skipped:
        lines.append(
            f"| {', '.join(skipped)} | not run: above {MAX_SQLITE_SIZE:,} on PostgreSQL only "
            "| | | | |"
        )
    lines += [
        "",
        f"Register and recap: the month {targets[0].month[0]:%B %Y} (the last whole month "
        "before seeding); register rows: "
        + ", ".join(f"{t.label} {t.register_rows:,}" for t in targets)
        + ".",
        "",
        "Queues (complaints waiting; a queue page lists 25 at most, so a queue of the "
        "1,000 size renders fewer rows than the larger sizes' full pages): "
        + "; ".join(
            f"{t.label}: " + ", ".join(f"{u} {n:,}" for u, n in t.queue_sizes.items())
            for t in targets
        )
        + ".",
        "",
        "## Server-side figures",
        "",
        "Medians; pages are AppTest runs in a fresh session (framework floor included: an "
        "empty page costs ~100 ms here when idle); the ratio is to the smallest size of the "
        "same database; load = median 1-min load average while the figure was taken.",
        "",
    ]
    header = ["what"]
    for kind, group in kinds.items():
        small = group[0]
        for t in group:
            header.append(t.label)
        for t in group[1:]:
            header.append(f"ratio {t.size:,}/{small.size:,}")
        header.append(f"load ({'SQLite' if kind == 'sqlite' else 'PG'})")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for m in MEASUREMENTS:
        row = [m.label]
        for group in kinds.values():
            base = results[m.key][group[0].label].median
            loads = []
            for t in group:
                cell = results[m.key][t.label]
                row.append(_fmt(cell.median, m.unit) if cell.values else (cell.note or "—"))
                loads += cell.loads
            for t in group[1:]:
                row.append(_ratio(results[m.key][t.label].median, base))
            row.append(_load_text(loads))
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Concurrent sessions", ""]
    if not sessions:
        lines.append("Not run (`--sessions` empty).")
    else:
        lines.append(
            "Client: `benchmarks.sessions`, protocol level (one WebSocket per session with "
            "the login cookie; a click is the sidebar's rerun message; settled = the "
            "server's end-of-run message), no browser. "
            + (
                f"Servers: the given `--base-url` {', '.join(base_urls)}."
                if base_urls
                else "Server: one `streamlit run app.py` per database and size (one "
                "process, one replica), with `OUTBOX_WORKER=external`: the outbox sender "
                "and the notification check of every minute are not in the page loads' "
                'CPU (that check is timed on its own above, "Notification check of one '
                'minute").'
            )
            + f" Sessions log in as {', '.join(SESSION_USERS)} in turn and open the queue "
            f"and a complaint page in turn for {session_seconds:g} s per count; server CPU "
            "is user+system time of the server process from /proc, divided by the page "
            "loads, and the cores it used (its CPU seconds per second of the window: one "
            "process runs Python on one core at most; when the machine's load exceeds its "
            "cores the server gets less, and concurrent loads finish in lockstep); the "
            "client's own CPU is given beside it (it shares the cores)."
        )
        lines.append("")
        lines.append(
            "| database | sessions | page loads | p50 | p95 | loads/s | server CPU/load "
            "| server cores used | client CPU/load | errors | load |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for t in targets:
            fig = sessions[t.label]
            for count in session_counts:
                r = fig.loads.get(count)
                if r is None:
                    lines.append(f"| {t.label} | {count} |" + " — |" * 9)
                    continue
                client = r.client_cpu / len(r.loads) if r.loads else None
                cores = f"{r.server_cpu / r.seconds:.2f}" if r.server_cpu is not None else "—"
                lines.append(
                    f"| {t.label} | {count} | {len(r.loads):,} | {_fmt(r.p50, 'ms')} | "
                    f"{_fmt(r.p95, 'ms')} | {r.per_second:.2f} | {_fmt(r.cpu_per_load, 'ms')} | "
                    f"{cores} | {_fmt(client, 'ms')} | {_errors(r)} | {r.load_average:.1f} |"
                )
        lines += [
            "",
            "Peak memory of one session (the growth of the server's peak RSS, VmHWM reset "
            "first, while one session opens the queue, a complaint, search and the "
            "dashboard once, "
            + (
                "on a server that has served them before):"
                if warmup
                else "on a server that has NOT served them before (--warmup 0): the "
                "figure includes the code's first imports):"
            ),
            "",
            "| database | session peak | server RSS before |",
            "|---|---|---|",
        ]
        for t in targets:
            fig = sessions[t.label]
            lines.append(
                f"| {t.label} | {_fmt(fig.memory_mb, 'MB')} | {_fmt(fig.rss_mb, 'MB')} |"
                if fig.memory_mb is not None
                else f"| {t.label} | {fig.note or '—'} | — |"
            )
    lines.append("")
    lines += targets_section(targets, results, sessions)
    path.write_text("\n".join(lines) + "\n")


# --- command --------------------------------------------------------------------------


def _int_list(value: str) -> list[int]:
    return [int(v.replace("_", "")) for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_int_list, default=[1_000, 100_000])
    parser.add_argument("--postgres", metavar="SERVER_URL", help="PostgreSQL server URL")
    parser.add_argument(
        "--sqlite", action="store_true", help="also SQLite (the default without --postgres)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--sessions", type=_int_list, default=[1, 5, 10, 20])
    parser.add_argument("--session-seconds", type=float, default=30.0)
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the seeded databases (and their records) in DIR, reuse them next time",
    )
    parser.add_argument(
        "--only",
        help="comma-separated groups or keys to time (queue, search, call, complaint, "
        "advance, sign, worker, dashboard, export, or a key such as dash:cold); default all",
    )
    parser.add_argument(
        "--base-url",
        type=lambda v: [u for u in v.split(",") if u],
        default=[],
        help="drive the sessions at these URLs (e.g. a proxy) instead of starting a "
        "server; needs exactly one database and size, the one those servers use",
    )
    parser.add_argument(
        "--server-pid",
        type=_int_list,
        default=[],
        help="with --base-url: the server processes whose CPU to read",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="seed (or check) the databases and stop"
    )
    parser.add_argument(
        "--replicas",
        type=_int_list,
        default=[],
        help="instead of the figures above: the sessions through nginx in front of each "
        "number of replicas (benchmarks.replicas; one database and size); writes the "
        "Replicas section of --out",
    )
    args = parser.parse_args(argv)
    if args.seed_only and not args.keep:
        parser.error("--seed-only needs --keep (otherwise the seeded databases are dropped)")
    kinds = (["sqlite"] if args.sqlite or not args.postgres else []) + (
        ["postgresql"] if args.postgres else []
    )
    skipped = [
        f"SQLite {size:,}" for size in args.sizes if "sqlite" in kinds and size > MAX_SQLITE_SIZE
    ]
    if "sqlite" in kinds and min(args.sizes) > MAX_SQLITE_SIZE:
        parser.error(f"sizes above {MAX_SQLITE_SIZE:,} run on PostgreSQL only")
    if (args.base_url or args.replicas) and len(kinds) * len(args.sizes) - len(skipped) != 1:
        parser.error("--base-url and --replicas need exactly one database and one size")

    def log(line: str) -> None:
        print(line, flush=True)

    started = datetime.now(UTC)
    # The code that runs is the code at the start (a commit made meanwhile is not it).
    code_version = (
        _git("rev-parse", "--short", "HEAD"),
        bool(_git("status", "--porcelain", "-uno")),
    )
    load_samples: list[float] = []
    scratch = tempfile.TemporaryDirectory(prefix="layanan-bench-")
    directory = Path(args.keep or scratch.name)
    directory.mkdir(parents=True, exist_ok=True)
    targets: list[Target] = []
    servers: dict[str, load_client.Server] = {}
    try:
        log("Seeding:")
        for kind in kinds:
            for size in sorted(args.sizes):
                if kind == "sqlite" and size > MAX_SQLITE_SIZE:
                    log(f"  sqlite {size:,}: not run (PostgreSQL only above {MAX_SQLITE_SIZE:,})")
                    continue
                targets.append(
                    prepare(
                        kind,
                        size,
                        directory=directory,
                        keep=bool(args.keep),
                        server=args.postgres,
                        log=log,
                    )
                )
        if args.seed_only:
            return 0
        for t in targets:
            describe(t)
        if args.replicas:
            from benchmarks import replicas

            log(f"Sessions {args.sessions} x {args.session_seconds:g} s, replicas {args.replicas}:")
            figures = replicas.run(
                targets[0], args.replicas, args.sessions, args.session_seconds, directory, log
            )
            command = shlex.join(["python", "-m", "benchmarks.run", *argv])
            text = replicas.section(
                figures, label=targets[0].label, seconds=args.session_seconds, command=command
            )
            replicas.write_section(Path(args.out), text)
            log(f"Wrote the Replicas section of {args.out}")
            return 1 if replicas.failed(figures) else 0
        if args.sessions and not args.base_url:
            servers = start_servers(targets, directory)
        only = set(args.only.split(",")) if args.only else None
        log(f"Timing {args.runs} round(s) after {args.warmup} warm-up round(s)...")
        results = measure_all(targets, args.runs, args.warmup, only, log)
        for by_target in results.values():
            for cell in by_target.values():
                load_samples += cell.loads
        sessions: dict[str, SessionFigures] = {}
        if args.sessions:
            log(f"Sessions {args.sessions} x {args.session_seconds:g} s:")
            sessions = run_sessions(
                targets,
                args.sessions,
                args.session_seconds,
                args.base_url,
                args.server_pid,
                servers,
                args.warmup > 0,
                log,
            )
            for fig in sessions.values():
                load_samples += [r.load_average for r in fig.loads.values()]
        out = Path(args.out)
        write_report(
            out,
            argv=argv,
            targets=targets,
            results=results,
            sessions=sessions,
            session_counts=args.sessions,
            session_seconds=args.session_seconds,
            runs=args.runs,
            warmup=args.warmup,
            started=started,
            finished=datetime.now(UTC),
            load_samples=load_samples,
            postgres=args.postgres,
            base_urls=args.base_url,
            code_version=code_version,
            skipped=skipped,
        )
        log(f"Wrote {out}")
        failed = [
            f"{key} on {label}"
            for key, by_target in results.items()
            for label, cell in by_target.items()
            if cell.note.startswith("failed")
        ]
        failed += [
            f"sessions on {label}"
            for label, fig in sessions.items()
            if any(r.errors for r in fig.loads.values())
        ]
        if failed:
            log("Failed: " + "; ".join(failed))
        return 1 if failed else 0
    finally:
        for server in servers.values():
            server.stop()  # again: a failure before the sessions leaves them running
        db_engine.dispose_all()
        if not args.keep and args.postgres:
            for t in targets:
                if t.kind == "postgresql":
                    _drop_postgres(args.postgres, t.url)
        scratch.cleanup()


if __name__ == "__main__":
    sys.exit(main())

"""Interaction speed of the staff pages at 1,000 and at 100,000 complaints (not a test).

    python -m benchmarks.bench_pages                     # 1,000 then 100,000, SQLite
    python -m benchmarks.bench_pages --sizes 1000 20000 --runs 9
    python -m benchmarks.bench_pages --postgres postgresql+psycopg://user@host/postgres

For each size a fresh database is filled by ``benchmarks.bulk_seed`` (the same SOP
paths, events and deadlines as real use), then each page is rendered server-side with
Streamlit's AppTest as a logged-in user: "My queue" for the front desk, the Head and a
unit, search for the Secretary, and the complaint page of an open complaint at step 9
(the Head, with its form). The median of ``--runs`` runs after two warm-ups is
reported. Target: every page at the largest size within 1.5x of its time at the
smallest; the script exits 1 when a page misses it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from benchmarks.bulk_seed import bulk_seed
from benchmarks.common import scratch_postgres_database, use_database
from db import engine as db_engine
from db.engine import read_session
from db.models import Complaint, User

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5
NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # a Friday, 14:00 WITA


@dataclass(frozen=True)
class Case:
    name: str
    page: str
    username: str
    query: dict[str, str]


def render(case: Case, user_id: int) -> float:
    """Seconds for one server-side run of the page (fresh session, as on a page load)."""
    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "pages" / f"{case.page}.py"), default_timeout=120)
    at.session_state["user_id"] = user_id
    for key, value in case.query.items():
        at.query_params[key] = value
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{case.name}: {at.exception[0].message}")
    if at.error:
        raise RuntimeError(f"{case.name}: {at.error[0].value}")
    return elapsed


def cases_for_database() -> list[Case]:
    """The pages to time; the complaint is the newest open one at step 9."""
    with read_session() as session:
        ticket = session.scalar(
            select(Complaint.ticket)
            .where(Complaint.current_step == 9)
            .order_by(Complaint.received_at.desc())
            .limit(1)
        )
    if ticket is None:
        raise RuntimeError("no complaint waits at step 9: seed more complaints")
    return [
        Case("Antrean: petugas", "queue", "petugas", {}),
        Case("Antrean: kepala", "queue", "kepala", {}),
        Case("Antrean: unit_kop", "queue", "unit_kop", {}),
        Case("Cari: sekretaris", "search", "sekretaris", {}),
        Case("Pengaduan (langkah 9): kepala", "complaint", "kepala", {"tiket": ticket}),
    ]


def seed(
    url: str, count: int, log: Callable[[str], None], *, reuse: bool = False
) -> tuple[list[Case], dict[str, int]]:
    """Fill a fresh database (or reuse a kept one); return the pages to time and user ids."""
    use_database(url)
    if reuse:
        log(f"  {count:,}: reusing {url}")
    else:
        started = time.perf_counter()
        totals = bulk_seed(url=url, count=count, now=NOW)
        log(
            f"  {count:,}: seeded {totals['complaints']:,} complaints "
            f"({totals['open']:,} open), {totals['events']:,} events in "
            f"{time.perf_counter() - started:.1f} s"
        )
    with read_session() as session:
        users = dict(session.execute(select(User.username, User.id)).tuples().all())
    return cases_for_database(), users


def measure(
    databases: dict[int, tuple[str, list[Case], dict[str, int]]], runs: int
) -> dict[int, dict[str, list[float]]]:
    """Timed runs of every page, sizes interleaved round by round.

    Interleaving spreads any load on the machine (other processes) evenly over the
    sizes instead of charging it to whichever size happened to run at that moment.
    """
    times: dict[int, dict[str, list[float]]] = {n: {} for n in databases}
    for round_number in range(runs + 1):
        for count, (url, cases, users) in databases.items():
            use_database(url)
            render(cases[0], users[cases[0].username])  # untimed: engine, page cache
            for case in cases:
                elapsed = render(case, users[case.username])
                if round_number:  # round 0 warms up imports and caches
                    times[count].setdefault(case.name, []).append(elapsed)
    return times


def _sqlite_url(directory: str, count: int) -> str:
    return f"sqlite:///{directory}/bench-{count}.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per page (median)")
    parser.add_argument("--postgres", help="server URL; one database per size is created")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the SQLite databases in DIR and reuse them on the next run (no reseeding)",
    )
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    drops: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory(prefix="layanan-bench-") as scratch:
        directory = args.keep or scratch
        Path(directory).mkdir(parents=True, exist_ok=True)
        try:
            databases = {}
            log(f"Seeding ({'PostgreSQL' if args.postgres else 'SQLite'}):")
            for count in args.sizes:
                if args.postgres:
                    url, drop = scratch_postgres_database(args.postgres, f"layanan_bench_{count}")
                    drops.append(drop)
                    reuse = False
                else:
                    url = _sqlite_url(directory, count)
                    reuse = bool(args.keep) and Path(url.removeprefix("sqlite:///")).exists()
                databases[count] = (url, *seed(url, count, log, reuse=reuse))
            log(f"Timing {args.runs} runs of each page per size, sizes interleaved...")
            times = measure(databases, args.runs)
        finally:
            db_engine.dispose_all()
            for drop in drops:
                drop()

    small, large = min(times), max(times)
    log("")
    log("Median (and fastest) server-side AppTest run of each page:")
    log(f"{'page':<32} {small:>16,} {large:>16,}   ratio (target <= {TARGET_RATIO})")
    missed = []
    for name, base_runs in times[small].items():
        base = statistics.median(base_runs)
        big = statistics.median(times[large][name])
        ratio = big / base
        if ratio > TARGET_RATIO:
            missed.append(name)
        log(
            f"{name:<32} {base * 1000:6.0f} ({min(base_runs) * 1000:4.0f}) ms "
            f"{big * 1000:6.0f} ({min(times[large][name]) * 1000:4.0f}) ms   {ratio:4.2f}x "
            + ("ok" if ratio <= TARGET_RATIO else "MISSED")
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

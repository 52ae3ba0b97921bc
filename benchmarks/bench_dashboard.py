"""Server-side render time of the dashboard at 1,000 and 100,000 complaints (not a test).

    python -m benchmarks.bench_dashboard                  # 1,000 then 100,000, SQLite
    python -m benchmarks.bench_dashboard --sizes 1000 20000 --runs 5
    python -m benchmarks.bench_dashboard --postgres postgresql+psycopg://user@host/postgres

For each size a fresh database is filled by ``benchmarks.bulk_seed`` (complaints over
the last year up to now, with all their step events: ~10.6 per complaint), then
``pages/dashboard.py`` is run with Streamlit's AppTest as the Head (Kepala Dinas):

- "cold": the dashboard cache emptied first, as right after a complaint moved (every
  aggregate query runs);
- "warm": the same figures from the cache (a rerun, a filter set back, another
  manager);
- "cold, 12 months": the period set to the last 12 months, cache emptied.

Sizes are interleaved round by round so that load from other processes falls on all
of them alike. The median of ``--runs`` runs (after a warm-up round) is reported.
Targets: at the largest size the default view (cold and warm) renders in under 1 s and
within 3x of its time at the smallest; the script exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from benchmarks.bulk_seed import bulk_seed
from benchmarks.common import scratch_postgres_database, use_database
from db import engine as db_engine
from db.engine import read_session
from db.models import User
from services import dashboard

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "dashboard.py")
TARGET_SECONDS = 1.0
TARGET_RATIO = 3.0
CASES = ("cold", "warm", "cold, 12 months")
GATED = ("cold", "warm")


def _run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    if at.error:
        raise RuntimeError(at.error[0].value)
    return elapsed


def render(case: str, user_id: int) -> float:
    """Seconds for one server-side run of the dashboard in a fresh session."""
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.session_state["user_id"] = user_id
    if case == "cold, 12 months":
        _run(at)  # untimed: the default view, to reach the period widget
        at.selectbox(key="dash_period").select("12 bulan terakhir")
        dashboard.clear_cache()
        return _run(at)
    if case == "cold":
        dashboard.clear_cache()
    return _run(at)


def seed(url: str, count: int, now: datetime, log: Callable[[str], None]) -> int:
    """Fill a fresh database; return the Head's user id."""
    use_database(url)
    started = time.perf_counter()
    totals = bulk_seed(url=url, count=count, now=now)
    log(
        f"  {count:,}: seeded {totals['complaints']:,} complaints ({totals['open']:,} open), "
        f"{totals['events']:,} events, {totals['ratings']:,} ratings "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with read_session() as session:
        return session.scalar(select(User.id).where(User.username == "kepala"))


def measure(databases: dict[int, tuple[str, int]], runs: int) -> dict[int, dict[str, list]]:
    times: dict[int, dict[str, list[float]]] = {n: {c: [] for c in CASES} for n in databases}
    for round_number in range(runs + 1):
        for count, (url, user_id) in databases.items():
            use_database(url)
            render("cold", user_id)  # untimed: engine, connection, page imports
            for case in CASES:
                elapsed = render(case, user_id)
                if round_number:  # round 0 warms up imports and caches
                    times[count][case].append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument("--postgres", help="server URL; one database per size is created")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    now = datetime.now(UTC)
    drops: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory(prefix="layanan-bench-dash-") as directory:
        try:
            databases: dict[int, tuple[str, int]] = {}
            log(f"Seeding ({'PostgreSQL' if args.postgres else 'SQLite'}):")
            for count in args.sizes:
                if args.postgres:
                    url, drop = scratch_postgres_database(args.postgres, f"layanan_dash_{count}")
                    drops.append(drop)
                else:
                    url = f"sqlite:///{directory}/dash-{count}.db"
                databases[count] = (url, seed(url, count, now, log))
            log(f"Timing {args.runs} runs of each case per size, sizes interleaved...")
            times = measure(databases, args.runs)
        finally:
            db_engine.dispose_all()
            for drop in drops:
                drop()

    small, large = min(times), max(times)
    log("")
    log("Median (and fastest) server-side AppTest run of pages/dashboard.py as the Head:")
    log(f"{'case':<18} {small:>16,} {large:>16,}   ratio")
    missed = []
    for case in CASES:
        base_runs, big_runs = times[small][case], times[large][case]
        base, big = statistics.median(base_runs), statistics.median(big_runs)
        ratio = big / base
        verdict = ""
        if case in GATED:
            ok = big < TARGET_SECONDS and ratio <= TARGET_RATIO
            verdict = "ok" if ok else "MISSED"
            if not ok:
                missed.append(case)
        log(
            f"{case:<18} {base * 1000:6.0f} ({min(base_runs) * 1000:4.0f}) ms "
            f"{big * 1000:6.0f} ({min(big_runs) * 1000:4.0f}) ms   {ratio:4.2f}x {verdict}"
        )
    log(f"Targets (cold, warm): < {TARGET_SECONDS:.0f} s at {large:,}, <= {TARGET_RATIO}x.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Search by text at several sizes: a text that matches, one that matches nothing, a ticket.

    python -m benchmarks.bench_search                          # 1,000 and 100,000, SQLite
    python -m benchmarks.bench_search --postgres postgresql+psycopg://user@host/postgres
    python -m benchmarks.bench_search --keep /tmp/bs   # keep (and reuse) the databases

Each size gets a database filled by ``benchmarks.bulk_seed``; then the search page is
rendered server-side (AppTest, as ``bench_pages``) as the Secretary with the text in the
box, and the service call alone (``complaint_lists.search``) is timed too; medians of
``--runs`` runs after a warm-up, sizes interleaved. With ``--keep`` the databases are
reused, so the same data can be timed before and after a change (a kept database is
migrated to head on first use, and the time that takes is printed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from streamlit.testing.v1 import AppTest

from benchmarks.bulk_seed import bulk_seed
from benchmarks.common import use_database
from db import engine as db_engine
from db.engine import read_session
from db.models import Complaint, User
from services import complaint_lists

ROOT = Path(__file__).resolve().parents[1]
TEXTS = {
    "match": "Tadulako Mandiri",  # one organisation of the demo data (a few % of rows)
    "no match": "tidak ada kata seperti ini",
}


def _render(user_id: int, query: str) -> float:
    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "pages" / "search.py"), default_timeout=300)
    at.session_state["user_id"] = user_id
    at.session_state["s_text"] = query
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def _service(user_id: int, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    page = complaint_lists.search(
        user_id=user_id, filters=complaint_lists.ComplaintFilter(text=query)
    )
    return time.perf_counter() - started, page.total


def _postgres_url(server: str, count: int) -> str:
    name = f"layanan_bsearch_{count}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server.rpartition('/')[0]}/{name}"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.bench_pages import NOW as now

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", help="server URL; one database per size (kept)")
    parser.add_argument("--keep", metavar="DIR", help="SQLite: keep and reuse databases here")
    args = parser.parse_args(argv)
    out = print
    with tempfile.TemporaryDirectory(prefix="layanan-bsearch-") as scratch:
        directory = Path(args.keep or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        databases: dict[int, tuple[str, int, str]] = {}
        for count in args.sizes:
            if args.postgres:
                url = _postgres_url(args.postgres, count)
            else:
                url = f"sqlite:///{directory}/search-{count}.db"
            use_database(url)
            started = time.perf_counter()
            db_engine.get_engine(url)  # migrates a new or kept database to head
            out(f"{count:,}: migrated to head in {time.perf_counter() - started:.1f} s")
            with read_session() as session:
                have = session.scalar(select(func.count()).select_from(Complaint)) or 0
            if not have:
                started = time.perf_counter()
                totals = bulk_seed(url=url, count=count, now=now)
                out(
                    f"{count:,}: seeded {totals['complaints']:,} complaints in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            with read_session() as session:
                user = session.scalar(select(User.id).where(User.username == "sekretaris"))
                ticket = session.scalar(
                    select(Complaint.ticket).order_by(Complaint.id).offset(count // 2).limit(1)
                )
            databases[count] = (url, user, ticket)
        texts = [*TEXTS, "ticket"]
        page_times: dict[int, dict[str, list[float]]] = {n: {} for n in databases}
        call_times: dict[int, dict[str, list[float]]] = {n: {} for n in databases}
        totals: dict[int, dict[str, int]] = {n: {} for n in databases}
        for round_number in range(args.runs + 1):
            for count, (url, user, ticket) in databases.items():
                use_database(url)
                _render(user, "")  # untimed: engine and page cache
                for name in texts:
                    query = TEXTS.get(name, ticket)
                    page = _render(user, query)
                    call, total = _service(user, query)
                    totals[count][name] = total
                    if round_number:
                        page_times[count].setdefault(name, []).append(page)
                        call_times[count].setdefault(name, []).append(call)
        db_engine.dispose_all()
    small, large = min(databases), max(databases)
    out("")
    out("Median search page (AppTest) / service call, ms; rows found at each size:")
    for name in texts:
        cells = []
        for count in databases:
            page = statistics.median(page_times[count][name]) * 1000
            call = statistics.median(call_times[count][name]) * 1000
            cells.append(f"{count:,}: {page:6.0f} / {call:5.0f} ({totals[count][name]:,} found)")
        ratio = statistics.median(page_times[large][name]) / statistics.median(
            page_times[small][name]
        )
        out(f"  {name:<9} " + "   ".join(cells) + f"   ratio {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

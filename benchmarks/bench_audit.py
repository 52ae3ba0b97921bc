"""Time of migration 0005's backfill and of ``verify_audit`` at N complaints (not a test).

    python -m benchmarks.bench_audit                       # 100,000 complaints, SQLite
    python -m benchmarks.bench_audit --count 20000
    python -m benchmarks.bench_audit --postgres postgresql+psycopg://user@host/postgres

A fresh database is filled by ``benchmarks.bulk_seed`` (~10.6 events per complaint),
then: ``verify_audit`` on it; a downgrade to 0004 (the hashes and triggers go); the
upgrade to head, timed (adds the columns, backfills every hash, NOT NULL, triggers);
``verify_audit`` again, which must pass.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config

from benchmarks.bulk_seed import bulk_seed
from benchmarks.common import scratch_postgres_database, use_database
from config import ROOT
from db import engine as db_engine
from services.audit import verify

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def _alembic(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _timed(label: str, call):
    started = time.perf_counter()
    result = call()
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def _show(result) -> None:
    print(f"  ok={result.ok} events={result.events:,}")
    if result.broken:
        print(f"  broken: {result.broken.describe()}")


def run(url: str, count: int) -> int:
    use_database(url)
    totals = _timed(f"bulk_seed {count:,}", lambda: bulk_seed(url=url, count=count, now=NOW))
    print(f"  {totals['events']:,} events")
    result = _timed("verify_audit", lambda: verify(url))
    _show(result)
    db_engine.dispose_all()
    cfg = _alembic(url)
    _timed("downgrade to 0004", lambda: command.downgrade(cfg, "0004"))
    _timed("upgrade 0004 -> head (backfill)", lambda: command.upgrade(cfg, "head"))
    result = _timed("verify_audit after the migration", lambda: verify(url))
    _show(result)
    return 0 if result.ok and result.events == totals["events"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="server URL; default: SQLite file")
    args = parser.parse_args(argv)
    if args.postgres:
        url, drop = scratch_postgres_database(args.postgres, "bench_audit")
        try:
            return run(url, args.count)
        finally:
            drop()
    with tempfile.TemporaryDirectory() as tmp:
        return run(f"sqlite:///{Path(tmp) / 'audit.db'}", args.count)


if __name__ == "__main__":
    sys.exit(main())

"""Recompute the dashboard aggregates: ``python -m scripts.rebuild_aggregates``.

The ``agg_*`` tables (``db.aggregates``) are kept by every write; rebuild them after
writes that bypass the ORM (a restore of an old backup into new tables, Core bulk
loads) or to check them: ``--check`` compares without writing (exit 1 if they differ).
Runs in one transaction (``DATABASE_URL`` or ``--url``).
"""

from __future__ import annotations

import argparse
import sys
import time

from db import aggregates
from db.engine import get_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    engine = get_engine(args.url, for_writing=True)
    with engine.begin() as conn:
        if args.check:
            differ = [
                name
                for name, rows in aggregates.recomputed(conn).items()
                if aggregates.stored(conn)[name] != rows
            ]
            if differ:
                print(f"DIFFER: {', '.join(differ)}", file=sys.stderr)
                return 1
            elapsed = time.perf_counter() - started
            print(f"OK: aggregates equal a full recomputation ({elapsed:.1f} s).")
            return 0
        written = aggregates.rebuild(conn)
    rows = ", ".join(f"{name} {n}" for name, n in written.items())
    print(f"Rebuilt: {rows} rows ({time.perf_counter() - started:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Create demo users and complaints: ``python -m scripts.seed_demo [--count N] [--if-empty]``.

Demo accounts (all with the password ``Pengaduan-2026``): petugas, subbag, kepala,
sekretaris, unit_kop, unit_ukm, arsiparis, admin. Every demo complaint's tracking PIN
is 123456.
"""

from __future__ import annotations

import argparse
import sys
import time

from db.engine import write_session
from services.seed import seed_demo, seed_demo_if_empty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300, help="number of complaints")
    parser.add_argument("--if-empty", action="store_true", help="do nothing if users exist")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.if_empty:
        # Checked and seeded under the schema lock: two run-demo at once seed once.
        if not seed_demo_if_empty(count=args.count):
            print("Database already has data; demo seeding skipped.")
            return 0
    else:
        with write_session() as session:
            seed_demo(session, count=args.count)
    print(f"Demo data created ({args.count} complaints) in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

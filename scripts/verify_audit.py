"""Check the audit trail: ``python -m scripts.verify_audit`` (uses ``DATABASE_URL``).

Walks every complaint's hash chain of step events (docs/audit.md), records the result
for the admin page, and prints one line. Exit status 0: every chain is intact; 1: the
first broken event is named (ticket, seq, event id, what is wrong).
"""

from __future__ import annotations

import argparse
import sys
import time

from layanan.text import angka
from services.audit import check_and_record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = check_and_record(args.url)
    elapsed = time.perf_counter() - started
    if result.ok:
        print(
            f"OK: {angka(result.events)} peristiwa diperiksa, rantai hash utuh "
            f"({elapsed:.1f} detik)."
        )
        return 0
    print(
        f"RUSAK: {result.broken.describe()}. {angka(result.events)} peristiwa sebelumnya utuh.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())

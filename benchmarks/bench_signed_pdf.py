"""Benchmark (not a test): signing -> signed PDF ready, and the signed letter's download.

    python -m benchmarks.bench_signed_pdf            # 10 letters
    python -m benchmarks.bench_signed_pdf --count 20

A throw-away SQLite database with the demo users; each letter is walked to step 10
through the workflow, then signed by the Secretary. "ready" is the time from the
signing call to the stored PDF: the conversion the app's converter thread does after
commit, here done by the commit itself (no thread in this process), through the warm
LibreOffice (``documents.converter``, started once before the first letter, as the
app does at start). "download" is ``reply_letter.reply_letter`` for the front desk:
what the complaint page's PDF button calls. Targets: ready within 5 s, download under
200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-signed-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["OUTBOX_WORKER"] = "external"
    import config

    config.get_settings.cache_clear()
    from db.engine import read_session, write_session
    from documents import converter
    from services import reply_letter, signed_letter, workflow
    from services.seed import ensure_demo_users
    from tests.conftest import Staff
    from tests.factories import bring_to, version_of  # the tests' walk to step 10

    with write_session() as session:
        users = ensure_demo_users(session)
        for user in users.values():
            session.expunge(user)
    users["outsider"] = users["admin"]  # not used by the walk
    staff = Staff(**{k: v for k, v in users.items() if k in Staff.__dataclass_fields__})
    started = time.perf_counter()
    warm = converter.warm_up()
    print(f"warm converter: {'on' if warm else 'OFF (cold soffice)'} "
          f"({time.perf_counter() - started:.1f} s to start)")  # fmt: skip
    ready, download = [], []
    for _ in range(args.count):
        complaint_id = bring_to(staff, 10)
        t0 = time.perf_counter()
        workflow.perform(
            complaint_id=complaint_id,
            action="sign",
            user_id=staff.sekretaris.id,
            expected_version=version_of(complaint_id),
        )
        with read_session() as session:
            row = signed_letter.latest(session, complaint_id)
            assert row.pdf_sha256, row.last_error
        ready.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id)
        download.append(time.perf_counter() - t1)
        assert letter.mime == "application/pdf"
    converter.stop()
    for name, values, unit, scale in (
        ("signing -> PDF ready", ready, "s", 1),
        ("download", download, "ms", 1000),
    ):
        values = sorted(v * scale for v in values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(
            f"{name}: median {statistics.median(values):.2f} {unit}, p95 {p95:.2f} {unit}, "
            f"max {values[-1]:.2f} {unit} over {len(values)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark command runs end to end and writes a figure in every row it promises.

``python -m benchmarks.run`` is not run in CI at its real sizes (it seeds up to a million
complaints); this runs it at a tiny size on SQLite, one round, one session for a second,
and reads the file back: every measurement of ``benchmarks.run.MEASUREMENTS`` must have
a number, as must the concurrent-session row and the session's peak memory. A broken
measurement (a page that moved, a service whose signature changed) shows here as a row
without a number, or as exit status 1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.run import MEASUREMENTS

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"^\d[\d,]*(\.\d+)? (ms|s|MB)$")


def _table(text: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first Markdown table after ``heading``, header included."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return [rows[0], *rows[2:]]  # drop the |---| line


def test_the_benchmark_command_writes_a_number_in_every_row(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--sizes",
        "20",
        "--sqlite",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--sessions",
        "1",
        "--session-seconds",
        "1",
        "--keep",
        str(tmp_path / "db"),
        "--out",
        str(out),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = out.read_text()

    figures = _table(text, "## Server-side figures")
    column = figures[0].index("SQLite 20")
    by_label = {row[0]: row for row in figures[1:]}
    assert set(by_label) == {m.label for m in MEASUREMENTS}
    missing = {
        label: row[column] for label, row in by_label.items() if not NUMBER.match(row[column])
    }
    assert missing == {}

    sessions = _table(text, "## Concurrent sessions")
    header, (row,) = sessions[0], sessions[1:]
    for name in ("p50", "p95", "server CPU/load"):
        assert NUMBER.match(row[header.index(name)]), (name, row)
    assert int(row[header.index("page loads")].replace(",", "")) > 0
    assert float(row[header.index("loads/s")]) > 0
    assert row[header.index("errors")] == "0"

    memory = _table(text, "Peak memory of one session")
    assert NUMBER.match(memory[1][1]) and NUMBER.match(memory[1][2]), memory

    assert "## Targets of issue 14" in text
    assert "--sizes 20 --sqlite" in text  # the command that wrote the file

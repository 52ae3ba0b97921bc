"""Backup of a live database and restore into an empty one (scripts.backup/restore).

The backup runs as the operator runs it (``python -m scripts.backup``, a separate
process) while a thread keeps taking complaints in and moving them through
``services.workflow``. That thread is the only writer, so after each of its commits it
records the whole database: the restored database must equal one of those states
exactly (every row of every table, every document), which is what "a consistent
snapshot" means; a copy taken mid-transaction, or WAL pages left behind, would match
none of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time

from sqlalchemy import create_engine, select

from config import ROOT
from db import engine as db_engine
from db.models import Base, Document
from layanan import sop
from scripts import restore, verify_audit
from tests.databases import empty_database
from tests.factories import PDF, actor_for, do, new_complaint, payload_for

# Each complaint the writer takes in is walked this far along the written path.
WRITER_PATH = ("hand_over", "classify_written", "register", "dispose", "submit_draft")


def _everything(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the models, in primary-key order."""
    engine = create_engine(url)
    with engine.connect() as conn:
        state = {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }
    engine.dispose()
    return state


class Writer(threading.Thread):
    """Intakes and actions through services.workflow; the state after each commit."""

    def __init__(self, staff, url: str) -> None:
        super().__init__(daemon=True)
        self.staff, self.url = staff, url
        self.states = [_everything(url)]
        self.commit_times: list[float] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def _committed(self) -> None:
        self.commit_times.append(time.monotonic())
        self.states.append(_everything(self.url))

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                created = new_complaint(self.staff, channel=sop.Channel.SURAT)
                self._committed()
                for action in WRITER_PATH:
                    if self.stop.is_set():
                        break
                    do(
                        actor_for(action, self.staff),
                        created.complaint_id,
                        action,
                        payload_for(action, self.staff),
                        documents=[PDF] if action == "submit_draft" else [],
                    )
                    self._committed()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc


def _backup(dest: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "scripts.backup", dest],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backup_taken_while_writes_run_restores_exactly_one_committed_state(
    staff, db, backend, tmp_path, capsys
):
    archive = tmp_path / "cadangan.tar.gz"
    new_complaint(staff, channel=sop.Channel.SURAT)  # something before the race starts
    writer = Writer(staff, db)
    writer.start()
    while len(writer.states) < 3 and writer.is_alive():
        time.sleep(0.01)
    started = time.monotonic()
    backup = _backup(str(archive), db)
    finished = time.monotonic()
    time.sleep(0.2)  # writes after the backup, which it must not contain
    writer.stop.set()
    writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert backup.returncode == 0, backup.stderr
    writes_during_backup = sum(started <= t <= finished for t in writer.commit_times)
    assert writes_during_backup >= 1

    with empty_database(backend, tmp_path, "restored") as target:
        # The app was already started on the new database: migrated tables, no rows,
        # which still counts as empty (PostgreSQL: pg_restore --clean replaces them).
        db_engine.get_engine(target)
        # The restore runs in this process (its CLI's main): the backup above is the
        # part that must run beside the writer.
        assert restore.main(["--url", target, str(archive)]) == 0
        assert "rantai audit utuh" in capsys.readouterr().out

        restored = _everything(target)
        matches = [n for n, state in enumerate(writer.states) if state == restored]
        assert matches, "the restored database matches no committed state of the source"
        assert matches[-1] < len(writer.states) - 1  # later writes are not in it
        assert restored["complaints"] and restored["documents"]

        # Every document survives byte for byte, and the manifest lists its hash.
        engine = create_engine(target)
        with engine.connect() as conn:
            documents = conn.execute(select(Document.id, Document.sha256, Document.data)).all()
        engine.dispose()
        assert all(hashlib.sha256(data).hexdigest() == digest for _, digest, data in documents)
        with tarfile.open(archive) as packed:
            manifest = json.load(packed.extractfile("manifest.json"))
        assert manifest["database"]["kind"] == backend
        assert manifest["schema_revision"]
        assert manifest["tables"]["complaints"] == len(restored["complaints"])
        assert {(f["id"], f["sha256"]) for f in manifest["files"] if f["table"] == "documents"} == {
            (doc_id, digest) for doc_id, digest, _ in documents
        }
        assert verify_audit.main(["--url", target]) == 0

        # A second restore into the now non-empty database is refused and changes nothing.
        before = _everything(target)
        assert restore.main(["--url", target, str(archive)]) == 2
        refusal = capsys.readouterr().err
        assert "tidak kosong" in refusal and "not empty" in refusal
        assert _everything(target) == before

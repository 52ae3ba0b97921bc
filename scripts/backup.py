"""Back up the live database: ``python -m scripts.backup DEST [--url URL]``.

DEST is a new directory, or an archive when it ends in ``.tar.gz``/``.tgz``. It holds
the database and ``manifest.json`` (created_at, database kind, schema revision, rows of
every table, SHA-256 of every stored file). Safe while the app runs and writes:

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies one
  consistent snapshot, WAL included. Never copy the file: a plain copy taken while the
  app ran held 0 of 10 complaints, the rest were still in the ``-wal`` file.
- PostgreSQL: ``pg_dump -Fc`` of the server's major version (``/usr/lib/postgresql/<N>/
  bin`` or PATH), run inside a snapshot this script exports, so the manifest's counts
  and hashes describe exactly the rows in the dump.

Stored documents (uploads, letters, signed replies, delivery e-mails) and letter
templates are blobs in the database (``documents.data``, ``letter_templates.data``,
``outbox_messages.message``): nothing outside the database needs copying. Restore with
``python -m scripts.restore``; docs/operations.md has the procedure and a schedule.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from glob import glob
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_DUMP_FILE = "database.dump"
FORMAT = 1
# Every column that stores a file: (table, key column, blob column, name column or None).
FILE_COLUMNS = (
    ("documents", "id", "data", "filename"),
    ("letter_templates", "id", "data", "key"),
    ("outbox_messages", "id", "message", "message_id"),
)
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message is for the operator."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    return None if path in ("", ":memory:") else Path(path)


def inventory(conn: Connection) -> dict:
    """Schema revision, rows per table and the hash of every stored file, as ``conn``
    sees them (inside the caller's snapshot)."""
    tables = sorted(inspect(conn).get_table_names())
    counts = {
        name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() for name in tables
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    files = []
    for table, key, blob, name in FILE_COLUMNS:
        if table not in tables:
            continue
        rows = conn.execution_options(yield_per=50).execute(
            text(f'SELECT "{key}", "{blob}", "{name}" FROM "{table}" ORDER BY "{key}"')
        )
        for row_key, data, label in rows:
            data = bytes(data or b"")
            files.append(
                {
                    "table": table,
                    "id": row_key,
                    "name": label,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    return {"schema_revision": revision, "tables": counts, "files": files}


def libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """``url`` as libpq understands it, the password moved to the environment (so that it
    does not show in the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool_major(tool: str) -> int | None:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(found.group(1)) if found else None


def find_pg_tool(name: str, server_major: int) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version, else the nearest newer one
    (a newer pg_dump reads an older server; an older one refuses a newer server)."""
    candidates = glob(f"/usr/lib/postgresql/*/bin/{name}")
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    majors = {tool: _tool_major(tool) for tool in candidates}
    usable = sorted(
        (major, tool) for tool, major in majors.items() if major and major >= server_major
    )
    if not usable:
        found = ", ".join(f"{tool} ({major})" for tool, major in majors.items()) or "none"
        raise BackupError(
            f"{name} versi {server_major} atau lebih baru tidak ditemukan (ditemukan: {found}). "
            f"Pasang postgresql-client-{server_major}. / No {name} of major version "
            f">= {server_major} found."
        )
    return usable[0][1]


def server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def _backup_sqlite(url: str, work: Path) -> dict:
    source = sqlite_path(url)
    if source is None or not source.exists():
        raise BackupError(f"Berkas basis data tidak ada / database file not found: {source}")
    target = work / SQLITE_FILE
    # The online backup API: one consistent snapshot, the WAL's committed pages included.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    # The copy is the snapshot: describe it, not the live file that moved on meanwhile.
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    with engine.connect() as conn:
        contents = inventory(conn)
        version = conn.execute(text("SELECT sqlite_version()")).scalar()
    engine.dispose()
    return {"database": {"kind": "sqlite", "server_version": version}, **contents}


def _backup_postgresql(url: str, work: Path) -> dict:
    target = work / PG_DUMP_FILE
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # First statement of a REPEATABLE READ transaction: its snapshot is the one
            # exported, so pg_dump (--snapshot) and the inventory below see the same rows.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            major = server_major(conn)
            version = conn.execute(text("SHOW server_version")).scalar()
            pg_dump = find_pg_tool("pg_dump", major)
            dsn, env = libpq_url(url)
            done = subprocess.run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={dsn}",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump gagal / failed: {done.stderr.strip()}")
            contents = inventory(conn)
    engine.dispose()
    return {
        "database": {"kind": "postgresql", "server_version": version, "tool": pg_dump},
        **contents,
    }


def _is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIXES)


def backup(url: str, dest: Path) -> dict:
    """Write a backup of ``url`` to ``dest`` (new directory or .tar.gz); the manifest."""
    if dest.exists() and (_is_archive(dest) or any(dest.iterdir())):
        raise BackupError(
            f"Tujuan sudah ada dan tidak kosong / destination exists and is not empty: {dest}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the destination and moved in at the end: an interrupted backup
    # never looks like a complete one.
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        created_at = datetime.now(UTC)
        if url.startswith("sqlite"):
            manifest = _backup_sqlite(url, work)
            database_file = work / SQLITE_FILE
        elif url.startswith("postgresql"):
            manifest = _backup_postgresql(url, work)
            database_file = work / PG_DUMP_FILE
        else:
            raise BackupError(f"Jenis basis data tidak dikenal / unknown database: {url!r}")
        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            **manifest,
            "database_file": {
                "name": database_file.name,
                "size": database_file.stat().st_size,
                "sha256": sha256_file(database_file),
            },
            "files_outside_database": [],
        }
        (work / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if _is_archive(dest):
            partial = work.with_name(work.name + ".tar.gz")
            with tarfile.open(partial, "w:gz") as archive:
                for item in sorted(work.iterdir()):
                    archive.add(item, arcname=item.name)
            partial.replace(dest)
        else:
            if dest.exists():
                dest.rmdir()
            work.replace(dest)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return manifest


@contextmanager
def opened(src: Path) -> Iterator[Path]:
    """The backup directory at ``src`` (an archive is unpacked to a temporary one)."""
    if src.is_dir():
        yield src
        return
    if not src.exists():
        raise BackupError(f"Cadangan tidak ditemukan / backup not found: {src}")
    with tempfile.TemporaryDirectory(prefix="layanan-restore-") as tmp:
        with tarfile.open(src, "r:*") as archive:
            archive.extractall(tmp, filter="data")
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="new directory, or a .tar.gz file")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    args = parser.parse_args(argv)
    from config import get_settings

    url = args.url or get_settings().database_url
    try:
        manifest = backup(url, args.dest)
    except BackupError as exc:
        print(f"GAGAL / FAILED: {exc}", file=sys.stderr)
        return 2
    rows = sum(manifest["tables"].values())
    print(
        f"OK: cadangan {manifest['database']['kind']} revisi {manifest['schema_revision']}, "
        f"{rows} baris, {len(manifest['files'])} berkas tersimpan -> {args.dest}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

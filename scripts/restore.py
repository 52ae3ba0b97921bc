"""Restore a backup into an empty database: ``python -m scripts.restore SRC [--url URL]``.

SRC is a directory or ``.tar.gz`` made by ``python -m scripts.backup``; the target is
``DATABASE_URL`` (or ``--url``) and must be of the same kind (SQLite or PostgreSQL).
The target must hold no rows: a database that has any is refused (exit status 2), so
a restore never mixes two offices' data or overwrites the living one. A new database
(or an empty one the app has only migrated) is fine.

Afterwards every table's row count and every stored file's SHA-256 are compared with
the backup's manifest, and the audit chain is walked (as ``python -m
scripts.verify_audit`` does). Exit status 0 only if all of that holds.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from db.models import NOT_MODELLED
from scripts.backup import (
    MANIFEST,
    BackupError,
    find_pg_tool,
    inventory,
    libpq_url,
    opened,
    server_major,
    sha256_file,
    sqlite_path,
)


class NotEmpty(BackupError):
    """The target database holds rows."""


class RestoredDiffers(BackupError):
    """The restore ran but the result does not match the manifest."""


def _kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def rows_in_target(url: str) -> tuple[dict[str, int], bool]:
    """Rows of every non-empty table at ``url``, and whether it has any table at all."""
    if _kind(url) == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise BackupError("Pemulihan ke SQLite di memori tidak didukung / in-memory target")
        if not path.exists():
            return {}, False
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            counts = {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                for name in tables
                # Not rows of the office: Alembic's revision, and the text index's own
                # tables (FTS5 keeps a config and a root row even when empty).
                if name != "alembic_version" and name not in NOT_MODELLED
            }
    except Exception as exc:  # the operator gets one line, not a traceback
        raise BackupError(
            f"Basis data tujuan tidak dapat dibuka / cannot open target: {exc}"
        ) from exc
    finally:
        engine.dispose()
    return {name: n for name, n in counts.items() if n}, bool(tables)


def _restore_sqlite(backup_file: Path, url: str) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(backup_file)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_postgresql(backup_file: Path, url: str, *, has_tables: bool) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        major = server_major(conn)
    engine.dispose()
    dsn, env = libpq_url(url)
    command = [
        find_pg_tool("pg_restore", major),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={dsn}",
    ]
    if has_tables:  # only empty tables (checked): let the dump's definitions replace them
        command[1:1] = ["--clean", "--if-exists"]
    done = subprocess.run([*command, str(backup_file)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore gagal / failed: {done.stderr.strip()}")


def restore(src: Path, url: str) -> dict:
    """Restore the backup at ``src`` into the empty database ``url``; its manifest."""
    with opened(src) as folder:
        manifest_path = folder / MANIFEST
        if not manifest_path.exists():
            raise BackupError(f"{MANIFEST} tidak ada di / missing in {src}")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        backup_file = folder / manifest["database_file"]["name"]
        if (
            not backup_file.exists()
            or sha256_file(backup_file) != manifest["database_file"]["sha256"]
        ):
            raise BackupError(
                f"Berkas cadangan {backup_file.name} rusak atau hilang (SHA-256 tidak cocok) / "
                "backup file damaged or missing"
            )
        kind = manifest["database"]["kind"]
        if kind != _kind(url):
            raise BackupError(
                f"Cadangan {kind} tidak dapat dipulihkan ke {_kind(url)} / "
                f"a {kind} backup cannot be restored into {_kind(url)}"
            )
        rows, has_tables = rows_in_target(url)
        if rows:
            listed = ", ".join(f"{name} ({n} baris)" for name, n in sorted(rows.items()))
            raise NotEmpty(
                f"Basis data tujuan tidak kosong: {listed}. Pemulihan hanya ke basis data "
                "kosong; buat basis data baru dan arahkan DATABASE_URL ke sana. / The target "
                "database is not empty; restore only into an empty database."
            )
        if kind == "sqlite":
            _restore_sqlite(backup_file, url)
        else:
            _restore_postgresql(backup_file, url, has_tables=has_tables)
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        restored = inventory(conn)
    engine.dispose()
    expected = {key: manifest[key] for key in ("schema_revision", "tables", "files")}
    if restored != expected:
        wrong = [key for key in expected if restored[key] != expected[key]]
        raise RestoredDiffers(
            f"Hasil pemulihan berbeda dari manifes ({', '.join(wrong)}) / "
            "restored database differs from the manifest"
        )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="backup directory or .tar.gz")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    args = parser.parse_args(argv)
    from config import get_settings
    from services.audit import verify

    url = args.url or get_settings().database_url
    try:
        manifest = restore(args.src, url)
    except RestoredDiffers as exc:
        print(f"GAGAL / FAILED: {exc}", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"DITOLAK / REFUSED: {exc}", file=sys.stderr)
        return 2
    result = verify(url)
    if not result.ok:
        print(f"RUSAK / BROKEN audit chain: {result.broken.describe()}", file=sys.stderr)
        return 1
    rows = sum(manifest["tables"].values())
    print(
        f"OK: {rows} baris dan {len(manifest['files'])} berkas dipulihkan dari cadangan "
        f"{manifest['created_at']} (revisi {manifest['schema_revision']}); rantai audit utuh "
        f"({result.events} peristiwa)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Empty databases on demand, for tests that need more than the shared ``db`` (a
database at an old revision, a restore target, two processes racing on an empty one)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from sqlalchemy import create_engine, event, text

from config import ROOT
from db import engine as db_engine
from tests.conftest import POSTGRES_SERVER_URL


@contextmanager
def empty_database(backend: str, tmp_path: Path, label: str = "fresh") -> Iterator[str]:
    """The URL of a new, empty (not migrated) database; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{label}-{uuid.uuid4().hex[:6]}.db'}"
        return
    name = f"layanan_{label}_{uuid.uuid4().hex[:8]}"
    server = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER_URL.rpartition('/')[0]}/{name}"
    finally:
        db_engine.dispose_all()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@contextmanager
def statements_run(url: str | None = None) -> Iterator[list[tuple[str, object]]]:
    """Every statement sent to the database at ``url`` (default: the settings') inside
    the block, with its parameters, in order."""
    engine = db_engine.get_engine(url)
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg

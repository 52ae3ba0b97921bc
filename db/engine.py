"""Engine and sessions from ``DATABASE_URL``; the schema is migrated on first use.

SQLite (default, one office on a laptop) and PostgreSQL (a province, several app
replicas) are both supported. Writers need the complaint row to themselves while they
check its version: PostgreSQL gets ``SELECT ... FOR UPDATE`` in the workflow, SQLite
gets ``BEGIN IMMEDIATE`` here, which takes the database's write lock up front so a
second writer waits and then sees the new version instead of failing half-way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from config import ROOT, get_settings

_lock = threading.Lock()
_engines: dict[tuple[str, bool], Engine] = {}
_migrated: set[str] = set()


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's
        # documented recipe), so that BEGIN IMMEDIATE below takes effect.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def get_engine(url: str | None = None, *, for_writing: bool = False) -> Engine:
    """The process-wide engine for ``url`` (default: settings), migrated on first use."""
    url = url or get_settings().database_url
    is_sqlite = url.startswith("sqlite")
    key = (url, for_writing and is_sqlite)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            if is_sqlite:
                path = url.removeprefix("sqlite:///")
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = _sqlite_engine(url, immediate=key[1])
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            _engines[key] = engine
        if url not in _migrated:
            migrate(url)
            _migrated.add(url)
    return engine


def migrate(url: str) -> None:
    """Bring the schema at ``url`` to the newest Alembic revision.

    On PostgreSQL an advisory lock keeps several replicas starting at once from
    running the same migration twice.
    """
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(724311)"))
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(724311)"))
                conn.commit()
        engine.dispose()
    else:
        command.upgrade(cfg, "head")


def dispose_all() -> None:
    """Forget every engine (tests switch databases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A session for queries; nothing it does is committed."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed if the block ends normally, rolled back otherwise."""
    session = sessionmaker(get_engine(url, for_writing=True), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""Engine and sessions from ``DATABASE_URL``; the schema is migrated on first use.

SQLite (default, one office on a laptop) and PostgreSQL (a province, several app
replicas) are both supported. Writers need the complaint row to themselves while they
check its version: PostgreSQL gets ``SELECT ... FOR UPDATE`` in the workflow, SQLite
gets ``BEGIN IMMEDIATE`` here, which takes the database's write lock up front so a
second writer waits and then sees the new version instead of failing half-way.

Several processes may start on one database at once (replicas, ``run-demo`` beside a
running app): ``schema_lock`` lets one at a time migrate (and seed the demo data, which
is checked and written under the same lock), on SQLite through a lock file beside the
database, on PostgreSQL through an advisory lock.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from config import ROOT, get_settings

_lock = threading.Lock()
_engines: dict[tuple[str, bool], Engine] = {}
_migrated: set[str] = set()
# pg_advisory_lock key of the schema lock (any constant all processes agree on).
SCHEMA_LOCK_KEY = 724311


def _sqlite_path(url: str) -> str | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") else path


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


@contextmanager
def schema_lock(url: str) -> Iterator[Connection | None]:
    """Hold the database's schema lock: one process at a time migrates or seeds.

    PostgreSQL: a session advisory lock, on the connection yielded (migrations run on
    it). SQLite: an exclusive ``flock`` on ``<database>.lock``. SQLite's own write lock
    is not enough: Alembic reads the current revision before it writes, so two
    processes both find an empty file and both run 0001 ("table counters already
    exists"). The lock file is left in place; the kernel drops the lock when the
    process ends, however it ends.
    """
    if url.startswith("postgresql"):
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                conn.commit()
                try:
                    yield conn
                finally:
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                    conn.commit()
        finally:
            engine.dispose()
        return
    path = _sqlite_path(url)
    if path is None:  # in-memory: private to this process, nothing to race with
        yield None
        return
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(url: str) -> None:
    """Bring the schema at ``url`` to the newest Alembic revision, under ``schema_lock``
    so that several processes starting at once run each migration exactly once."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    from db import aggregates  # here: db.aggregates imports the models and db.stats

    with schema_lock(url) as conn:
        if conn is not None:
            cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn is not None:
            aggregates.ensure_current(conn)
            conn.commit()
        elif _sqlite_path(url) is not None:  # an in-memory database has nothing to keep
            engine = create_engine(url)
            try:
                with engine.begin() as sqlite_conn:
                    aggregates.ensure_current(sqlite_conn)
            finally:
                engine.dispose()


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

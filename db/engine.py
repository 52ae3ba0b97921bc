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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from config import ROOT, get_settings

_lock = threading.Lock()
_engines: dict[tuple[str, bool], Engine] = {}
_migrated: set[str] = set()
# pg_advisory_lock key of the schema lock (any constant all processes agree on).
SCHEMA_LOCK_KEY = 724311
# A pooled PostgreSQL connection is pinged before use only after it sat this long in
# the pool (``_postgres_engine``).
PING_AFTER_IDLE_SECONDS = 1.0


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


def _postgres_engine(url: str) -> Engine:
    """A pooled engine whose connections are checked before use when they may be stale.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and a page run checks a
    connection out for every service call: at ~0.8 ms of CPU a ping, that was a tenth
    of a page's server CPU (issue 14). A connection back in the pool for less than
    ``PING_AFTER_IDLE_SECONDS`` was just used by this process, so it is taken as is; one
    idle longer (a restart of PostgreSQL, a proxy's idle timeout) is pinged, and a dead
    one is replaced before the page sees it. A connection that dies within that second
    fails its statement once, and SQLAlchemy then drops the whole pool's connections.
    """
    # LIFO: the connection checked in last is taken first, so a page run keeps reusing
    # one fresh connection and the rest of the pool sits idle (and gets pinged) instead
    # of every connection being rotated through.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_use_lifo=True)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one this process used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                # The pool discards this connection and checks out a new one.
                raise exc.DisconnectionError() from err
            raise

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
                engine = _postgres_engine(url)
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
        _makers.clear()
        _migrated.clear()


_makers: dict[Engine, sessionmaker] = {}


def _new_session(engine: Engine) -> Session:
    """A session on ``engine``. One ``sessionmaker`` per engine: each one builds its own
    Session subclass and event registry, half a millisecond of CPU, and every service
    call opens a session (issue 14)."""
    maker = _makers.get(engine)
    if maker is None:
        maker = _makers.setdefault(engine, sessionmaker(engine, expire_on_commit=False))
    return maker()


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A session for queries; nothing it does is committed."""
    session = _new_session(get_engine(url))
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed if the block ends normally, rolled back otherwise."""
    session = _new_session(get_engine(url, for_writing=True))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

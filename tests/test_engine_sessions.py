"""db.engine: what every service call pays to open a session, and what it still checks.

A page run opens a session for each service it calls. Two costs of that were a large part
of a page's server CPU (issue 14): a new ``sessionmaker`` (and Session subclass) for every
session, and a ping of the pooled PostgreSQL connection on every checkout.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from db import engine as db_engine
from db.engine import read_session, write_session
from tests.conftest import BACKENDS


def test_every_session_of_a_database_comes_from_one_sessionmaker(db):
    with read_session() as first, read_session() as second, write_session() as writing:
        assert type(first) is type(second)
        assert first is not second
        assert first.execute(text("SELECT 1")).scalar() == 1
        assert writing.execute(text("SELECT 1")).scalar() == 1


def _pings(monkeypatch, engine) -> list[int]:
    pinged: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pinged.append(id(dbapi_connection))
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pinged


def _backend_pid(session) -> int:
    return session.execute(text("SELECT pg_backend_pid()")).scalar()


# PostgreSQL only: a SQLite file has no server connection to lose. (Without a
# PostgreSQL server, outside CI, the list is empty and pytest says so.)
@pytest.mark.parametrize("db_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_dropped_one_is_replaced(
    db, monkeypatch
):
    engine = db_engine.get_engine()
    pinged = _pings(monkeypatch, engine)
    with read_session() as session:
        first = _backend_pid(session)
    for _ in range(5):  # a page run: one session per service call, a moment apart
        with read_session() as session:
            assert _backend_pid(session) == first
    assert pinged == []

    # PostgreSQL drops the connection while it waits in the pool (a restart, an idle
    # timeout). Idle past the threshold, it is pinged, found dead and replaced: the
    # next service call runs on a new connection instead of failing.
    outside = create_engine(db, poolclass=NullPool)
    try:
        with outside.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            admin.commit()
    finally:
        outside.dispose()
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    with read_session() as session:
        replaced = _backend_pid(session)
        assert session.execute(text("SELECT count(*) FROM users")).scalar() >= 0
    assert replaced != first
    assert len(pinged) >= 1

"""Helpers the page and dashboard benchmarks share: switching databases, scratch DBs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text

import config
from db import engine as db_engine


def use_database(url: str) -> None:
    """Point the app (settings and engines) at ``url`` for the next AppTest run."""
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db_engine.dispose_all()


def scratch_postgres_database(server: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on ``server``; returns its URL and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        db_engine.dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{server.rpartition('/')[0]}/{name}", drop

"""Named counters that must never repeat (ticket numbers, letter numbers per year)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Counter


def next_counter(session: Session, name: str) -> int:
    """Next value of a named counter, atomic under concurrent writers on both databases."""
    bump = (
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is None:
        dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        value = session.execute(bump).scalar_one()
    return value

"""Append-only, tamper-evident history: the hash chain of step events and the triggers.

Two defences, described in docs/audit.md:

- **Triggers** (``install_append_only``) make the database itself refuse UPDATE and
  DELETE on ``step_events`` and ``confidential_views``, on SQLite and PostgreSQL. This
  module is the one place that defines their DDL: migration 0005 and the tests' cleanup
  (tests/conftest.py) both call it.
- **A hash chain per complaint**: every ``StepEvent`` stores ``prev_hash`` (the hash of
  the complaint's previous event by ``seq``, or ``GENESIS`` for its first event) and
  ``hash = sha256(prev_hash + canonical JSON of its content)``. Editing a row behind
  the triggers' back breaks its own hash; recomputing that hash breaks the next
  event's ``prev_hash``. ``scripts/verify_audit.py`` walks the chains.

Why per complaint and not one global chain: ``services.workflow`` already holds the
complaint's row lock (``SELECT ... FOR UPDATE`` / ``BEGIN IMMEDIATE``) while it appends
an event, so reading the complaint's previous event inside that lock is race-free.
A global chain would need every writer of every complaint to serialise on one "last
event" row, which the province's PostgreSQL deployment with several replicas would
feel at once.

Every ORM insert of a ``StepEvent`` is chained by ``fill_hash`` (a ``before_insert``
mapper event registered in ``db.models``), so no writer can forget it. Core inserts
(``benchmarks/bulk_seed.py``) bypass mapper events and call ``chain`` themselves; the
NOT NULL columns make a Core insert that forgets fail.

This module imports nothing from ``db.models`` (which imports it), so there is no
import cycle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, column, select, table
from sqlalchemy.orm import object_session

GENESIS = "0" * 64
"""The ``prev_hash`` of a complaint's first event."""

CONTENT_COLUMNS: tuple[str, ...] = (
    "complaint_id",
    "seq",
    "step",
    "action",
    "to_step",
    "actor_id",
    "actor_name",
    "role",
    "at",
    "step_entered_at",
    "working_minutes",
    "standard_minutes",
    "note",
    "payload",
)
"""Every content column of ``step_events`` (all but ``id`` and the two hashes)."""

APPEND_ONLY_TABLES: tuple[str, ...] = ("step_events", "confidential_views")


# --- the hash ------------------------------------------------------------------------------


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_INSTANTS = ("at", "step_entered_at")


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime in a step event: use aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(event: Mapping[str, Any]) -> str:
    """The canonical JSON of an event's content: sorted keys, no whitespace, UTC times.

    ``event`` is a mapping with every name of ``CONTENT_COLUMNS`` (a Core row's
    ``_mapping``, a dict for a bulk insert). Datetimes are written as
    ``2026-11-27T06:00:00.000000Z``; the payload's keys are sorted at every depth.
    """
    doc = {name: event[name] for name in CONTENT_COLUMNS}
    for name in _INSTANTS:
        doc[name] = _utc(doc[name])
    return _ENCODER.encode(doc)


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """sha256 hex of ``prev_hash`` followed by the event's canonical JSON (UTF-8)."""
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def chain(events: Iterable[MutableMapping[str, Any]], prev_hash: str = GENESIS) -> str:
    """Set ``prev_hash`` and ``hash`` on one complaint's new events (dicts, in seq order).

    ``prev_hash`` is the hash of the complaint's last stored event (``GENESIS`` for a
    new complaint). Returns the hash of the last event: for Core bulk inserts.
    """
    for event in events:
        event["prev_hash"] = prev_hash
        event["hash"] = prev_hash = event_hash(prev_hash, event)
    return prev_hash


# --- the ORM hook -------------------------------------------------------------------------

_EVENTS = table("step_events", column("complaint_id"), column("seq"), column("hash"), column("id"))


def _content(target: Any) -> dict[str, Any]:
    return {name: getattr(target, name) for name in CONTENT_COLUMNS}


def _previous_hash(connection: Connection, target: Any) -> str:
    if target.seq == 1:
        return GENESIS
    # An earlier event of the same complaint may be pending in the same flush: the unit
    # of work calls before_insert for the whole batch before any INSERT is sent.
    session = object_session(target)
    if session is not None:
        for other in session.new:
            if (
                other is not target
                and type(other) is type(target)
                and other.complaint_id == target.complaint_id
                and other.seq == target.seq - 1
            ):
                if other.hash is None:
                    fill_hash(None, connection, other)
                return other.hash
    found = connection.execute(
        select(_EVENTS.c.hash).where(
            _EVENTS.c.complaint_id == target.complaint_id, _EVENTS.c.seq == target.seq - 1
        )
    ).scalar_one_or_none()
    if found is None:
        raise ValueError(
            f"step event seq {target.seq} of complaint {target.complaint_id} has no "
            f"event seq {target.seq - 1} to chain to"
        )
    return found


def fill_hash(_mapper: Any, connection: Connection, target: Any) -> None:
    """``before_insert`` of ``StepEvent``: chain the new event to its predecessor."""
    if target.payload is None:  # the column default, applied here so it is hashed
        target.payload = {}
    if target.seq is None or target.seq < 1:
        raise ValueError("a step event needs seq >= 1")
    prev = _previous_hash(connection, target)
    target.prev_hash = prev
    target.hash = event_hash(prev, _content(target))


# --- the triggers -------------------------------------------------------------------------

PG_FUNCTION = "layanan_refuse_change"


def _trigger_names(name: str) -> tuple[str, str]:
    return f"trg_{name}_no_update", f"trg_{name}_no_delete"


def install_append_only(conn: Connection, tables: Iterable[str] = APPEND_ONLY_TABLES) -> None:
    """Make ``tables`` refuse UPDATE and DELETE (idempotent). TRUNCATE is not refused."""
    tables = tuple(tables)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"""
            CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION USING
                    MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME
                        || ' refused: the table is append-only (audit trail)',
                    ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        for name in tables:
            trigger = f"trg_{name}_append_only"
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {name}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {name} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
        return
    for name in tables:
        for trigger, operation in zip(_trigger_names(name), ("UPDATE", "DELETE"), strict=True):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {trigger} BEFORE {operation} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, '{operation} on {name} refused: the table is "
                f"append-only (audit trail)'); END"
            )


def drop_append_only(conn: Connection, tables: Iterable[str] = APPEND_ONLY_TABLES) -> None:
    """Remove the triggers of ``install_append_only`` (downgrade, test cleanup)."""
    tables = tuple(tables)
    if conn.dialect.name == "postgresql":
        for name in tables:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{name}_append_only ON {name}")
        if set(tables) >= set(APPEND_ONLY_TABLES):
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
        return
    for name in tables:
        for trigger in _trigger_names(name):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")

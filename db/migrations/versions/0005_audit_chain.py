"""audit chain: hashes on step events, append-only triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:30:00

- step_events gains prev_hash and hash (sha256 hex), backfilled for existing events
  per complaint in seq order, then made NOT NULL;
- step_events and confidential_views refuse UPDATE and DELETE (triggers, db.audit).

The hash rules are copied here in a frozen form instead of importing db.audit: a
migration must compute tomorrow exactly what it computes today, even if db.audit's
canonical form is changed later by a new migration (which would then re-hash with its
own frozen copy). tests/test_audit.py checks that what this copy writes verifies with
db.audit today. The trigger DDL is the one in db.audit (one definition, shared with the
tests' cleanup), called with this migration's own list of tables; if that DDL ever has
to change incompatibly, freeze today's version here first.

Speed: events are read in keyset batches of (complaint_id, seq) over the unique index,
hashed in Python and written back per batch (PostgreSQL: one UPDATE ... FROM unnest() of
three arrays per batch; SQLite: executemany by primary key). Figures are in docs/audit.md.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from db import audit

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("step_events", "confidential_views")
BATCH = 10_000

# --- frozen copy of the hash rules of 2026-12 (db.audit.event_hash) -------------------
GENESIS = "0" * 64
CONTENT = (
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


def _utc(value):
    if isinstance(value, str):  # SQLite hands back the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored as UTC without offset (SQLite)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(prev: str, row) -> str:
    doc = {name: row[name] for name in CONTENT}
    doc["at"] = _utc(doc["at"])
    doc["step_entered_at"] = _utc(doc["step_entered_at"])
    payload = doc["payload"]
    doc["payload"] = json.loads(payload) if isinstance(payload, str) else payload
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------


def _backfill(conn) -> None:
    events = sa.table(
        "step_events",
        sa.column("id"),
        *(sa.column(name) for name in CONTENT),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    # Plain columns (no model types): the frozen code reads raw values.
    query = sa.select(events.c.id, *(events.c[name] for name in CONTENT)).order_by(
        events.c.complaint_id, events.c.seq
    )
    postgres = conn.dialect.name == "postgresql"
    last_key = None
    prev, current = GENESIS, None
    while True:
        page = query
        if last_key is not None:
            page = page.where(sa.tuple_(events.c.complaint_id, events.c.seq) > last_key)
        rows = conn.execute(page.limit(BATCH)).mappings().all()
        if not rows:
            break
        out = []
        for row in rows:
            if row["complaint_id"] != current:
                current, prev = row["complaint_id"], GENESIS
            digest = _hash(prev, row)
            out.append({"i": row["id"], "p": prev, "h": digest})
            prev = digest
        last_key = (rows[-1]["complaint_id"], rows[-1]["seq"])
        if postgres:  # three array parameters a batch: nothing to compile per row
            conn.execute(
                sa.text(
                    "UPDATE step_events AS e SET prev_hash = v.p, hash = v.h "
                    "FROM unnest(CAST(:i AS bigint[]), CAST(:p AS text[]), "
                    "CAST(:h AS text[])) AS v(i, p, h) WHERE e.id = v.i"
                ),
                {k: [r[k] for r in out] for k in ("i", "p", "h")},
            )
        else:
            conn.execute(
                sa.text("UPDATE step_events SET prev_hash = :p, hash = :h WHERE id = :i"), out
            )


def upgrade() -> None:
    with op.batch_alter_table("step_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill(op.get_bind())
    # SQLite rebuilds the table here (batch mode): the triggers come after.
    with op.batch_alter_table("step_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    audit.install_append_only(op.get_bind(), TABLES)


def downgrade() -> None:
    audit.drop_append_only(op.get_bind(), TABLES)
    with op.batch_alter_table("step_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")

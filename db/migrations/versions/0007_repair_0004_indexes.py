"""repair databases migrated with the first, released version of 0004

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:30:00

Migration 0004 was edited after its release (commit e0573ee added
``ix_complaints_open_received``). A database that ran the released 0004 is marked as at
0004 and so never ran the added line: it reaches head without the index, and the
dashboard's open-complaint ages scan the table. Released migrations are never edited
again; this one creates whatever 0004 index is missing and leaves existing ones alone,
so it is a no-op on databases built with the edited 0004 and can run any number of
times (SQLite and PostgreSQL alike).

The list is frozen here (not read from db.models): a migration must do tomorrow what it
does today. tests/test_migrations.py builds a database at every earlier revision,
including the released 0004 shape, upgrades it and compares the schema to the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every index migration 0004 creates today, as (table, name, columns).
INDEXES_OF_0004 = (
    (
        "step_events",
        "ix_step_events_stats_at",
        ["at", "action", "step", "standard_minutes", "working_minutes", "role", "actor_id"],
    ),
    (
        "step_events",
        "ix_step_events_complaint_step",
        ["complaint_id", "step", "at", "working_minutes"],
    ),
    ("step_events", "ix_step_events_action_at", ["action", "at", "complaint_id"]),
    ("complaints", "ix_complaints_closed", ["closed_at"]),
    ("complaints", "ix_complaints_approved", ["approved_at"]),
    ("complaints", "ix_complaints_open_received", ["current_step", "received_at"]),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing: dict[str, set[str]] = {}
    for table, name, columns in INDEXES_OF_0004:
        if table not in existing:
            existing[table] = {ix["name"] for ix in inspector.get_indexes(table)}
        if name not in existing[table]:
            op.create_index(name, table, columns)


def downgrade() -> None:
    # The indexes belong to 0004, whose downgrade drops them; nothing to undo here.
    pass

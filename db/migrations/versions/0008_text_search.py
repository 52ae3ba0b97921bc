"""text search that does not scan: trigram indexes (PostgreSQL), FTS5 (SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:15:00

Search by text (db.queries) looked for ``%text%`` in the ticket, complainant name,
subject and body of every complaint: its cost grew with history. Both databases now
answer it from an index over those four columns, with the same substring semantics:

- PostgreSQL: ``pg_trgm`` GIN indexes, one per column (``gin_trgm_ops``), which serve
  ``ILIKE '%text%'`` directly (a bitmap index scan per column, OR-ed). ``CREATE
  EXTENSION`` needs a superuser or a role allowed to create trusted extensions
  (pg_trgm is trusted from PostgreSQL 13 for a database owner); where the app's role
  may not, a superuser runs ``CREATE EXTENSION pg_trgm`` in the app's database once,
  before this migration (docs/architecture.md, "Text search").
- SQLite: an FTS5 table with the trigram tokenizer (substring matching, case-folded),
  external-content on ``complaints`` (no second copy of the text), kept in step by
  three triggers, and filled from the existing rows here.

The FTS5 table and its shadow tables are not ORM models (db.models.NOT_MODELLED says
so; tests/test_migrations.py compares everything else). A later migration that
rebuilds ``complaints`` in SQLite batch mode drops the triggers with the table and
must recreate them (``install_sqlite_fts``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("ticket", "complainant_name", "subject", "body")
# Frozen here (not read from db.models): a migration must do tomorrow what it does today.
TRIGRAM_INDEXES = {column: f"ix_complaints_{column}_trgm" for column in COLUMNS}
FTS = "complaints_fts"


def install_sqlite_fts(conn) -> None:
    """The FTS5 table, its triggers and its contents (idempotent)."""
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5({cols}, "
        "content='complaints', content_rowid='id', tokenize='trigram')"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON complaints BEGIN "
        f"INSERT INTO {FTS}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON complaints BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    # Only an update of an indexed column touches the index (a step advance does not).
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF id, {cols} ON complaints "
        f"BEGIN INSERT INTO {FTS}({FTS}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {FTS}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    conn.exec_driver_sql(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column, name in TRIGRAM_INDEXES.items():
            op.create_index(
                name,
                "complaints",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
    else:
        install_sqlite_fts(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES.values():
            op.drop_index(name, table_name="complaints")
        # The extension stays: other databases objects may use it, and dropping it
        # needs the same privilege as creating it.
    else:
        for suffix in ("ai", "ad", "au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS}")

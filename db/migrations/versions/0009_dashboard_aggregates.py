"""per-day dashboard aggregates (agg_step_days, agg_on_time_days, agg_closed_days, ...)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:30:00

The tables of ``db.aggregates`` (docs/dashboard.md, "Aggregates"), created empty, and
``agg_definition``, the version of their definition they were last filled under. The
migration holds no fill of its own (a migration's SQL is frozen, the definition is
not): ``db.engine.migrate`` calls ``db.aggregates.ensure_current`` after every
upgrade, which rebuilds them when the stored version is not the code's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = (
    ("day", sa.String(10)),
    ("channel", sa.String(30)),
    ("category", sa.String(100)),
)


def _table(
    name: str, keys: list[tuple[str, sa.types.TypeEngine]], measures: list[str], dims=DIMENSIONS
) -> None:
    columns = [sa.Column(n, t, nullable=False) for n, t in (*dims, *keys)]
    columns += [sa.Column(m, sa.Integer(), nullable=False) for m in measures]
    pk = [n for n, _t in (*dims, *keys)]
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*pk, name=op.f(f"pk_{name}")))


def upgrade() -> None:
    _table(
        "agg_step_days",
        [
            ("step", sa.Integer()),
            ("standard_minutes", sa.Integer()),
            ("minutes", sa.Integer()),
        ],
        ["count"],
        dims=DIMENSIONS[:1],
    )
    _table("agg_on_time_days", [("unit_actor_id", sa.Integer())], ["count", "on_time"])
    _table(
        "agg_closed_days",
        [("form", sa.String(10)), ("minutes", sa.Integer())],
        ["count"],
        dims=DIMENSIONS[:1],
    )
    _table("agg_received_days", [("form", sa.String(10))], ["count"])
    _table("agg_rating_days", [("score", sa.Integer())], ["count"])
    _table(
        "agg_clock_days",
        [("supervisory", sa.Integer()), ("clock", sa.String(20)), ("state", sa.String(10))],
        ["count"],
        dims=DIMENSIONS[:1],
    )
    _table(
        "agg_unit_days",
        [("unit_id", sa.Integer()), ("kind", sa.String(20))],
        ["count", "rounds"],
        dims=DIMENSIONS[:1],
    )
    op.create_table(
        "agg_definition",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agg_definition")),
    )


def downgrade() -> None:
    for name in (
        "agg_definition",
        "agg_unit_days",
        "agg_clock_days",
        "agg_on_time_days",
        "agg_rating_days",
        "agg_received_days",
        "agg_closed_days",
        "agg_step_days",
    ):
        op.drop_table(name)

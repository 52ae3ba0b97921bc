"""incoming letter: complaints.incoming_letter_number, incoming_letter_date,
complainant_city; one notion of confidentiality

Revision ID: 0013_incoming_letter
Revises: 0012_signed_pdf
Create Date: 2026-12-01 18:30:00

The disposition sheet and the register print the incoming letter's own number and date
(captured at intake for paper channels), and the reply letter's "di ..." line the
complainant's city (kota/kabupaten). Sifat becomes the letter's urgency only: a complaint
recorded with Sifat "rahasia" is made confidential (the flag that masking, the portal
and every document read) and its Sifat "biasa", so no complaint keeps two notions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_incoming_letter"
down_revision: str | None = "0012_signed_pdf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): no table rebuild on SQLite, so the FTS triggers of
    # 0008 stay as they are.
    op.add_column("complaints", sa.Column("incoming_letter_number", sa.String(100)))
    op.add_column("complaints", sa.Column("incoming_letter_date", sa.Date()))
    op.add_column("complaints", sa.Column("complainant_city", sa.String(100)))
    complaints = sa.table(
        "complaints",
        sa.column("sifat", sa.String),
        sa.column("confidential", sa.Boolean),
    )
    op.execute(
        complaints.update()
        .where(complaints.c.sifat == "rahasia")
        .values(confidential=True, sifat="biasa")
    )


def downgrade() -> None:
    # The confidential flag set from Sifat "rahasia" stays: making a complaint public
    # again is not something a downgrade may decide.
    # Plain DROP COLUMN (SQLite 3.35+): no rebuild that would lose the FTS triggers.
    for column in ("complainant_city", "incoming_letter_date", "incoming_letter_number"):
        op.drop_column("complaints", column)

"""signed_pdf: signed_letters

Revision ID: 0012_signed_pdf
Revises: 0010
Create Date: 2026-12-01 18:30:00

The signed reply letter as PDF with its public verification (``services.signed_letter``,
docs/letters.md "The signed PDF and /verifikasi"): one row per signing with the
verification code printed on the letter (unique), what /verifikasi shows (number, date,
Hal, signer) and the PDF converted after commit with its SHA-256.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0012_signed_pdf"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = db.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signed_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("letter_number", sa.String(length=100), nullable=False),
        sa.Column("signed_at", UTC_TIME, nullable=False),
        sa.Column("hal", sa.String(length=300), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_title", sa.String(length=300), nullable=False),
        sa.Column("signer_nip", sa.String(length=30), nullable=False),
        sa.Column("docx_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_ready_at", UTC_TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_signed_letters_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_letters")),
        sa.UniqueConstraint("code", name=op.f("uq_signed_letters_code")),
    )
    with op.batch_alter_table("signed_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_letters_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signed_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_letters_complaint_id"))
    op.drop_table("signed_letters")

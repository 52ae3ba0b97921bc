"""notifications: notifications, notification_recipients, notification_digests,
complainant_opt_outs, scheduled_reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00

Reminders and escalations of the SOP clocks (``services.notifications``): one row per
complaint, step round and kind (a unique key, so that several evaluating processes
cannot fire one twice), its recipients with their read state, and the morning digest
sent to each user per office day (unique per user and day), and the complaints whose
complainant opted out of messages on /lacak, and the scheduled reports sent (unique per
kind and period).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = db.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_notifications_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("complaint_id", "step", "round", "kind", name="uq_notifications_key"),
    )
    op.create_table(
        "notification_recipients",
        sa.Column("notification_id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", UTC_TIME, nullable=True),
        sa.Column("outbox_message_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_recipients_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_recipients_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_notification_recipients_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint(
            "notification_id", "user_id", name=op.f("pk_notification_recipients")
        ),
    )
    with op.batch_alter_table("notification_recipients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_recipients_user", ["user_id", "read_at"], unique=False
        )
    op.create_table(
        "notification_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("outbox_message_id", BIG_ID, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_digests_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_notification_digests_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_digests")),
        sa.UniqueConstraint("user_id", "day", name="uq_notification_digests_user_day"),
    )
    op.create_table(
        "complainant_opt_outs",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complainant_opt_outs_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complainant_opt_outs")),
    )
    op.create_table(
        "scheduled_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_reports")),
        sa.UniqueConstraint("kind", "period", name="uq_scheduled_reports_kind_period"),
    )


def downgrade() -> None:
    op.drop_table("scheduled_reports")
    op.drop_table("complainant_opt_outs")
    op.drop_table("notification_digests")
    with op.batch_alter_table("notification_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_recipients_user")
    op.drop_table("notification_recipients")
    op.drop_table("notifications")

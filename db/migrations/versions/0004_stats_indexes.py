"""stats indexes for the monitoring dashboard

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 22:40:00

Covering indexes so the dashboard's aggregates read index ranges, not the table:
- step_events (at, action, step, standard_minutes, working_minutes, role, actor_id):
  the step-time histogram of a period in one covering range scan;
- step_events (complaint_id, step, at, working_minutes): the regulatory clocks' "when
  was step N done" seeks and the per-complaint sum of working minutes (end to end);
- step_events (action, at, complaint_id): drafts submitted and returned in a period;
- complaints (closed_at), complaints (approved_at): complaints closed / approved in a
  period; complaints (current_step, received_at): ages of the open complaints.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEP_EVENT_INDEXES = {
    "ix_step_events_stats_at": [
        "at",
        "action",
        "step",
        "standard_minutes",
        "working_minutes",
        "role",
        "actor_id",
    ],
    "ix_step_events_complaint_step": ["complaint_id", "step", "at", "working_minutes"],
    "ix_step_events_action_at": ["action", "at", "complaint_id"],
}
COMPLAINT_INDEXES = {
    "ix_complaints_closed": ["closed_at"],
    "ix_complaints_approved": ["approved_at"],
    "ix_complaints_open_received": ["current_step", "received_at"],
}


def upgrade() -> None:
    for name, columns in STEP_EVENT_INDEXES.items():
        op.create_index(name, "step_events", columns)
    for name, columns in COMPLAINT_INDEXES.items():
        op.create_index(name, "complaints", columns)


def downgrade() -> None:
    for name in COMPLAINT_INDEXES:
        op.drop_index(name, table_name="complaints")
    for name in STEP_EVENT_INDEXES:
        op.drop_index(name, table_name="step_events")

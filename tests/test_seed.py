"""Demo data: every role has a user, complaints sit at every step, events are consistent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from db.engine import read_session, write_session
from db.models import Complaint, StepEvent, User
from layanan import sop
from services.calendar_settings import load_calendar
from services.passwords import verify_password
from services.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def test_demo_data_covers_every_step_role_and_path(db):
    with write_session() as session:
        seed_demo(session, count=120, now=NOW)
    with read_session() as session:
        users = session.scalars(select(User)).all()
        assert {r for u in users for r in u.roles} >= {
            r.value for r in sop.Role if r is not sop.Role.PEMOHON
        }
        assert all(verify_password(u.password_hash, DEMO_PASSWORD) for u in users)
        assert len(users) == len(DEMO_USERS)
        open_steps = set(
            session.scalars(
                select(Complaint.current_step).where(Complaint.current_step.is_not(None))
            )
        )
        assert open_steps == set(range(2, 13))
        assert session.scalar(select(func.count()).where(Complaint.current_step.is_(None))) > 40
        assert session.scalar(select(func.count()).where(Complaint.form == "lisan")) > 0
        assert session.scalar(select(func.count()).where(Complaint.draft_rounds >= 3)) > 0
        assert session.scalar(select(func.count()).where(Complaint.step_due_at < NOW)) > 0
        calendar = load_calendar(session)
        events = session.scalars(
            select(StepEvent).order_by(StepEvent.complaint_id, StepEvent.seq)
        ).all()
        for event in events[:400]:
            assert event.at <= NOW
            assert event.working_minutes == calendar.working_minutes(
                event.step_entered_at, event.at
            )

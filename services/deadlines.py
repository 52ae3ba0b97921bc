"""A complaint's two clocks: its current step's deadline and its regulatory deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Complaint, StepEvent
from layanan import sop
from layanan.clocks import Clock, regulatory_clocks
from layanan.errors import NotFound
from services.calendar_settings import load_calendar, load_standards


@dataclass(frozen=True)
class Deadlines:
    step: int | None
    step_due_at: datetime | None  # None once the complaint is closed
    regulatory: tuple[Clock, ...]  # verification, follow-up, completion


def deadlines_in(session: Session, complaint: Complaint) -> Deadlines:
    """Deadlines of a loaded complaint, from its events (when each step was last done)."""
    done = dict(
        session.execute(
            select(StepEvent.step, func.max(StepEvent.at))
            .where(
                StepEvent.complaint_id == complaint.id,
                StepEvent.to_step.is_distinct_from(StepEvent.step),  # staying: not done
            )
            .group_by(StepEvent.step)
        ).all()
    )
    clocks = regulatory_clocks(
        load_calendar(session),
        load_standards(session),
        received_at=complaint.received_at,
        supervisory=complaint.supervisory,
        done_steps=done,
        form=sop.Form(complaint.form) if complaint.form else None,
    )
    return Deadlines(complaint.current_step, complaint.step_due_at, clocks)


def complaint_deadlines(*, complaint_id: int) -> Deadlines:
    """The step deadline and the regulatory deadlines of one complaint."""
    with read_session() as session:
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise NotFound("Pengaduan tidak ditemukan.")
        return deadlines_in(session, complaint)

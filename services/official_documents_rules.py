"""When a complaint's document exists, from the steps of the SOP table that declare its
template (``Step.template``): used by the registry and by the builders' refusals."""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.models import (
    Complaint,
    StepEvent,
)
from layanan import sop


def first_step_with(template: str) -> int:
    """The first step of the written path that works on ``template`` (for messages)."""
    steps = sop.table().steps_with_template(template)
    return next(n for n in sop.table().path(sop.Form.TERTULIS) if n in steps)


def reached(session: Session, complaint: Complaint, template: str) -> bool:
    """Whether the complaint is at, or has been through, a step that declares
    ``template`` (``sop.Step.template``): the document exists from then on."""
    steps = sop.table().steps_with_template(template)
    if complaint.current_step in steps:
        return True
    return bool(
        session.scalar(
            select(
                exists().where(StepEvent.complaint_id == complaint.id, StepEvent.step.in_(steps))
            )
        )
    )

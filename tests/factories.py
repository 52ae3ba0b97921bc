"""Helpers that bring a complaint to a given SOP step through the real workflow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.engine import read_session
from db.models import Complaint, StepEvent
from layanan import sop
from services import workflow
from services.seed import DEMO_PDF

PDF = workflow.NewDocument("supporting", "pendukung.pdf", "application/pdf", DEMO_PDF)
LETTER = workflow.NewDocument("complaint_letter", "surat.pdf", "application/pdf", DEMO_PDF)


def new_complaint(
    staff, *, channel=sop.Channel.DATANG_LANGSUNG, now: datetime | None = None, **overrides
) -> workflow.Created:
    data = workflow.IntakeData(
        channel=channel,
        subject=overrides.pop("subject", "Sertifikat pelatihan belum diterima"),
        body=overrides.pop("body", "Sertifikat pelatihan kewirausahaan belum dibagikan."),
        category=overrides.pop("category", "Pelatihan dan sertifikasi"),
        complainant_name=overrides.pop("complainant_name", "Siti Aminah"),
        complainant_phone=overrides.pop("complainant_phone", "081234567890"),
        complainant_email=overrides.pop("complainant_email", "siti@example.id"),
        guest_book_entry=overrides.pop("guest_book_entry", "BT-001"),
        **overrides,
    )
    documents = [LETTER] if channel in sop.PAPER_CHANNELS else []
    user_id = None if channel is sop.Channel.ONLINE else staff.petugas.id
    return workflow.intake(data=data, user_id=user_id, documents=documents, now=now)


def version_of(complaint_id: int) -> int:
    with read_session() as session:
        return session.get(Complaint, complaint_id).version


def state(complaint_id: int) -> Complaint:
    with read_session() as session:
        complaint = session.get(Complaint, complaint_id)
        session.expunge(complaint)
        return complaint


def events(complaint_id: int) -> list[StepEvent]:
    with read_session() as session:
        rows = session.scalars(
            select(StepEvent).where(StepEvent.complaint_id == complaint_id).order_by(StepEvent.seq)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def do(
    staff_user,
    complaint_id: int,
    action: str,
    payload=None,
    documents=(),
    note=None,
    now: datetime | None = None,
) -> workflow.Transition:
    return workflow.perform(
        complaint_id=complaint_id,
        action=action,
        user_id=staff_user.id,
        expected_version=version_of(complaint_id),
        payload=payload,
        documents=documents,
        note=note,
        now=now,
    )


def payload_for(action: str, staff) -> dict:
    """A complete, valid payload for each action of the SOP table."""
    return {
        "hand_over": {"guest_book_entry": "BT-001"},
        "classify_oral": {"unit": staff.unit_kop.unit_id},
        "resolve_oral": {"outcome": "Pemohon menerima penjelasan."},
        "convert_to_written": {"reason": "Perlu jawaban tertulis."},
        "register": {"agenda_number": "123/TNDE/XI/2026", "sifat": "segera"},
        "dispose": {"units": [staff.unit_kop.unit_id], "instruction": "Siapkan jawaban"},
        "submit_draft": {
            "reply_body": "Dengan hormat, pengaduan Saudara telah kami tindak lanjuti."
        },
        "approve": {"paraf": True},
        "return_draft": {"reason": "Lengkapi dasar hukum."},
        "deliver": {
            "delivery_method": "langsung",
            "delivered_on": "2026-11-27",
            "evidence": "Diserahkan langsung kepada Siti Aminah.",
        },
        "send_email": {"recipient_email": "siti@example.id"},
        "archive": {"archive_code": "065/001", "archive_location": "Lemari 1, rak 2"},
    }.get(action, {})


def actor_for(action: str, staff):
    role = sop.action_role(sop.action(action))
    return {
        sop.Role.PETUGAS: staff.petugas,
        sop.Role.SUBBAG_UMUM: staff.subbag,
        sop.Role.KEPALA_DINAS: staff.kepala,
        sop.Role.SEKRETARIS: staff.sekretaris,
        sop.Role.UNIT: staff.unit_kop,
        sop.Role.ARSIPARIS: staff.arsiparis,
    }[role]


WRITTEN_PATH = (
    "hand_over",
    "classify_written",
    "register",
    "dispose",
    "submit_draft",
    "approve",
    "sign",
    "deliver",
    "archive",
)


def bring_to(staff, step: int | None, *, oral: bool = False, **intake) -> int:
    """A new walk-in complaint moved along the oral or written path up to ``step``.

    ``step=None`` runs the path to the end (closed).
    """
    created = new_complaint(staff, **intake)
    path = ("hand_over", "classify_oral", "resolve_oral") if oral else WRITTEN_PATH
    for action in path:
        if state(created.complaint_id).current_step == step:
            break
        documents = [PDF] if action == "submit_draft" else []
        do(
            actor_for(action, staff),
            created.complaint_id,
            action,
            payload_for(action, staff),
            documents=documents,
        )
    assert state(created.complaint_id).current_step == step
    return created.complaint_id

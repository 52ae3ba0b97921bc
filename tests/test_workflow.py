"""The workflow engine: every SOP action, both paths, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import Complaint, Disposition, Document, StepEvent
from layanan import sop
from layanan.errors import (
    InvalidInput,
    MissingItem,
    NotAllowed,
    StaleVersion,
    WrongRole,
    WrongStep,
    WrongUnit,
)
from services import authz, workflow
from tests.factories import (
    PDF,
    actor_for,
    bring_to,
    do,
    events,
    new_complaint,
    payload_for,
    state,
    version_of,
)


def event_count() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(StepEvent))


def test_front_desk_intake_records_steps_one_and_two(staff):
    created = new_complaint(staff)
    complaint = state(created.complaint_id)
    assert complaint.current_step == 3
    assert created.ticket.startswith(f"ADU-{datetime.now(UTC).year}-")
    assert len(created.pin) == 6 and complaint.tracking_pin_hash != created.pin
    rows = events(created.complaint_id)
    assert [(e.step, e.action, e.to_step, e.actor_id) for e in rows] == [
        (1, "meet", 2, staff.petugas.id),
        (2, "receive", 3, staff.petugas.id),
    ]
    assert all(e.standard_minutes == 30 and e.role == "petugas" for e in rows)


def test_ticket_numbers_follow_each_other(staff):
    first, second = new_complaint(staff), new_complaint(staff)
    assert int(second.ticket[-6:]) == int(first.ticket[-6:]) + 1


def test_online_submission_waits_at_step_two_for_the_front_desk(staff):
    created = new_complaint(staff, channel=sop.Channel.ONLINE)
    assert state(created.complaint_id).current_step == 2
    [event] = events(created.complaint_id)
    assert (event.action, event.role, event.actor_id) == ("submit_online", "pemohon", None)
    do(staff.petugas, created.complaint_id, "receive")
    assert state(created.complaint_id).current_step == 3


def test_a_letter_cannot_be_received_without_its_scan(staff):
    data = workflow.IntakeData(
        channel=sop.Channel.SURAT,
        subject="Perihal",
        body="Isi",
        category="Lainnya",
        complainant_name="Budi",
    )
    with pytest.raises(MissingItem) as refused:
        workflow.intake(data=data, user_id=staff.petugas.id)
    assert "Surat aduan" in refused.value.message
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_intake_refuses_missing_identity_unless_anonymous(staff):
    with pytest.raises(MissingItem, match="Nama pengadu"):
        new_complaint(staff, complainant_name="")
    created = new_complaint(staff, complainant_name="Nama Rahasia", anonymous=True)
    assert state(created.complaint_id).complainant_name is None


def test_only_the_front_desk_takes_in_complaints(staff):
    data = workflow.IntakeData(
        channel=sop.Channel.TELEPON,
        subject="P",
        body="I",
        category="Lainnya",
        complainant_name="Budi",
    )
    with pytest.raises(WrongRole):
        workflow.intake(data=data, user_id=staff.kepala.id)


@pytest.mark.parametrize(
    "step, action",
    # Intake performs the first three; send_email stays at its step (tests/test_outbox.py).
    [
        (a.at, a.key)
        for a in sop.ACTIONS
        if a.key not in ("meet", "submit_online", "receive") and a.moves
    ],
)
def test_every_action_of_the_table_moves_the_complaint_and_writes_its_event(staff, step, action):
    oral = action in ("resolve_oral", "convert_to_written")
    complaint_id = bring_to(staff, step, oral=oral)
    before = state(complaint_id)
    documents = [PDF] if action == "submit_draft" else []
    actor = actor_for(action, staff)
    result = do(actor, complaint_id, action, payload_for(action, staff), documents=documents)
    after = state(complaint_id)
    expected_to = sop.action(action).to
    assert (result.from_step, result.to_step) == (step, expected_to)
    assert after.current_step == expected_to
    assert after.version == before.version + 1
    assert (after.closed_at is not None) == (expected_to is None)
    last = events(complaint_id)[-1]
    assert (last.step, last.action, last.to_step, last.actor_id) == (
        step,
        action,
        expected_to,
        actor.id,
    )
    assert last.role == sop.action_role(sop.action(action)).value
    assert last.standard_minutes == sop.step(step).minutes
    assert last.working_minutes >= 0
    assert last.id == result.event_id


def test_the_oral_path_is_settled_at_step_five_and_closed(staff):
    complaint_id = bring_to(staff, None, oral=True)
    complaint = state(complaint_id)
    assert complaint.form == "lisan" and complaint.oral_outcome == "Pemohon menerima penjelasan."
    assert [e.action for e in events(complaint_id)] == [
        "meet",
        "receive",
        "hand_over",
        "classify_oral",
        "resolve_oral",
    ]


def test_an_oral_complaint_can_become_a_written_one(staff):
    complaint_id = bring_to(staff, 5, oral=True)
    do(staff.unit_kop, complaint_id, "convert_to_written", {"reason": "Butuh jawaban resmi."})
    complaint = state(complaint_id)
    assert (complaint.current_step, complaint.form) == (6, "tertulis")


def test_the_written_path_runs_to_the_archive(staff):
    complaint_id = bring_to(staff, None)
    complaint = state(complaint_id)
    assert complaint.form == "tertulis" and complaint.closed_at is not None
    assert complaint.archive_code == "065/001" and complaint.delivery_method == "langsung"
    assert [e.step for e in events(complaint_id)] == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]
    with read_session() as session:
        [disposition] = session.scalars(select(Disposition)).all()
        assert disposition.unit_ids == [staff.unit_kop.unit_id]
        assert disposition.instruction == "Siapkan jawaban"


def test_head_returns_draft_to_unit_three_times_then_approves(staff):
    complaint_id = bring_to(staff, 8)
    for round_number in range(1, 4):
        do(
            staff.unit_kop,
            complaint_id,
            "submit_draft",
            {"reply_body": f"Draf ke-{round_number}"},
            documents=[PDF],
        )
        do(staff.kepala, complaint_id, "return_draft", {"reason": f"Perbaiki ({round_number})"})
        assert state(complaint_id).current_step == 8
    do(staff.unit_kop, complaint_id, "submit_draft", {"reply_body": "Draf ke-4"})
    do(staff.kepala, complaint_id, "approve", {"paraf": True})
    complaint = state(complaint_id)
    assert (complaint.current_step, complaint.draft_rounds) == (10, 4)
    returns = [e for e in events(complaint_id) if e.action == "return_draft"]
    assert [e.payload["reason"] for e in returns] == [f"Perbaiki ({n})" for n in (1, 2, 3)]
    drafts = [e.payload["reply_body"] for e in events(complaint_id) if e.action == "submit_draft"]
    assert drafts == ["Draf ke-1", "Draf ke-2", "Draf ke-3", "Draf ke-4"]


def test_unit_cannot_sign(staff):
    complaint_id = bring_to(staff, 10)
    count = event_count()
    with pytest.raises(WrongRole) as refused:
        do(staff.unit_kop, complaint_id, "sign")
    assert "Sekretaris" in refused.value.message
    assert state(complaint_id).current_step == 10 and event_count() == count


@pytest.mark.parametrize("action", [a.key for a in sop.ACTIONS if a.at >= 3])
def test_every_action_is_refused_to_the_outsider(staff, action):
    step = sop.action(action).at
    complaint_id = bring_to(staff, step, oral=step == 5)
    count = event_count()
    with pytest.raises((WrongRole, WrongUnit)):
        do(staff.outsider, complaint_id, action, payload_for(action, staff), documents=[PDF])
    assert state(complaint_id).current_step == step and event_count() == count


def test_unit_outside_the_disposition_cannot_draft(staff):
    complaint_id = bring_to(staff, 8)
    with pytest.raises(WrongUnit, match="tidak didisposisikan ke unit Anda"):
        do(
            staff.unit_ukm,
            complaint_id,
            "submit_draft",
            payload_for("submit_draft", staff),
            documents=[PDF],
        )
    assert state(complaint_id).current_step == 8


def test_an_action_of_another_step_is_refused(staff):
    complaint_id = bring_to(staff, 6)
    count = event_count()
    with pytest.raises(WrongStep, match="Langkah 6"):
        do(staff.kepala, complaint_id, "approve", {"paraf": True})
    with pytest.raises(WrongStep):
        do(staff.subbag, complaint_id, "classify_written")
    assert state(complaint_id).current_step == 6 and event_count() == count


def test_a_closed_complaint_takes_no_more_actions(staff):
    complaint_id = bring_to(staff, None)
    with pytest.raises(WrongStep, match="Selesai"):
        do(staff.arsiparis, complaint_id, "archive", payload_for("archive", staff))


def test_an_unknown_action_is_refused(staff):
    complaint_id = bring_to(staff, 3)
    with pytest.raises(InvalidInput, match="tidak ada dalam SOP"):
        do(staff.petugas, complaint_id, "skip_to_the_end")


@pytest.mark.parametrize(
    "action, payload, missing",
    [
        ("hand_over", {"guest_book_entry": "  "}, "buku tamu"),
        ("classify_oral", {}, "Unit"),
        ("register", {"sifat": "segera"}, "Nomor agenda"),
        ("dispose", {"units": [], "instruction": "Siapkan jawaban"}, "Diteruskan kepada"),
        ("submit_draft", {"reply_body": ""}, "draf surat jawaban"),
        ("approve", {"paraf": False}, "Paraf"),
        ("return_draft", {}, "Alasan"),
        ("deliver", {"delivery_method": "email", "delivered_on": "2026-11-27"}, "Bukti"),
        ("archive", {"archive_code": "065/1"}, "Lokasi"),
    ],
)
def test_a_missing_required_field_is_refused(staff, action, payload, missing):
    step = sop.action(action).at
    complaint_id = bring_to(staff, step)
    count = event_count()
    with pytest.raises(MissingItem) as refused:
        do(actor_for(action, staff), complaint_id, action, payload, documents=[PDF])
    assert missing.lower() in refused.value.message.lower()
    assert state(complaint_id).current_step == step and event_count() == count


def test_a_draft_without_supporting_documents_is_refused(staff):
    complaint_id = bring_to(staff, 8)
    with pytest.raises(MissingItem, match="Dokumen pendukung"):
        do(staff.unit_kop, complaint_id, "submit_draft", payload_for("submit_draft", staff))
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_a_refused_action_leaves_no_uploaded_document_behind(staff):
    complaint_id = bring_to(staff, 8)
    with pytest.raises(MissingItem):
        do(staff.unit_kop, complaint_id, "submit_draft", {"reply_body": ""}, documents=[PDF])
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


@pytest.mark.parametrize(
    "action, payload, message",
    [
        ("register", {"agenda_number": "1", "sifat": "santai"}, "tidak dikenal"),
        ("dispose", {"units": [9999], "instruction": "Siapkan jawaban"}, "unit tidak dikenal"),
        (
            "deliver",
            {"delivery_method": "merpati", "delivered_on": "2026-11-27", "evidence": "x"},
            "tidak dikenal",
        ),
        (
            "deliver",
            {"delivery_method": "email", "delivered_on": "27/11/2026", "evidence": "x"},
            "tanggal tidak valid",
        ),
        ("hand_over", {"guest_book_entry": "x" * 501}, "terlalu panjang"),
    ],
)
def test_malformed_values_are_refused_with_a_message(staff, action, payload, message):
    step = sop.action(action).at
    complaint_id = bring_to(staff, step)
    with pytest.raises(InvalidInput, match=message):
        do(actor_for(action, staff), complaint_id, action, payload)
    assert state(complaint_id).current_step == step


def test_a_stale_version_is_refused_and_names_who_acted_first(staff):
    complaint_id = bring_to(staff, 3)
    seen = version_of(complaint_id)
    do(staff.petugas, complaint_id, "hand_over", {"guest_book_entry": "BT-9"})
    count = event_count()
    with pytest.raises(StaleVersion) as refused:
        workflow.perform(
            complaint_id=complaint_id,
            action="hand_over",
            user_id=staff.petugas.id,
            expected_version=seen,
            payload={"guest_book_entry": "BT-9"},
        )
    assert staff.petugas.full_name in refused.value.message
    assert refused.value.acted_by == staff.petugas.full_name
    assert event_count() == count


def test_a_deactivated_user_cannot_act(staff):
    from db.engine import write_session
    from db.models import User

    complaint_id = bring_to(staff, 3)
    with write_session() as session:
        session.get(User, staff.petugas.id).active = False
    with pytest.raises(NotAllowed):
        do(staff.petugas, complaint_id, "hand_over", {"guest_book_entry": "BT-1"})


def test_events_record_working_minutes_against_the_standard(staff):
    wita_utc = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 08:30 WITA
    created = new_complaint(
        staff,
        now=wita_utc,
        arrived_at=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        met_at=datetime(2026, 11, 23, 0, 10, tzinfo=UTC),
    )
    first, second = events(created.complaint_id)
    assert (first.working_minutes, second.working_minutes) == (10, 20)
    # Handed over on Tuesday 08:00 WITA: 450 minutes on Monday (08:30-16:00) + 30.
    do(
        staff.petugas,
        created.complaint_id,
        "hand_over",
        {"guest_book_entry": "BT-2"},
        now=datetime(2026, 11, 24, 0, 0, tzinfo=UTC),
    )
    assert events(created.complaint_id)[-1].working_minutes == 450 + 30
    complaint = state(created.complaint_id)
    # Step 4 (30 minutes) entered Tuesday 08:00 WITA is due at 08:30 WITA.
    assert complaint.step_due_at == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)


def test_allowed_actions_tell_the_page_which_forms_to_show(staff):
    complaint_id = bring_to(staff, 9)
    with read_session() as session:
        complaint = session.get(Complaint, complaint_id)
        head = authz.load_actor(session, staff.kepala.id)
        unit = authz.load_actor(session, staff.unit_kop.id)
        assert [
            a.key for a in workflow.allowed_actions(session, complaint=complaint, actor=head)
        ] == ["approve", "return_draft"]
        assert workflow.allowed_actions(session, complaint=complaint, actor=unit) == []


# --- step 4 corrects intake: anonim, rahasia, berkadar pengawasan ---------------------


CORRECTION = "correct_intake"


def test_verification_corrects_the_intake_flags_and_keeps_the_step_clock(staff):
    complaint_id = bring_to(staff, 4)
    before = state(complaint_id)
    assert not (before.anonymous or before.confidential or before.supervisory)
    result = do(
        staff.subbag,
        complaint_id,
        CORRECTION,
        {"reason": "Pemohon minta dirahasiakan", "confidential": True, "supervisory": True},
    )
    after = state(complaint_id)
    assert (result.from_step, result.to_step) == (4, 4)
    assert (after.confidential, after.supervisory, after.anonymous) == (True, True, False)
    assert after.current_step == 4
    assert after.step_entered_at == before.step_entered_at  # the step's clock runs on
    assert after.step_due_at == before.step_due_at
    assert after.version == before.version + 1
    last = events(complaint_id)[-1]
    assert (last.action, last.step, last.to_step, last.actor_id) == (
        CORRECTION,
        4,
        4,
        staff.subbag.id,
    )
    assert last.payload["reason"] == "Pemohon minta dirahasiakan"
    assert (last.payload["confidential"], last.payload["supervisory"]) == (True, True)
    # Still at step 4: the split is offered next, and correcting again too.
    with read_session() as session:
        complaint = session.get(Complaint, complaint_id)
        actor = authz.load_actor(session, staff.subbag.id)
        keys = [a.key for a in workflow.allowed_actions(session, complaint=complaint, actor=actor)]
    assert {"classify_oral", "classify_written", CORRECTION} <= set(keys)


def test_a_flag_can_be_cleared_and_flags_not_given_stay(staff):
    complaint_id = bring_to(staff, 4, confidential=True, supervisory=True)
    do(staff.subbag, complaint_id, CORRECTION, {"reason": "Salah centang", "supervisory": False})
    after = state(complaint_id)
    assert (after.confidential, after.supervisory) == (True, False)


def test_marking_anonymous_keeps_the_name_but_hides_it_everywhere(staff):
    from services.complaint_detail import complaint_detail
    from services.identity import ANONYMOUS, complainant_label

    complaint_id = bring_to(staff, 4, complainant_name="Siti Aminah")
    ticket = state(complaint_id).ticket
    shown = complaint_detail(ticket=ticket, user_id=staff.subbag.id)
    assert shown.identity is not None and shown.identity.name == "Siti Aminah"

    do(
        staff.subbag,
        complaint_id,
        CORRECTION,
        {"reason": "Pemohon minta anonim", "anonymous": True},
    )
    stored = state(complaint_id)
    assert stored.anonymous is True
    assert stored.complainant_name == "Siti Aminah"  # kept, not deleted silently
    hidden = complaint_detail(ticket=ticket, user_id=staff.kepala.id)
    # The name is shown to nobody; the contact details (for the reply) only to the roles
    # that see a confidential identity (docs/portal.md).
    assert hidden.anonymous and hidden.identity.name is None
    assert hidden.identity.phone == stored.complainant_phone
    assert complaint_detail(ticket=ticket, user_id=staff.unit_kop.id).identity is None
    label = complainant_label(
        name=stored.complainant_name, anonymous=True, confidential=False, visible=True
    )
    assert label == ANONYMOUS

    do(staff.subbag, complaint_id, CORRECTION, {"reason": "Keliru", "anonymous": False})
    again = complaint_detail(ticket=ticket, user_id=staff.subbag.id)
    assert again.identity is not None and again.identity.name == "Siti Aminah"


def test_a_portal_complaint_can_be_marked_supervisory_at_verification(staff):
    created = new_complaint(staff, channel=sop.Channel.ONLINE)
    do(staff.petugas, created.complaint_id, "receive")
    do(staff.petugas, created.complaint_id, "hand_over", {"guest_book_entry": "-"})
    assert state(created.complaint_id).current_step == 4
    do(
        staff.subbag,
        created.complaint_id,
        CORRECTION,
        {"reason": "Menyangkut penyalahgunaan wewenang", "supervisory": True},
    )
    assert state(created.complaint_id).supervisory is True


@pytest.mark.parametrize(
    "payload, error, message",
    [
        ({"anonymous": True}, MissingItem, "Kelengkapan belum diisi: Alasan."),
        (
            {"reason": "x", "anonymous": "ya"},
            InvalidInput,
            "Anonim (nama pengadu tidak ditampilkan) harus dicentang atau tidak dicentang.",
        ),
    ],
)
def test_a_correction_needs_a_reason_and_true_or_false(staff, payload, error, message):
    complaint_id = bring_to(staff, 4)
    with pytest.raises(error) as raised:
        do(staff.subbag, complaint_id, CORRECTION, payload)
    assert raised.value.message == message
    assert state(complaint_id).anonymous is False


def test_only_sub_bagian_umum_corrects_and_only_at_verification(staff):
    complaint_id = bring_to(staff, 4)
    with pytest.raises(WrongRole):
        do(staff.petugas, complaint_id, CORRECTION, {"reason": "x", "anonymous": True})
    later = bring_to(staff, 6)
    with pytest.raises(WrongStep):
        do(staff.subbag, later, CORRECTION, {"reason": "x", "anonymous": True})
    assert not state(complaint_id).anonymous and not state(later).anonymous

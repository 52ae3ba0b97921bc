"""Read models of the staff workspace: who may see what, masking, logging, timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from layanan.errors import NotAllowed, NotFound
from services import complaint_detail, complaint_lists, identity
from tests.factories import LETTER, bring_to, do, new_complaint, payload_for, state


def detail(user, complaint_id):
    return complaint_detail.complaint_detail(ticket=state(complaint_id).ticket, user_id=user.id)


def test_the_head_sees_the_approve_and_return_forms_at_step_9(staff):
    cid = bring_to(staff, 9)
    view = detail(staff.kepala, cid)
    assert [a.key for a in view.actions] == ["approve", "return_draft"]
    assert [f.key for f in view.actions[0].fields] == ["paraf"]
    assert view.step_clock.step == 9 and view.step_clock.standard_minutes == 30
    assert [r.key for r in view.regulatory] == ["verifikasi", "tindak_lanjut", "penyelesaian"]


def test_a_unit_gets_no_form_for_a_complaint_of_another_unit(staff):
    cid = bring_to(staff, 8)  # dispositioned to unit_kop
    assert detail(staff.unit_ukm, cid).actions == ()
    [draft] = detail(staff.unit_kop, cid).actions
    assert draft.key == "submit_draft"
    assert draft.upload_kind == "supporting" and draft.upload_required
    assert [m.key for m in draft.missing] == ["supporting_documents"]


def test_roles_without_the_step_get_no_form(staff):
    cid = bring_to(staff, 10)
    assert detail(staff.kepala, cid).actions == ()
    assert detail(staff.admin, cid).actions == ()
    assert [a.key for a in detail(staff.sekretaris, cid).actions] == ["sign"]


def test_a_user_without_a_staff_role_may_not_view_a_complaint(staff):
    cid = bring_to(staff, 3)
    with pytest.raises(NotAllowed):
        detail(staff.outsider, cid)


def test_an_unknown_ticket_is_reported(staff):
    with pytest.raises(NotFound, match="ADU-1999-000001"):
        complaint_detail.complaint_detail(ticket="adu-1999-000001", user_id=staff.petugas.id)


def test_confidential_identity_is_hidden_from_the_secretary_and_the_view_is_logged(staff):
    created = new_complaint(
        staff,
        channel="surat",
        confidential=True,
        complainant_name="Rahmat Hidayat",
        body="Saya Rahmat Hidayat, hubungi 081234567890. Koperasi tidak menggelar RAT.",
    )
    cid = created.complaint_id
    secret = detail(staff.sekretaris, cid)
    assert secret.identity is None and not secret.identity_visible
    assert "Rahmat" not in secret.body and "081234567890" not in secret.body
    assert identity.HIDDEN in secret.body
    assert secret.documents == () and secret.hidden_documents == 1  # the scanned letter
    seen = detail(staff.kepala, cid)
    assert seen.identity.name == "Rahmat Hidayat"
    assert "Rahmat Hidayat" in seen.body
    assert [d.kind for d in seen.documents] == ["complaint_letter"]
    assert identity.confidential_views(complaint_id=cid) == [
        (staff.sekretaris.id, False),
        (staff.kepala.id, True),
    ]
    with pytest.raises(NotAllowed, match="dirahasiakan"):
        identity.document_file(document_id=seen.documents[0].id, user_id=staff.sekretaris.id)
    assert (
        identity.document_file(document_id=seen.documents[0].id, user_id=staff.petugas.id).data
        == LETTER.data
    )
    assert len(identity.confidential_views(complaint_id=cid)) == 3


def test_an_ordinary_complaint_is_not_logged(staff):
    cid = bring_to(staff, 3)
    assert detail(staff.sekretaris, cid).identity.name == "Siti Aminah"
    assert identity.confidential_views(complaint_id=cid) == []


def test_the_timeline_shows_returned_drafts_with_reasons_in_plain_words(staff):
    cid = bring_to(staff, 9)
    do(staff.kepala, cid, "return_draft", payload_for("return_draft", staff), note="Segera")
    do(staff.unit_kop, cid, "submit_draft", {"reply_body": "Draf kedua."})
    view = detail(staff.kepala, cid)
    actions = [e.action for e in view.timeline]
    assert actions[-3:] == ["submit_draft", "return_draft", "submit_draft"]
    first, returned, second = view.timeline[-3:]
    assert (first.draft_round, second.draft_round) == (1, 2)
    assert returned.returned and returned.note == "Segera"
    assert ("Alasan", "Lengkapi dasar hukum.") in [(i.label, i.value) for i in returned.items]
    dispose = next(e for e in view.timeline if e.action == "dispose")
    units = dict((i.label, i.value) for i in dispose.items)
    assert units["Diteruskan kepada (unit)"] == "Bidang Kelembagaan dan Pengawasan Koperasi"
    assert first.items[-1].label == "Dokumen" and first.items[-1].value == "pendukung.pdf"
    assert view.draft_rounds == 2 and view.reply_body == "Draf kedua."


def test_queue_masks_confidential_names_for_roles_without_identity(staff):
    bring_to(staff, 7, confidential=True, complainant_name="Rahmat Hidayat")
    head = complaint_lists.my_queue(user_id=staff.kepala.id)
    assert [i.complainant for i in head.page.items] == ["Rahmat Hidayat"]
    found = complaint_lists.search(
        user_id=staff.sekretaris.id, filters=complaint_lists.ComplaintFilter(text="koperasi")
    )
    assert found.total == 0  # subject/body do not mention it
    everything = complaint_lists.search(user_id=staff.sekretaris.id)
    assert [i.complainant for i in everything.items] == [identity.HIDDEN]


def test_overdue_and_due_soon_marks_use_working_time(staff):
    late = new_complaint(staff, now=datetime.now(UTC) - timedelta(days=10))
    view = complaint_lists.my_queue(user_id=staff.petugas.id)
    [item] = view.page.items
    assert item.ticket == late.ticket and item.status == "terlambat" and item.minutes_left < 0
    assert [(c.step, c.total, c.overdue) for c in view.counts] == [(3, 1, 1)]
    assert view.steps == (1, 2, 3, 11)


def test_the_queue_page_number_is_clamped(staff):
    for _ in range(3):
        new_complaint(staff)
    view = complaint_lists.my_queue(user_id=staff.petugas.id, page=9, page_size=2)
    assert (view.page.page, view.page.pages, len(view.page.items)) == (2, 2, 1)


def test_possible_duplicates_for_the_front_desk(staff):
    first = new_complaint(staff)
    found = complaint_lists.possible_duplicates(user_id=staff.petugas.id, name="Siti Aminah")
    assert [d.ticket for d in found] == [first.ticket]
    with pytest.raises(NotAllowed):
        complaint_lists.possible_duplicates(user_id=staff.kepala.id, name="Siti Aminah")

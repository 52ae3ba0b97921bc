"""The read model behind the reply letter's round trip (issue 12): what the page is given
to prefill, the Head's reason and the changes of a redraft, the letter preview, and the
refusal of a lost race."""

from __future__ import annotations

import io

import pytest

from layanan import sop
from layanan.errors import StaleVersion
from services import complaint_detail, document_files, reply_letter, workflow
from services.complaint_detail import DiffPart, draft_diff
from tests.factories import PDF, bring_to, do, payload_for, state

REASON = "Lengkapi dasar hukum."


def detail(user, cid):
    return complaint_detail.complaint_detail(ticket=state(cid).ticket, user_id=user.id)


def test_draft_diff_marks_removed_and_added_words_in_reading_order():
    assert draft_diff("kami tindak lanjuti segera.", "kami selesaikan segera.") == (
        DiffPart("same", "kami "),
        DiffPart("delete", "tindak lanjuti "),
        DiffPart("insert", "selesaikan "),
        DiffPart("same", "segera."),
    )
    assert draft_diff("sama", "sama") == (DiffPart("same", "sama"),)


def test_after_a_return_the_redraft_starts_from_the_last_draft_with_the_reason(staff):
    cid = bring_to(staff, 9)
    do(staff.kepala, cid, "return_draft", {"reason": REASON})
    view = detail(staff.unit_kop, cid)
    [spec] = view.actions
    default = spec.default("reply_body")
    assert default.value == payload_for("submit_draft", staff)["reply_body"]
    assert default.source.startswith("Diisi dari draf ke-1 (")
    assert view.returned_draft.reason == REASON and view.returned_draft.draft_round == 1
    assert view.returned_draft.actor_name == staff.kepala.full_name
    assert view.draft_changes is None


def test_the_head_reviewing_a_redraft_gets_the_changes_since_the_returned_round(staff):
    cid = bring_to(staff, 9)
    do(staff.kepala, cid, "return_draft", {"reason": REASON})
    old = payload_for("submit_draft", staff)["reply_body"]
    do(staff.unit_kop, cid, "submit_draft", {"reply_body": old + " Terima kasih."})
    view = detail(staff.kepala, cid)
    assert view.returned_draft.reason == REASON
    assert [p for p in view.draft_changes if p.op != "same"] == [
        DiffPart("insert", "Terima kasih.")
    ]
    assert view.works_on_reply


def test_a_first_draft_has_neither_reason_nor_changes(staff):
    view = detail(staff.kepala, bring_to(staff, 9))
    assert view.returned_draft is None and view.draft_changes is None


def test_a_draft_holding_a_hidden_identity_is_not_prefilled(staff):
    cid = bring_to(staff, 8, confidential=True)
    body = "Kepada Siti Aminah: sertifikat dapat diambil."
    do(staff.unit_kop, cid, "submit_draft", {"reply_body": body}, documents=[PDF])
    do(staff.kepala, cid, "return_draft", {"reason": REASON})
    [spec] = detail(staff.unit_kop, cid).actions  # the unit does not see a rahasia identity
    assert spec.default("reply_body") is None


def test_the_hand_over_and_step_eleven_start_from_what_intake_recorded(staff):
    cid = bring_to(staff, 3, guest_book_entry="BT-2026-117")
    [spec] = detail(staff.petugas, cid).actions
    assert spec.default("guest_book_entry").value == "BT-2026-117"
    assert spec.default("guest_book_entry").source.startswith("Diisi dari penerimaan pengaduan")

    cid = bring_to(staff, 11)
    specs = {s.hook: s for s in detail(staff.petugas, cid).actions}
    assert specs["deliver"].default("received_by").value == "Siti Aminah"
    assert specs["deliver"].default("phone").value == "081234567890"
    assert specs["queue_email"].default("recipient_email").value == "siti@example.id"


def test_the_paraf_is_a_confirmation_and_nothing_else_asks_one(staff):
    [approve, back] = detail(staff.kepala, bring_to(staff, 9)).actions
    assert approve.confirm == "Bubuhkan paraf persetujuan Kepala Dinas?"
    assert back.confirm is None and back.secondary


def test_the_letter_preview_is_the_printed_draft_as_images(staff):
    cid = bring_to(staff, 9)
    preview = reply_letter.reply_preview(complaint_id=cid, user_id=staff.kepala.id)
    assert preview.page_count >= 1 and len(preview.pages) == min(preview.page_count, 3)
    assert all(page.startswith(b"\x89PNG\r\n\x1a\n") for page in preview.pages)
    assert preview.seconds > 0


def _one_page_pdf() -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def test_the_same_draft_is_converted_once_for_every_session_that_previews_it(staff, monkeypatch):
    """The Head reopening a draft (a new session, the next day) does not wait for
    LibreOffice again; another letter is converted for itself."""
    conversions: list[str] = []

    def as_pdf(download):
        conversions.append(download.filename)
        return document_files.Download("x.pdf", _one_page_pdf(), "application/pdf")

    monkeypatch.setattr(reply_letter, "as_pdf", as_pdf)
    reply_letter._previews.clear()
    first, other = bring_to(staff, 9), bring_to(staff, 9, subject="Dana bergulir belum cair")
    for _ in range(3):
        reply_letter.reply_preview(complaint_id=first, user_id=staff.kepala.id)
    assert len(conversions) == 1
    reply_letter.reply_preview(complaint_id=other, user_id=staff.kepala.id)
    assert len(conversions) == 2


def test_a_lost_race_says_what_the_other_person_did_and_where_the_complaint_is(staff):
    cid = bring_to(staff, 9)
    seen = state(cid).version
    do(staff.kepala, cid, "approve", {"paraf": True})
    with pytest.raises(StaleVersion) as refused:
        workflow.perform(
            complaint_id=cid,
            action="return_draft",
            user_id=staff.kepala.id,
            expected_version=seen,
            payload={"reason": REASON},
        )
    message = refused.value.message
    assert message.startswith(
        f"{staff.kepala.full_name} sudah lebih dulu mengerjakan \u201cSetujui (paraf)\u201d "
        f"pada pengaduan {state(cid).ticket} ("
    )
    assert message.endswith(
        f"; pengaduan kini di {sop.step_label(10)}. Tindakan Anda tidak dicatat."
    )
    assert "Muat ulang" not in message
    assert refused.value.acted_by == staff.kepala.full_name
    assert state(cid).current_step == 10

"""The complaint page, per role: what it shows, what it hides, each step's form."""

from __future__ import annotations

from db.engine import write_session
from db.models import User, UserRole
from layanan import sop
from services.seed import DEMO_PDF
from tests.apptest_helpers import open_page, texts, unescape
from tests.factories import bring_to, do, payload_for, state


def page(user, complaint_id):
    return open_page("complaint", user, tiket=state(complaint_id).ticket)


def submit(at, ticket, version, action):
    return at.button(key=f"act:{ticket}:{version}:{action}:submit").click().run()


def key(ticket, version, action, field):
    return f"act:{ticket}:{version}:{action}:{field}"


def shown(at) -> str:
    return unescape(texts(at))


def test_a_visitor_without_login_is_asked_to_log_in(staff):
    cid = bring_to(staff, 3)
    at = page(None, cid)
    assert "Silakan masuk" in shown(at)
    assert "ADU-" not in shown(at)


def test_a_user_without_a_staff_role_cannot_open_it(staff):
    at = page(staff.outsider, bring_to(staff, 3))
    assert "tidak memiliki akses" in shown(at)


def test_the_head_approves_the_draft_with_paraf_in_one_confirmed_click(staff):
    cid = bring_to(staff, 9)
    c = state(cid)
    at = page(staff.kepala, cid)
    assert not at.exception
    text = shown(at)
    assert "Setujui (paraf)" in text and "Kembalikan ke unit" in text
    assert "Riwayat" in text and "Kirim draf jawaban ke Kepala Dinas (draf ke-1)" in text
    # No tick to give: the paraf is the button, then a confirmation.
    assert not [b for b in at.checkbox if b.key and b.key.endswith(":approve:paraf")]
    approve = at.button(key=key(c.ticket, c.version, "approve", "submit"))
    returning = at.button(key=key(c.ticket, c.version, "return_draft", "submit"))
    assert approve.proto.type == "primary" and returning.proto.type == "secondary"
    at = approve.click().run()
    assert "Bubuhkan paraf persetujuan Kepala Dinas?" in shown(at)
    assert state(cid).current_step == 9  # nothing happens before the confirmation
    at = at.button(key=key(c.ticket, c.version, "approve", "confirm")).click().run()
    assert state(cid).current_step == 10
    assert state(cid).approved_at is not None
    assert [t.value for t in at.toast] == [
        f"Setujui (paraf): pengaduan {c.ticket} kini di Langkah 10: Menandatangani surat "
        "jawaban aduan oleh Sekretaris selaku PPID."
    ]
    assert "Langkah 10 dikerjakan oleh Sekretaris (PPID)" in shown(at)


def test_cancelling_the_paraf_confirmation_changes_nothing(staff):
    cid = bring_to(staff, 9)
    c = state(cid)
    at = page(staff.kepala, cid)
    at = at.button(key=key(c.ticket, c.version, "approve", "submit")).click().run()
    at = at.button(key=key(c.ticket, c.version, "approve", "cancel")).click().run()
    assert state(cid).current_step == 9 and state(cid).approved_at is None
    assert "Bubuhkan paraf persetujuan Kepala Dinas?" not in shown(at)
    assert not at.error


def test_returning_without_a_reason_is_refused_naming_the_field(staff):
    cid = bring_to(staff, 9)
    c = state(cid)
    at = submit(page(staff.kepala, cid), c.ticket, c.version, "return_draft")
    assert [e.value for e in at.error] == ["Kelengkapan belum diisi: Alasan."]
    assert state(cid).current_step == 9


def test_the_head_returns_the_draft_with_a_reason_shown_in_the_timeline(staff):
    cid = bring_to(staff, 9)
    c = state(cid)
    at = page(staff.kepala, cid)
    at.text_area(key=key(c.ticket, c.version, "return_draft", "reason")).input(
        "Lengkapi dasar hukum *Permen* 24/2014."
    )
    at = submit(at, c.ticket, c.version, "return_draft")
    assert state(cid).current_step == 8
    assert "Alasan: Lengkapi dasar hukum *Permen* 24/2014." in shown(at)
    assert any("draf dikembalikan" in m.value for m in at.markdown)


def test_a_lost_race_names_who_acted_first(staff):
    cid = bring_to(staff, 3)
    c = state(cid)
    with write_session() as session:
        colleague = User(username="petugas2", full_name="Dewi Lestari", active=True)
        colleague.role_rows = [UserRole(role="petugas")]
        session.add(colleague)
        session.flush()
        session.expunge(colleague)
    at = page(staff.petugas, cid)
    at.text_input(key=key(c.ticket, c.version, "hand_over", "guest_book_entry")).input("BT-9")
    do(colleague, cid, "hand_over", {"guest_book_entry": "BT-7"})  # meanwhile, in another tab
    at = submit(at, c.ticket, c.version, "hand_over")
    [error] = at.error
    assert error.value.startswith(
        f"Dewi Lestari sudah lebih dulu mengerjakan \u201cSerahkan ke Subbagian Umum\u201d pada "
        f"pengaduan {c.ticket} ("
    )
    assert error.value.endswith(
        f"; pengaduan kini di {sop.step_label(4)}. Tindakan Anda tidak dicatat."
    )
    assert "Muat ulang" not in error.value
    assert state(cid).guest_book_entry == "BT-7"


def test_the_unit_submits_a_draft_with_a_supporting_document(staff):
    cid = bring_to(staff, 8)
    c = state(cid)
    at = page(staff.unit_kop, cid)
    at.text_area(key=key(c.ticket, c.version, "submit_draft", "reply_body")).input(
        "Dengan hormat, sertifikat dapat diambil di UPT."
    )
    at = submit(at, c.ticket, c.version, "submit_draft")
    assert "Dokumen pendukung" in at.error[0].value  # refused: no supporting document
    assert state(cid).current_step == 8
    at.file_uploader(key=key(c.ticket, c.version, "submit_draft", "files")).upload(
        "sertifikat.pdf", DEMO_PDF, "application/pdf"
    )
    at = submit(at, c.ticket, c.version, "submit_draft")
    assert not at.error
    assert state(cid).current_step == 9
    assert "Dokumen pendukung: sertifikat.pdf" in "\n".join(
        b.label for b in at.get("download_button")
    )


def test_an_upload_that_is_not_a_document_is_refused_in_indonesian(staff):
    cid = bring_to(staff, 8)
    c = state(cid)
    at = page(staff.unit_kop, cid)
    at.text_area(key=key(c.ticket, c.version, "submit_draft", "reply_body")).input("Jawaban.")
    at.file_uploader(key=key(c.ticket, c.version, "submit_draft", "files")).upload(
        "jawaban.pdf", b"#!/bin/sh\necho bukan pdf\n", "application/pdf"
    )
    at = submit(at, c.ticket, c.version, "submit_draft")
    assert "ditolak: isinya bukan jenis yang diterima" in at.error[0].value
    assert state(cid).current_step == 8


def test_another_unit_sees_the_complaint_but_gets_no_form(staff):
    cid = bring_to(staff, 8)
    at = page(staff.unit_ukm, cid)
    text = shown(at)
    assert "Langkah 8 dikerjakan oleh Sekretariat/Bidang/UPT" in text
    assert not at.get("form") and not at.text_area


def test_subbag_sends_an_oral_complaint_to_a_unit_which_settles_it(staff):
    cid = bring_to(staff, 4)
    c = state(cid)
    at = page(staff.subbag, cid)
    at.selectbox(key=key(c.ticket, c.version, "classify_oral", "unit")).select(
        staff.unit_ukm.unit_id
    )
    submit(at, c.ticket, c.version, "classify_oral")
    c = state(cid)
    assert c.current_step == 5
    at = page(staff.unit_ukm, cid)
    at.text_area(key=key(c.ticket, c.version, "resolve_oral", "outcome")).input(
        "Dijelaskan langsung; pemohon puas."
    )
    at = submit(at, c.ticket, c.version, "resolve_oral")
    assert state(cid).current_step is None
    assert "Pengaduan ini sudah selesai" in shown(at)
    assert "Hasil penyelesaian pengaduan lisan:  \nDijelaskan langsung; pemohon puas." in shown(at)


def test_subbag_registers_with_a_choice_and_the_head_dispositions_to_units(staff):
    cid = bring_to(staff, 6)
    c = state(cid)
    at = page(staff.subbag, cid)
    at.text_input(key=key(c.ticket, c.version, "register", "agenda_number")).input("77/TNDE")
    at.selectbox(key=key(c.ticket, c.version, "register", "sifat")).select("segera")
    submit(at, c.ticket, c.version, "register")
    c = state(cid)
    assert (c.current_step, c.agenda_number, c.sifat) == (7, "77/TNDE", "segera")
    at = page(staff.kepala, cid)
    at = submit(at, c.ticket, c.version, "dispose")
    assert "Diteruskan kepada (unit)" in at.error[0].value
    at.multiselect(key=key(c.ticket, c.version, "dispose", "units")).select(
        staff.unit_kop.unit_id
    ).select(staff.unit_ukm.unit_id)
    at.selectbox(key=key(c.ticket, c.version, "dispose", "instruction")).select("Siapkan jawaban")
    submit(at, c.ticket, c.version, "dispose")
    assert state(cid).current_step == 8
    assert len(state(cid).units) == 2


def test_signing_delivery_and_archiving_close_the_complaint(staff):
    cid = bring_to(staff, 10)
    c = state(cid)
    submit(page(staff.sekretaris, cid), c.ticket, c.version, "sign")
    c = state(cid)
    assert c.current_step == 11 and c.signed_at is not None
    at = page(staff.petugas, cid)
    assert "Penyampaian surat jawaban (langkah 11)" in shown(at)  # in the action section
    do(staff.petugas, cid, "deliver", payload_for("deliver", staff))
    c = state(cid)
    assert c.current_step == 12
    at = page(staff.arsiparis, cid)
    at.text_input(key=key(c.ticket, c.version, "archive", "archive_code")).input("065/9")
    at = submit(at, c.ticket, c.version, "archive")
    assert "Lokasi simpan arsip" in at.error[0].value
    at.text_input(key=key(c.ticket, c.version, "archive", "archive_location")).input("Lemari 2")
    submit(at, c.ticket, c.version, "archive")
    assert state(cid).current_step is None


def test_the_secretary_does_not_see_the_identity_of_a_confidential_complaint(staff):
    cid = bring_to(staff, 10, confidential=True, complainant_name="Rahmat Hidayat")
    at = page(staff.sekretaris, cid)
    text = shown(at)
    assert "Rahmat" not in text and "081234567890" not in text and "siti@example.id" not in text
    assert "[dirahasiakan]" in text
    at = page(staff.petugas, cid)
    assert "Rahmat Hidayat" in shown(at)


def test_documents_are_listed_for_download(staff):
    cid = bring_to(staff, 9, channel="surat")
    at = page(staff.kepala, cid)
    labels = [b.label for b in at.get("download_button")]
    assert any(label.startswith("Surat aduan: surat.pdf") for label in labels)
    assert any(label.startswith("Dokumen pendukung: pendukung.pdf") for label in labels)


def test_an_unknown_ticket_and_a_missing_ticket(staff):
    at = open_page("complaint", staff.petugas, tiket="ADU-1999-000001")
    assert "tidak ditemukan" in at.error[0].value
    at = open_page("complaint", staff.petugas)
    assert at.text_input[0].label == "Nomor tiket"


def test_the_step_3_hand_over_requires_the_guest_book_entry(staff):
    cid = bring_to(staff, 3, guest_book_entry=None)
    c = state(cid)
    at = submit(page(staff.petugas, cid), c.ticket, c.version, "hand_over")
    assert at.error[0].value == "Kelengkapan belum diisi: Nomor/entri buku tamu."
    assert payload_for("hand_over", staff)  # the factories' valid payload, for contrast


def test_admin_and_archivist_read_the_complaint_without_a_form_before_step_12(staff):
    cid = bring_to(staff, 7)
    for user in (staff.admin, staff.arsiparis):
        at = page(user, cid)
        assert "Langkah 7 dikerjakan oleh Kepala Dinas" in shown(at), user.username
        assert not at.get("form")


def _return_then_open_as_unit(staff, reason="Lengkapi dasar hukum *Permen* 24/2014."):
    cid = bring_to(staff, 9)
    do(staff.kepala, cid, "return_draft", {"reason": reason})
    return cid, page(staff.unit_kop, cid)


def test_a_returned_draft_is_redrafted_from_the_last_text_with_the_reason_above(staff):
    cid, at = _return_then_open_as_unit(staff)
    c = state(cid)
    draft = payload_for("submit_draft", staff)["reply_body"]
    assert c.current_step == 8
    box = at.text_area(key=key(c.ticket, c.version, "submit_draft", "reply_body"))
    assert box.value == draft
    [warning] = [w for w in at.warning if "dikembalikan" in w.value]
    assert "Draf ke-1 dikembalikan" in unescape(warning.value)
    assert "Alasan: Lengkapi dasar hukum *Permen* 24/2014." in unescape(warning.value)
    assert any("Diisi dari draf ke-1" in unescape(c.value) for c in at.caption)


def test_the_head_sees_what_changed_since_the_returned_round(staff):
    cid, _ = _return_then_open_as_unit(staff)
    draft = payload_for("submit_draft", staff)["reply_body"]
    redraft = draft.replace("kami tindak lanjuti", "kami selesaikan [sesuai Permen 24/2014]")
    do(staff.unit_kop, cid, "submit_draft", {"reply_body": redraft})
    at = page(staff.kepala, cid)
    text = "\n".join(m.value for m in at.markdown)
    assert "Perubahan sejak draf ke-1 yang dikembalikan" in text
    assert ":red-background[~~tindak lanjuti.~~]" in text
    # user text is escaped inside the marks: brackets cannot end the directive
    assert r":green-background[**selesaikan \[sesuai Permen 24/2014\].**]" in text


def test_the_first_draft_has_no_diff_and_no_return_notice(staff):
    cid = bring_to(staff, 9)
    at = page(staff.kepala, cid)
    assert "Perubahan sejak" not in shown(at) and not at.warning


def test_at_review_the_letter_is_previewed_inline_as_it_prints(staff):
    cid = bring_to(staff, 9)
    at = page(staff.kepala, cid)
    [preview] = [e for e in at.main if type(e).__name__ == "Image"]
    assert "Halaman 1 dari 1" in str(preview.proto)
    assert "Draf surat jawaban terakhir" not in shown(at)  # no collapsed panel here
    assert "Pratinjau surat jawaban" in shown(at)


def test_without_libreoffice_the_preview_says_so_in_indonesian(staff, monkeypatch):
    monkeypatch.setenv("SOFFICE_PATH", "/nonexistent/soffice")
    import config

    config.get_settings.cache_clear()
    try:
        at = page(staff.kepala, bring_to(staff, 9))
    finally:
        monkeypatch.delenv("SOFFICE_PATH")
        config.get_settings.cache_clear()
    assert not at.exception
    assert any(
        "Pratinjau surat tidak dapat ditampilkan" in i.value and "LibreOffice" in i.value
        for i in at.info
    )


def test_the_hand_over_starts_from_the_guest_book_entry_typed_at_intake(staff):
    cid = bring_to(staff, 3, guest_book_entry="BT-2026-117")
    c = state(cid)
    at = page(staff.petugas, cid)
    box = at.text_input(key=key(c.ticket, c.version, "hand_over", "guest_book_entry"))
    assert box.value == "BT-2026-117"
    assert any("Diisi dari penerimaan pengaduan" in unescape(c.value) for c in at.caption)
    at = submit(at, c.ticket, c.version, "hand_over")
    assert state(cid).current_step == 4 and state(cid).guest_book_entry == "BT-2026-117"


def test_step_eleven_is_worked_in_the_action_section_with_what_intake_recorded(staff):
    cid = bring_to(staff, 11)
    at = page(staff.petugas, cid)
    text = shown(at)
    assert "Catat penyampaian melalui panel" not in text
    assert "Penyampaian surat jawaban (langkah 11)" in text
    values = {t.label: t.value for t in at.text_input}
    assert values["Nama penerima surat"] == "Siti Aminah"
    assert values["Alamat pos-el pengadu"] == "siti@example.id"
    assert values["Nomor WhatsApp pengadu"] == "081234567890"
    assert any("Diisi dari data pengadu saat penerimaan" in c.value for c in at.caption)

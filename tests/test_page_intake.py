"""Intake at the front desk: the form per channel, its refusals, duplicates, the result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.engine import read_session
from db.models import Complaint, Document
from layanan.calendar import OFFICE_TZ
from services.seed import DEMO_PDF
from tests.apptest_helpers import open_page, texts, unescape
from tests.factories import new_complaint

K = "intake:0:"


def fill(at, **values):
    for name, value in values.items():
        widget = at.text_area(key=K + name) if name == "body" else at.text_input(key=K + name)
        widget.input(value)
    return at


def complaints_saved() -> list[Complaint]:
    with read_session() as session:
        rows = list(session.scalars(select(Complaint).order_by(Complaint.id)))
        for row in rows:
            session.expunge(row)
        return rows


def documents_of(complaint_id: int) -> list[str]:
    with read_session() as session:
        return list(
            session.scalars(select(Document.kind).where(Document.complaint_id == complaint_id))
        )


def test_only_the_front_desk_opens_intake(staff):
    assert "tidak memiliki akses" in texts(open_page("intake", staff.kepala))
    assert "Silakan masuk" in texts(open_page("intake", None))


def test_a_walk_in_complaint_is_saved_with_ticket_and_pin_shown_once(staff):
    at = open_page("intake", staff.petugas)
    assert at.radio(key=K + "channel").value == "datang_langsung"
    # The incoming letter's number and date are asked only for letters.
    assert all(w.key != K + "letter_number" for w in at.text_input)
    fill(
        at,
        name="Budi Santoso",
        phone="081299887766",
        subject="Izin koperasi belum terbit",
        body="Pengesahan akta koperasi kami belum terbit sejak Agustus.",
        guest_book="BT-12",
    )
    at.selectbox(key=K + "category").select("Pelayanan perizinan koperasi")
    at = at.button(key=K + "save").click().run()
    assert not at.exception and not at.error
    [saved] = complaints_saved()
    assert (saved.current_step, saved.channel, saved.guest_book_entry) == (
        3,
        "datang_langsung",
        "BT-12",
    )
    [message] = at.success
    assert f"nomor tiket **{saved.ticket}**" in message.value
    assert "PIN pelacakan: **" in message.value
    assert any("tanda terima" in b.label for b in at.get("download_button"))  # ui.documents
    # Ticket and PIN are figures too, inside a dialog that stays until it is dismissed.
    assert [(m.label, m.value) for m in at.metric] == [
        ("Nomor tiket", saved.ticket),
        ("PIN pelacakan", message.value.split("PIN pelacakan: **")[1][:6]),
    ]
    assert at.button(key="intake-dismiss").label == "Saya sudah mencatat PIN"
    # The form is empty again behind the dialog.
    assert at.text_input(key="intake:1:name").value == ""
    at = at.run()  # any rerun (no dismissal yet): the PIN is still on screen
    assert at.success and at.metric
    at = at.button(key="intake-dismiss").click().run()
    assert not at.success and not at.metric  # dismissed: the PIN is gone for good
    at = at.run()
    assert not at.success and not at.metric


def dialogs(at) -> list:
    """The dialogs open on the page (Streamlit puts them in the event container)."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "dialog":
                found.append(child)
            walk(child)

    for root in at._tree.children.values():
        walk(root)
    return found


def test_the_pin_is_shown_in_a_dialog_that_cannot_be_brushed_away(staff):
    at = open_page("intake", staff.petugas)
    fill(at, name="Budi Santoso", subject="Izin", body="Belum terbit.")
    at.selectbox(key=K + "category").select("Pelayanan perizinan koperasi")
    at = at.button(key=K + "save").click().run()
    [dialog] = dialogs(at)
    assert dialog.proto.dialog.title == "Pengaduan tersimpan"
    assert dialog.proto.dialog.dismissible is False  # no cross, no Escape, no outside click
    assert dialog.proto.dialog.is_open
    [saved] = complaints_saved()
    pin = at.metric[1].value
    assert saved.tracking_pin_hash and pin not in saved.tracking_pin_hash  # only its hash
    at = at.button(key="intake-dismiss").click().run()
    assert dialogs(at) == [] or not dialogs(at)[0].proto.dialog.is_open


def test_arrival_and_meeting_times_are_written_day_month_year(staff):
    at = open_page("intake", staff.petugas)
    widgets = at.get("date_time_input")
    assert len(widgets) == 2
    for widget in widgets:
        assert widget.proto.format == "DD/MM/YYYY"
        assert "hh/bb/tttt" in widget.proto.help


def test_missing_items_are_refused_by_the_engine(staff):
    at = open_page("intake", staff.petugas)
    at = at.button(key=K + "save").click().run()
    assert at.error[0].value.startswith("Data belum lengkap: Perihal, Isi pengaduan, Kategori")
    assert complaints_saved() == []


def test_a_letter_needs_its_scan_and_is_stored_with_attachments(staff):
    at = open_page("intake", staff.petugas)
    at.radio(key=K + "channel").set_value("surat")
    at = at.run()
    assert "Waktu surat diterima (WITA)" in [w.label for w in at.get("date_time_input")]
    fill(
        at,
        name="Koperasi Maju",
        subject="RAT tidak dilaksanakan",
        body="Isi surat.",
        letter_number="12/KUD-MS/XI/2026",
        city="Kabupaten Sigi",
    )
    letter_date = datetime.now(UTC).astimezone(OFFICE_TZ).date() - timedelta(days=3)
    at.date_input(key=K + "letter_date").set_value(letter_date)
    at.selectbox(key=K + "category").select("Pembinaan dan pengawasan koperasi")
    at = at.button(key=K + "save").click().run()
    assert "Surat aduan" in at.error[0].value
    assert complaints_saved() == []
    at.file_uploader(key=K + "letter").upload("surat.pdf", DEMO_PDF, "application/pdf")
    at.file_uploader(key=K + "attachments").upload("foto.pdf", DEMO_PDF, "application/pdf")
    at = at.button(key=K + "save").click().run()
    assert not at.error
    [saved] = complaints_saved()
    assert sorted(documents_of(saved.id)) == ["attachment", "complaint_letter"]
    # The letter's own number and date, and the city of the reply's "di ...".
    assert (saved.incoming_letter_number, saved.incoming_letter_date) == (
        "12/KUD-MS/XI/2026",
        letter_date,
    )
    assert saved.complainant_city == "Kabupaten Sigi"


def test_a_file_that_is_not_a_document_is_refused(staff):
    at = open_page("intake", staff.petugas)
    fill(at, name="Ani", subject="Perihal", body="Isi.")
    at.selectbox(key=K + "category").select("Lainnya")
    at.file_uploader(key=K + "attachments").upload("foto.png", b"MZ\x90\x00exe", "image/png")
    at = at.button(key=K + "save").click().run()
    assert "foto.png ditolak: isinya bukan jenis yang diterima" in at.error[0].value
    assert complaints_saved() == []


def test_anonymous_and_confidential_flags_are_saved(staff):
    at = open_page("intake", staff.petugas)
    at.radio(key=K + "channel").set_value("whatsapp")
    at.checkbox(key=K + "anonymous").check()
    at.checkbox(key=K + "confidential").check()
    at.checkbox(key=K + "supervisory").check()
    fill(at, subject="Pungutan liar pendamping", body="Ada pungutan.", phone="0811223344")
    at.selectbox(key=K + "category").select("Perilaku aparatur")
    at = at.button(key=K + "save").click().run()
    assert not at.error
    [saved] = complaints_saved()
    assert (saved.anonymous, saved.confidential, saved.supervisory) == (True, True, True)
    assert saved.complainant_name is None and saved.channel == "whatsapp"


def test_arrival_and_meeting_times_are_office_time(staff):
    at = open_page("intake", staff.petugas)
    wall = datetime.now(UTC).astimezone(OFFICE_TZ).replace(tzinfo=None, second=0, microsecond=0)
    at.get("date_time_input")[0].set_value(wall - timedelta(hours=2))
    at.get("date_time_input")[1].set_value(wall - timedelta(hours=1))
    fill(at, name="Ani", subject="Perihal", body="Isi.")
    at.selectbox(key=K + "category").select("Lainnya")
    at = at.button(key=K + "save").click().run()
    [saved] = complaints_saved()
    arrived = saved.arrived_at.astimezone(OFFICE_TZ).replace(tzinfo=None)
    assert arrived == wall - timedelta(hours=2)


def test_a_meeting_before_the_arrival_is_refused(staff):
    at = open_page("intake", staff.petugas)
    wall = datetime.now(UTC).astimezone(OFFICE_TZ).replace(tzinfo=None, second=0, microsecond=0)
    at.get("date_time_input")[0].set_value(wall - timedelta(hours=1))
    at.get("date_time_input")[1].set_value(wall - timedelta(hours=2))
    fill(at, name="Ani", subject="Perihal", body="Isi.")
    at.selectbox(key=K + "category").select("Lainnya")
    at = at.button(key=K + "save").click().run()
    assert "Waktu kedatangan harus sebelum waktu bertemu petugas" in at.error[0].value


def test_possible_duplicates_are_shown_before_saving(staff):
    earlier = new_complaint(staff, complainant_phone="081234567890")
    at = open_page("intake", staff.petugas)
    at = fill(at, phone="0812-3456-7890").run()
    text = unescape(texts(at))
    assert "Kemungkinan duplikat: 1 pengaduan" in text
    assert earlier.ticket in text and "nomor telepon sama" in text
    at = fill(at, phone="", subject="Sertifikat pelatihan belum diterima juga").run()
    assert "perihal mirip" in unescape(texts(at))

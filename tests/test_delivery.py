"""Step 11: e-mail through a real local SMTP server, WhatsApp links, in person."""

from __future__ import annotations

import email
import hashlib
import socket
from email import policy
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import Document, StepEvent
from layanan.errors import InvalidInput, MissingItem, NotAllowed, StaleVersion, WrongRole
from services import actions, delivery, letters
from tests.factories import PDF, bring_to, new_complaint, state, version_of


class Inbox:
    """An aiosmtpd handler that keeps every message, or refuses every recipient."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    """A real SMTP server on localhost; the app's SMTP settings point to it."""

    def start(refuse: bool = False) -> Inbox:
        inbox = Inbox(refuse=refuse)
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("SMTP_SENDER", "Layanan Pengaduan <pengaduan@diskop.example.go.id>")
        config.get_settings.cache_clear()
        return inbox

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()
    config.get_settings.cache_clear()


def at_step_eleven(staff, **intake) -> int:
    complaint_id = bring_to(staff, 10, **intake)
    letters.sign_reply(
        complaint_id=complaint_id,
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
    )
    return complaint_id


def deliver_events(complaint_id: int) -> list[StepEvent]:
    with read_session() as session:
        rows = list(
            session.scalars(
                select(StepEvent).where(
                    StepEvent.complaint_id == complaint_id, StepEvent.action == "deliver"
                )
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def test_email_delivery_sends_the_signed_letter_and_records_the_step(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    ticket = state(complaint_id).ticket
    signed = letters.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id)
    result = delivery.deliver(
        complaint_id=complaint_id,
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        method="email",
        delivered_on="2026-11-28",
    )
    assert result.to_step == 12
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "pengaduan@diskop.example.go.id"
    assert recipients == ["siti@example.id"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "siti@example.id"
    assert message["From"] == "Layanan Pengaduan <pengaduan@diskop.example.go.id>"
    assert message["Message-ID"].endswith("@diskop.example.go.id>")
    assert message["Subject"].startswith(f"Surat Jawaban Pengaduan {ticket}")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"surat-jawaban-{ticket}.docx"
    assert hashlib.sha256(attachment.get_content()).digest() == hashlib.sha256(signed.data).digest()
    assert state(complaint_id).letter_number in message.get_body(("plain",)).get_content()
    complaint = state(complaint_id)
    assert complaint.current_step == 12 and complaint.delivery_method == "email"
    [event] = deliver_events(complaint_id)
    assert event.payload["delivery_method"] == "email"
    assert event.payload["delivered_on"] == "2026-11-28"
    assert "siti@example.id" in event.payload["evidence"]
    assert message["Message-ID"] in event.payload["evidence"]
    with read_session() as session:
        [evidence] = session.scalars(
            select(Document).where(
                Document.complaint_id == complaint_id, Document.kind == "delivery_evidence"
            )
        ).all()
        assert evidence.content_type == "message/rfc822"
        assert event.payload["documents"] == [evidence.id]
        assert email.message_from_bytes(evidence.data)["Message-ID"] == message["Message-ID"]


def test_a_refusing_server_leaves_the_step_open(staff, smtp_server):
    inbox = smtp_server(refuse=True)
    complaint_id = at_step_eleven(staff)
    version = version_of(complaint_id)
    with pytest.raises(delivery.DeliveryFailed) as err:
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version,
            method="email",
        )
    assert "siti@example.id" in err.value.message and "550" in err.value.message
    assert "langkah 11 belum dicatat" in err.value.message
    assert inbox.messages == []
    complaint = state(complaint_id)
    assert complaint.current_step == 11 and complaint.delivered_at is None
    assert complaint.version == version
    assert deliver_events(complaint_id) == []


def test_an_unreachable_server_leaves_the_step_open(staff, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))  # nobody listens
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    config.get_settings.cache_clear()
    complaint_id = at_step_eleven(staff)
    try:
        with pytest.raises(delivery.DeliveryFailed) as err:
            delivery.deliver(
                complaint_id=complaint_id,
                user_id=staff.petugas.id,
                expected_version=version_of(complaint_id),
                method="email",
            )
    finally:
        config.get_settings.cache_clear()
    assert "gagal dikirim" in err.value.message
    assert state(complaint_id).current_step == 11


def test_without_smtp_settings_email_is_refused_clearly(staff, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    config.get_settings.cache_clear()
    complaint_id = at_step_eleven(staff)
    with pytest.raises(delivery.DeliveryFailed) as err:
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="email",
        )
    config.get_settings.cache_clear()
    assert "SMTP_HOST" in err.value.message
    assert state(complaint_id).current_step == 11


def test_email_needs_an_address(staff, smtp_server):
    smtp_server()
    complaint_id = at_step_eleven(staff, complainant_email=None)
    with pytest.raises(MissingItem):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="email",
        )
    with pytest.raises(InvalidInput):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="email",
            email="bukan alamat",
        )
    assert state(complaint_id).current_step == 11


def test_a_stale_page_sends_nothing(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    with pytest.raises(StaleVersion):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id) - 1,
            method="email",
        )
    assert inbox.messages == []


def test_the_generic_deliver_form_goes_through_the_delivery_service(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    actions.perform(
        complaint_id=complaint_id,
        action="deliver",
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        payload={
            "delivery_method": "email",
            "delivered_on": "2026-11-28",
            "evidence": "Dikirim dari formulir.",
        },
    )
    assert len(inbox.messages) == 1
    [event] = deliver_events(complaint_id)
    assert "Dikirim dari formulir." in event.payload["evidence"]


def test_only_the_front_desk_delivers(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    with pytest.raises(WrongRole) as err:
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.unit_kop.id,
            expected_version=version_of(complaint_id),
            method="email",
        )
    assert "Petugas Pelayanan" in err.value.message
    assert inbox.messages == []


# --- WhatsApp ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("62812 3456 7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("+62 (812) 3456 789", "+628123456789"),
        ("(0812) 345 678 90", "+6281234567890"),
        ("8123456789", "+628123456789"),
    ],
)
def test_indonesian_mobile_numbers_are_normalised(raw, expected):
    assert delivery.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "bukan nomor",
        "0812abc4567",
        "+1 415 555 0100",
        "0211234567",  # a landline: no WhatsApp
        "0812",
        "08123456789012345",
        "++6281234567890",
        "62+81234567890",
        "0812\x003456789",
    ],
)
def test_garbage_numbers_are_refused(raw):
    with pytest.raises(InvalidInput):
        delivery.normalize_phone(raw)


def test_whatsapp_link_with_a_prefilled_message(staff):
    complaint_id = at_step_eleven(staff, complainant_phone="0812-3456-7890")
    complaint = state(complaint_id)
    link = delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.petugas.id)
    assert link.phone == "+6281234567890"
    parsed = urlparse(link.url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("https", "wa.me", "/6281234567890")
    text = parse_qs(parsed.query)["text"][0]
    assert text == link.message == unquote(parsed.query.removeprefix("text="))
    assert complaint.ticket in text and complaint.letter_number in text
    assert "Yth. Bapak/Ibu Siti Aminah" in text
    with pytest.raises(NotAllowed):
        delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.unit_kop.id)


def test_whatsapp_delivery_is_recorded_once_the_officer_confirms(staff):
    complaint_id = at_step_eleven(staff, complainant_phone="081234567890")
    with pytest.raises(MissingItem):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="whatsapp",
        )
    assert state(complaint_id).current_step == 11
    delivery.deliver(
        complaint_id=complaint_id,
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        method="whatsapp",
        confirmed=True,
        delivered_on="2026-11-28",
    )
    [event] = deliver_events(complaint_id)
    assert "+6281234567890" in event.payload["evidence"]
    assert "dikonfirmasi" in event.payload["evidence"]
    assert state(complaint_id).delivery_method == "whatsapp"


def test_whatsapp_refuses_a_landline_or_a_garbage_number(staff):
    # Intake accepts a landline (and refuses garbage); WhatsApp needs a mobile number.
    complaint_id = at_step_eleven(staff, complainant_phone="(0451) 421234")
    with pytest.raises(InvalidInput, match="nomor telepon rumah/kantor"):
        delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.petugas.id)
    with pytest.raises(InvalidInput, match="tidak valid"):
        delivery.whatsapp_link(
            complaint_id=complaint_id, user_id=staff.petugas.id, phone="tidak ada"
        )
    for phone in (None, "tidak ada"):
        with pytest.raises(InvalidInput):
            delivery.deliver(
                complaint_id=complaint_id,
                user_id=staff.petugas.id,
                expected_version=version_of(complaint_id),
                method="whatsapp",
                phone=phone,
                confirmed=True,
            )
    assert state(complaint_id).current_step == 11


def test_no_whatsapp_link_before_the_letter_is_signed(staff):
    complaint_id = bring_to(staff, 10)
    with pytest.raises(MissingItem):
        delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.petugas.id)


# --- in person ---------------------------------------------------------------------------


def test_in_person_delivery_records_who_received_it_and_the_receipt(staff):
    complaint_id = at_step_eleven(staff)
    with pytest.raises(MissingItem):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="langsung",
        )
    scan = PDF.__class__("delivery_evidence", "tanda-terima.pdf", "application/pdf", PDF.data)
    delivery.deliver(
        complaint_id=complaint_id,
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        method="langsung",
        received_by="Siti Aminah",
        documents=[scan],
    )
    [event] = deliver_events(complaint_id)
    assert "Diserahkan langsung kepada Siti Aminah" in event.payload["evidence"]
    assert "tanda terima dilampirkan" in event.payload["evidence"]
    assert len(event.payload["documents"]) == 1
    assert state(complaint_id).current_step == 12


def test_an_unknown_method_is_refused(staff):
    complaint_id = at_step_eleven(staff)
    with pytest.raises(InvalidInput):
        delivery.deliver(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
            method="merpati",
        )
    assert new_complaint  # the factory module is shared with other tests


# --- on the complaint page ----------------------------------------------------------------


def test_the_complaint_page_offers_the_three_ways_at_step_eleven(staff):
    from tests.apptest_helpers import open_page, texts

    complaint_id = at_step_eleven(staff, complainant_phone="0812 3456 7890")
    ticket = state(complaint_id).ticket
    at = open_page("complaint", staff.petugas, tiket=ticket)
    assert not at.exception
    shown = texts(at)
    assert "Penyampaian surat jawaban (langkah 11)" in shown
    [link] = at.get("link_button")
    assert link.proto.url.startswith("https://wa.me/6281234567890?text=")
    downloads = [b.label for b in at.get("download_button")]
    assert (
        f"Surat jawaban bertanda tangan ({state(complaint_id).letter_number}) (Word)" in downloads
    )
    assert "Unduh surat untuk dilampirkan" in downloads
    next(t for t in at.text_input if t.label == "Nama penerima surat").input("Siti Aminah")
    next(b for b in at.button if b.label == "Catat penyerahan langsung").click()
    at.run()
    assert not at.exception
    assert state(complaint_id).current_step == 12
    assert "Penyampaian surat jawaban" in texts(at)
    [event] = deliver_events(complaint_id)
    assert "Diserahkan langsung kepada Siti Aminah" in event.payload["evidence"]


def test_a_failed_email_is_shown_on_the_page_and_the_step_stays_open(staff, smtp_server):
    from tests.apptest_helpers import open_page, texts

    smtp_server(refuse=True)
    complaint_id = at_step_eleven(staff)
    at = open_page("complaint", staff.petugas, tiket=state(complaint_id).ticket)
    next(b for b in at.button if b.label == "Kirim e-mail dengan surat terlampir").click()
    at.run()
    assert "Server e-mail menolak alamat siti@example.id" in texts(at)
    assert state(complaint_id).current_step == 11


def test_other_roles_see_no_delivery_panel(staff):
    from tests.apptest_helpers import open_page, texts

    complaint_id = at_step_eleven(staff)
    at = open_page("complaint", staff.kepala, tiket=state(complaint_id).ticket)
    assert "Penyampaian surat jawaban (langkah 11)" not in texts(at)
    assert not at.get("link_button")


def test_without_libreoffice_the_pdf_button_is_disabled_with_the_reason(staff, monkeypatch):
    from tests.apptest_helpers import open_page, texts

    monkeypatch.setenv("SOFFICE_PATH", "/nonexistent/soffice")
    config.get_settings.cache_clear()
    try:
        complaint_id = bring_to(staff, 9)
        at = open_page("complaint", staff.kepala, tiket=state(complaint_id).ticket)
    finally:
        config.get_settings.cache_clear()
    pdf_buttons = [b for b in at.button if b.label == "PDF"]
    assert pdf_buttons and all(b.proto.disabled for b in pdf_buttons)
    assert all("LibreOffice" in b.proto.help for b in pdf_buttons)
    assert "PDF tidak tersedia: LibreOffice (soffice) tidak terpasang" in texts(at)


def test_with_libreoffice_the_page_makes_a_pdf(staff):
    from tests.apptest_helpers import open_page

    complaint_id = bring_to(staff, 9)
    at = open_page("complaint", staff.kepala, tiket=state(complaint_id).ticket)
    [make] = [b for b in at.button if b.label == "Buat PDF"][-1:]
    make.click()
    at.run()
    assert not at.exception
    assert "Unduh PDF" in [b.label for b in at.get("download_button")]

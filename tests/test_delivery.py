"""Step 11: e-mail through the outbox and a real local SMTP server, WhatsApp, in person.

Every way goes through ``services.workflow.perform``. E-mail: ``send_email`` queues the
message with its event, the sender sends it after commit, and the step is recorded
(``deliver``, by the sender on behalf of the officer) only once the server accepted it.
"""

from __future__ import annotations

import email
import hashlib
import time
from datetime import UTC, datetime, timedelta
from email import policy
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from sqlalchemy import func, select

import config
from db.engine import read_session, write_session
from db.models import Document, OutboxMessage, StepEvent
from layanan.errors import InvalidInput, MissingItem, NotAllowed, StaleVersion, WrongRole
from services import delivery, outbox, reply_letter, workflow
from tests.conftest import point_smtp_to
from tests.factories import PDF, bring_to, new_complaint, state, version_of
from tests.mailserver import free_port
from tests.test_outbox import CRASHING_SENDER, finish, sender


def at_step_eleven(staff, **intake) -> int:
    complaint_id = bring_to(staff, 10, **intake)
    workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
    )
    assert state(complaint_id).current_step == 11
    return complaint_id


def events_of(complaint_id: int, action: str) -> list[StepEvent]:
    with read_session() as session:
        rows = list(
            session.scalars(
                select(StepEvent)
                .where(StepEvent.complaint_id == complaint_id, StepEvent.action == action)
                .order_by(StepEvent.seq)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def deliver_events(complaint_id: int) -> list[StepEvent]:
    return events_of(complaint_id, "deliver")


def outbox_rows(complaint_id: int) -> list[outbox.MessageState]:
    return outbox.messages_of(complaint_id)


def send(staff, complaint_id: int, **kwargs) -> delivery.EmailResult:
    return delivery.send_email(
        complaint_id=complaint_id,
        user_id=kwargs.pop("user_id", staff.petugas.id),
        expected_version=kwargs.pop("expected_version", version_of(complaint_id)),
        **kwargs,
    )


def by_hand(user, complaint_id: int, method: str, documents=(), evidence=None, **given):
    """WhatsApp or in person, as the delivery panel records it (``given``: number,
    confirmation, receiver, as the panel passes them to the hook)."""
    return workflow.perform(
        complaint_id=complaint_id,
        action="deliver",
        user_id=user.id,
        expected_version=version_of(complaint_id),
        payload={
            "delivery_method": method,
            "delivered_on": "2026-11-28",
            "evidence": evidence or delivery.PANEL_NOTE,
        },
        documents=documents,
        hook_input=given,
    )


# --- e-mail -------------------------------------------------------------------------------


def test_an_accepted_email_records_step_eleven_exactly_once_with_its_message_id(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    ticket = state(complaint_id).ticket
    signed = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id)
    result = send(staff, complaint_id, note="Pemohon minta dikirim ke e-mail kantornya.")
    assert result.delivered and result.message.status == "sent"
    assert "terkirim ke siti@example.id" in result.text and "pukul" in result.text
    [(sender_address, recipients, raw)] = inbox.messages
    assert sender_address == "pengaduan@diskop.example.go.id"
    assert recipients == ["siti@example.id"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "siti@example.id"
    assert message["From"] == "Layanan Pengaduan <pengaduan@diskop.example.go.id>"
    assert message["Message-ID"].endswith("@diskop.example.go.id>")
    assert message["Subject"].startswith(f"Surat Jawaban Pengaduan {ticket}")
    [attachment] = list(message.iter_attachments())
    # The signed PDF, never the .docx (issue 11): the bytes /verifikasi vouches for.
    assert attachment.get_filename() == f"surat-jawaban-{ticket}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert signed.mime == "application/pdf"
    assert hashlib.sha256(attachment.get_content()).digest() == hashlib.sha256(signed.data).digest()
    assert state(complaint_id).letter_number in message.get_body(("plain",)).get_content()

    complaint = state(complaint_id)
    assert complaint.current_step == 12 and complaint.delivery_method == "email"
    [queued] = events_of(complaint_id, "send_email")
    assert queued.step == 11 and queued.to_step == 11 and queued.actor_id == staff.petugas.id
    [event] = deliver_events(complaint_id)
    assert event.actor_id == staff.petugas.id  # recorded on behalf of the officer
    assert event.payload["delivery_method"] == "email"
    assert "siti@example.id" in event.payload["evidence"]
    assert message["Message-ID"] in event.payload["evidence"]
    assert "pukul" in event.payload["evidence"] and "WITA" in event.payload["evidence"]
    assert "Pemohon minta dikirim ke e-mail kantornya." in event.payload["evidence"]

    [row] = outbox_rows(complaint_id)
    assert row.status == "sent" and row.attempts == 1 and row.message_id == message["Message-ID"]
    assert [a.ok for a in outbox.attempts_of(row.id)] == [True]
    with read_session() as session:
        stored = session.get(OutboxMessage, row.id)
        assert stored.event_id == queued.id and stored.requested_by_id == staff.petugas.id
        [evidence] = session.scalars(
            select(Document).where(
                Document.complaint_id == complaint_id, Document.kind == "delivery_evidence"
            )
        ).all()
        assert evidence.content_type == "message/rfc822"
        assert event.payload["documents"] == [evidence.id]
        assert email.message_from_bytes(evidence.data)["Message-ID"] == message["Message-ID"]
    assert outbox.process_due() == {}  # nothing is sent twice
    assert len(inbox.messages) == 1 and len(deliver_events(complaint_id)) == 1


def test_a_refusing_server_leaves_the_step_open_and_the_address_can_be_corrected(
    staff, smtp_server
):
    inbox = smtp_server(refuse="550 5.1.1 Mailbox unavailable")
    complaint_id = at_step_eleven(staff)
    result = send(staff, complaint_id)
    assert not result.delivered and result.message.status == "failed"
    assert "Server pos-el menolak alamat siti@example.id" in result.text
    assert "550 5.1.1" in result.text and "langkah 11 belum dicatat" in result.text
    assert inbox.messages == []
    complaint = state(complaint_id)
    assert complaint.current_step == 11 and complaint.delivered_at is None
    assert deliver_events(complaint_id) == []
    [failed] = outbox_rows(complaint_id)
    assert failed.status == "failed" and "550" in failed.last_error

    inbox.refuse = None  # the officer corrects the address and sends again
    again = send(staff, complaint_id, recipient="siti.aminah@example.id")
    assert again.delivered
    assert [m.status for m in outbox_rows(complaint_id)] == ["sent", "failed"]
    assert [r for _, r, _ in inbox.messages] == [["siti.aminah@example.id"]]
    [event] = deliver_events(complaint_id)
    assert "siti.aminah@example.id" in event.payload["evidence"]


def test_an_unreachable_server_is_retried_with_backoff_then_delivered(
    staff, smtp_server, monkeypatch
):
    port = free_port()
    point_smtp_to(monkeypatch, port)  # nobody listens yet
    complaint_id = at_step_eleven(staff)
    result = send(staff, complaint_id)
    assert not result.delivered and result.message.status == "pending"
    assert "Server pos-el tidak dapat dihubungi" in result.text
    assert "Akan dicoba lagi pukul" in result.text
    assert result.message.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
    assert state(complaint_id).current_step == 11 and deliver_events(complaint_id) == []
    assert outbox.process_due() == {}  # not due before the backoff

    inbox = smtp_server(port=port)  # the server is back
    later = result.message.next_attempt_at + timedelta(seconds=1)
    assert outbox.process_due(now=later) == {"sent": 1}
    assert len(inbox.messages) == 1
    assert state(complaint_id).current_step == 12
    [event] = deliver_events(complaint_id)
    assert event.actor_id == staff.petugas.id
    [row] = outbox_rows(complaint_id)
    assert row.attempts == 2 and [a.ok for a in outbox.attempts_of(row.id)] == [False, True]


def test_a_rolled_back_action_leaves_no_outbox_row(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    version = version_of(complaint_id)
    with pytest.raises(RuntimeError), write_session() as session:
        workflow.perform(
            session=session,
            complaint_id=complaint_id,
            action="send_email",
            user_id=staff.petugas.id,
            expected_version=version,
            payload={"recipient_email": "siti@example.id"},
        )
        # Inside the action's own transaction the message exists, with its event ...
        [(event_id,)] = session.execute(select(OutboxMessage.event_id)).all()
        assert session.get(StepEvent, event_id).action == "send_email"
        raise RuntimeError("the transaction fails before commit")
    # ... and the rollback took both away: no mail can ever go out for it.
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert events_of(complaint_id, "send_email") == []
    assert version_of(complaint_id) == version
    assert outbox.process_due() == {} and inbox.messages == []


def test_without_smtp_settings_the_email_fails_with_the_reason_and_the_step_stays_open(
    staff, monkeypatch
):
    monkeypatch.setenv("SMTP_HOST", "")
    config.get_settings.cache_clear()
    complaint_id = at_step_eleven(staff)
    result = send(staff, complaint_id)
    assert not result.delivered and result.message.status == "failed"
    assert "SMTP_HOST" in result.text and "langkah 11 belum dicatat" in result.text
    assert state(complaint_id).current_step == 11 and deliver_events(complaint_id) == []


def test_email_needs_a_valid_address(staff, smtp_server):
    smtp_server()
    complaint_id = at_step_eleven(staff, complainant_email=None)
    with pytest.raises(MissingItem):
        send(staff, complaint_id)
    with pytest.raises(InvalidInput) as err:
        send(staff, complaint_id, recipient="bukan alamat")
    assert "Alamat pos-el pengadu" in err.value.message
    assert state(complaint_id).current_step == 11 and outbox_rows(complaint_id) == []


def test_a_stale_page_sends_nothing(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    with pytest.raises(StaleVersion):
        send(staff, complaint_id, expected_version=version_of(complaint_id) - 1)
    assert inbox.messages == [] and outbox_rows(complaint_id) == []


def test_only_the_front_desk_sends(staff, smtp_server):
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    with pytest.raises(WrongRole) as err:
        send(staff, complaint_id, user_id=staff.unit_kop.id)
    assert "Petugas Pelayanan" in err.value.message
    assert inbox.messages == [] and outbox_rows(complaint_id) == []


def test_email_delivery_cannot_be_recorded_without_an_accepted_message(staff, smtp_server):
    smtp_server(refuse="550 5.1.1 Mailbox unavailable")
    complaint_id = at_step_eleven(staff)
    with pytest.raises(NotAllowed):
        by_hand(staff.petugas, complaint_id, "email", evidence="Terkirim ke siti@example.id")
    failed = send(staff, complaint_id).message
    with pytest.raises(NotAllowed):  # a refused message is no proof either
        by_hand(staff.petugas, complaint_id, "email", outbox_message_id=failed.id)
    assert state(complaint_id).current_step == 11 and deliver_events(complaint_id) == []


def test_a_queued_email_is_cancelled_when_the_letter_was_delivered_by_hand(
    staff, smtp_server, monkeypatch
):
    port = free_port()
    point_smtp_to(monkeypatch, port)  # the server is down: the e-mail waits for a retry
    complaint_id = at_step_eleven(staff)
    pending = send(staff, complaint_id).message
    assert pending.status == "pending"
    by_hand(staff.petugas, complaint_id, "langsung", received_by="Siti Aminah")
    inbox = smtp_server(port=port)
    assert outbox.process_due(now=pending.next_attempt_at + timedelta(seconds=1)) == {}
    [row] = outbox_rows(complaint_id)
    assert row.status == "cancelled" and "Dibatalkan sebelum dikirim" in row.last_error
    assert inbox.messages == []
    [event] = deliver_events(complaint_id)
    assert event.payload["delivery_method"] == "langsung"


def test_an_email_accepted_after_a_hand_delivery_is_marked_sent_with_the_reason(staff, smtp_server):
    smtp_server()
    complaint_id = at_step_eleven(staff)
    workflow.perform(
        complaint_id=complaint_id,
        action="send_email",
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        payload={"recipient_email": "siti@example.id"},
    )
    [claimed] = outbox.claim()  # the sender has it in hand ...
    by_hand(staff.petugas, complaint_id, "langsung", received_by="Siti Aminah")  # ... meanwhile
    assert outbox.record(claimed, outbox.Outcome(True)) == "sent"
    [row] = outbox_rows(complaint_id)
    assert row.status == "sent" and "Terkirim, tetapi tidak dapat dicatat" in row.last_error
    [event] = deliver_events(complaint_id)  # the hand delivery only; nothing half-written
    assert event.payload["delivery_method"] == "langsung"
    with read_session() as session:
        kinds = session.scalars(
            select(Document.content_type).where(
                Document.complaint_id == complaint_id, Document.kind == "delivery_evidence"
            )
        ).all()
    assert "message/rfc822" not in kinds


def test_a_sender_killed_after_acceptance_resends_the_same_message_and_records_once(
    staff, smtp_server, monkeypatch
):
    monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "4")
    inbox = smtp_server()
    complaint_id = at_step_eleven(staff)
    workflow.perform(  # queued only: the sender subprocesses below send it
        complaint_id=complaint_id,
        action="send_email",
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
        payload={"recipient_email": "siti@example.id"},
    )
    [queued] = outbox_rows(complaint_id)
    code, _, err = finish(sender(code=CRASHING_SENDER))
    assert code == 17, err
    assert inbox.copies() == {queued.message_id: 1}
    assert state(complaint_id).current_step == 11  # accepted, but its record never committed
    assert outbox.message_state(queued.id).status == "sending"
    with read_session() as session:
        lease_until = session.get(OutboxMessage, queued.id).lease_until
    # Nobody takes it while the dead sender's lease holds (asked at an instant inside it,
    # as in test_outbox: on a loaded machine the crash alone may outlast the 4 s).
    assert outbox.claim(now=lease_until - timedelta(seconds=1)) == []
    time.sleep(max(0.0, (lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
    code, out, err = finish(sender("--drain"))
    assert code == 0, err
    assert "sent=1" in out
    assert inbox.copies() == {queued.message_id: 2}  # two copies, one Message-ID
    assert state(complaint_id).current_step == 12
    [event] = deliver_events(complaint_id)  # step 11 recorded exactly once
    assert queued.message_id in event.payload["evidence"]
    with read_session() as session:
        [evidence] = session.scalars(
            select(Document.data).where(
                Document.complaint_id == complaint_id, Document.kind == "delivery_evidence"
            )
        ).all()
    assert email.message_from_bytes(evidence)["Message-ID"] == queued.message_id


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
        by_hand(staff.petugas, complaint_id, "whatsapp")
    assert state(complaint_id).current_step == 11
    by_hand(staff.petugas, complaint_id, "whatsapp", confirmed=True, evidence="Dibaca pemohon.")
    [event] = deliver_events(complaint_id)
    assert event.payload["delivered_on"] == "2026-11-28"
    assert "+6281234567890" in event.payload["evidence"]
    assert "dikonfirmasi" in event.payload["evidence"] and "pukul" in event.payload["evidence"]
    assert "Catatan petugas: Dibaca pemohon." in event.payload["evidence"]
    assert outbox_rows(complaint_id) == []  # nothing leaves the system for WhatsApp
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
            by_hand(staff.petugas, complaint_id, "whatsapp", phone=phone, confirmed=True)
    assert state(complaint_id).current_step == 11


def test_no_whatsapp_link_before_the_letter_is_signed(staff):
    complaint_id = bring_to(staff, 10)
    with pytest.raises(MissingItem):
        delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.petugas.id)


# --- in person ---------------------------------------------------------------------------


def test_in_person_delivery_records_who_received_it_and_the_receipt(staff):
    complaint_id = at_step_eleven(staff)
    with pytest.raises(MissingItem) as err:
        by_hand(staff.petugas, complaint_id, "langsung")
    assert "Nama penerima" in err.value.message
    scan = PDF.__class__("delivery_evidence", "tanda-terima.pdf", "application/pdf", PDF.data)
    by_hand(staff.petugas, complaint_id, "langsung", received_by="Siti Aminah", documents=[scan])
    [event] = deliver_events(complaint_id)
    assert "Diserahkan langsung kepada Siti Aminah" in event.payload["evidence"]
    assert "tanda terima dilampirkan" in event.payload["evidence"]
    assert len(event.payload["documents"]) == 1
    assert state(complaint_id).current_step == 12


def test_an_unknown_method_is_refused(staff):
    complaint_id = at_step_eleven(staff)
    with pytest.raises(InvalidInput):
        by_hand(staff.petugas, complaint_id, "merpati")
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
    assert f"Surat jawaban bertanda tangan ({state(complaint_id).letter_number}) (PDF)" in downloads
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

    inbox = smtp_server(refuse="550 5.1.1 Mailbox unavailable")
    complaint_id = at_step_eleven(staff)
    at = open_page("complaint", staff.petugas, tiket=state(complaint_id).ticket)
    next(b for b in at.button if b.label == "Kirim pos-el dengan surat terlampir").click()
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "Pos-el ke siti@example.id gagal dikirim" in shown
    assert "Server pos-el menolak alamat siti@example.id (550 5.1.1 Mailbox unavailable)" in shown
    assert "langkah 11 belum dicatat" in shown
    assert state(complaint_id).current_step == 11 and inbox.messages == []
    # A later visit of the page still shows the failed message and its reason.
    fresh = open_page("complaint", staff.petugas, tiket=state(complaint_id).ticket)
    assert "Server pos-el menolak alamat siti@example.id" in texts(fresh)
    # The officer corrects the address; the server accepts; the step is recorded.
    inbox.refuse = None
    next(t for t in fresh.text_input if t.label == "Alamat pos-el pengadu").input("s@example.id")
    next(b for b in fresh.button if b.label == "Kirim pos-el dengan surat terlampir").click()
    fresh.run()
    assert not fresh.exception
    assert state(complaint_id).current_step == 12
    assert [r for _, r, _ in inbox.messages] == [["s@example.id"]]
    assert "terkirim ke s@example.id" in texts(fresh)


def test_the_page_shows_an_email_waiting_for_a_retry(staff, monkeypatch):
    from tests.apptest_helpers import open_page, texts

    point_smtp_to(monkeypatch, free_port())  # the server is down
    complaint_id = at_step_eleven(staff)
    pending = send(staff, complaint_id).message
    assert pending.status == "pending"
    at = open_page("complaint", staff.petugas, tiket=state(complaint_id).ticket)
    assert not at.exception
    shown = texts(at)
    assert "Pos-el ke siti@example.id belum terkirim" in shown
    assert "Server pos-el tidak dapat dihubungi" in shown
    assert "Akan dicoba lagi pukul" in shown and "WITA" in shown
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

"""Messages to the complainant (issue 13, part 3): each moment of a complaint's life,
once, by e-mail (a real aiosmtpd server) and by WhatsApp (a local server speaking the
Cloud API); no identity nor content for anonim/rahasia; opt-out on /lacak; the admin's
texts with checked placeholders; the Cloud API's error codes."""

from __future__ import annotations

import email
import json
from email import policy

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import OutboxMessage
from layanan.errors import InvalidInput, NotAllowed
from services import complainant_messages as cm
from services import outbox, portal, whatsapp
from tests.factories import (
    PDF,
    WRITTEN_PATH,
    actor_for,
    do,
    new_complaint,
    payload_for,
    state,
)

PHONE_DIGITS = "6281234567890"  # the factories' 081234567890


def walk(staff, complaint_id: int, until: str | None = None) -> None:
    """Move a complaint along the written path (up to, not including, ``until``)."""
    for action in WRITTEN_PATH:
        if action == until:
            return
        documents = [PDF] if action == "submit_draft" else []
        do(actor_for(action, staff), complaint_id, action, payload_for(action, staff), documents)


@pytest.fixture(autouse=True)
def channels_on(staff) -> None:
    """Both channels on (the default is off until the admin has reviewed the texts)."""
    cm.save_settings(
        user_id=staff.admin.id,
        email=True,
        whatsapp=True,
        texts=dict(cm.DEFAULT_TEXTS),
        templates=dict(cm.DEFAULT_TEMPLATES),
    )


def mails(inbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=policy.default) for _, _, raw in inbox.messages]


def complainant_rows(kind: str) -> list[OutboxMessage]:
    with read_session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_every_message_of_a_complaints_life_arrives_once_by_email_and_whatsapp(
    staff, smtp_server, wa_server
):
    inbox = smtp_server()
    created = new_complaint(staff)
    walk(staff, created.complaint_id)
    assert state(created.complaint_id).current_step is None  # closed
    # Written with their events, nothing sent yet.
    assert len(complainant_rows(cm.EMAIL_KIND)) == 5
    assert all(r.status == outbox.PENDING for r in complainant_rows(cm.WHATSAPP_KIND))
    outbox.process_due()
    outbox.process_due()  # a second round sends nothing again

    subjects = [m["Subject"] for m in mails(inbox)]
    ticket = created.ticket
    assert subjects == [
        f"Pengaduan {ticket} telah diterima",
        f"Pengaduan {ticket} sedang ditangani",
        f"Jawaban pengaduan {ticket} telah disampaikan",
        f"Bagaimana penanganan pengaduan {ticket}?",
        f"Pengaduan {ticket} selesai",
    ]
    assert {rcpt for _, [rcpt], _ in inbox.messages} == {"siti@example.id"}
    first = mails(inbox)[0].get_content()
    assert "Yth. Bapak/Ibu Siti Aminah" in first and f"/lacak?tiket={ticket}" in first
    assert created.pin not in "".join(m.get_content() for m in mails(inbox))

    assert wa_server.templates() == [
        "pengaduan_diterima",
        "pengaduan_ditangani",
        "pengaduan_jawaban_dikirim",
        "pengaduan_penilaian",
        "pengaduan_selesai",
    ]
    for sent in wa_server.requests:
        assert sent["to"] == PHONE_DIGITS and sent["template"]["language"] == {"code": "id"}
        [body] = sent["template"]["components"]
        values = [p["text"] for p in body["parameters"]]
        assert values == [ticket, f"http://localhost:8501/lacak?tiket={ticket}"]  # no PIN
    assert {r.status for r in complainant_rows(cm.WHATSAPP_KIND)} == {outbox.SENT}


@pytest.mark.parametrize("flag", ["anonymous", "confidential"])
def test_anonim_and_rahasia_messages_carry_no_identity_nor_content(
    staff, smtp_server, wa_server, flag
):
    inbox = smtp_server()
    created = new_complaint(
        staff,
        complainant_name="Rahmat Sembunyi",
        subject="Pungutan liar oleh petugas X",
        body="Petugas X meminta uang.",
        **{flag: True},
    )
    walk(staff, created.complaint_id, until="submit_draft")  # received, being handled
    outbox.process_due()
    everything = "".join(m.as_string() for m in mails(inbox)) + json.dumps(wa_server.requests)
    assert len(inbox.messages) == 2 and len(wa_server.requests) == 2
    for secret in ("Rahmat", "Sembunyi", "Pungutan", "Petugas X", "meminta uang"):
        assert secret not in everything
    assert "Yth. Bapak/Ibu," in mails(inbox)[0].get_content()


def test_the_complainant_opts_out_on_lacak_and_receives_nothing_more(staff, smtp_server, wa_server):
    inbox = smtp_server()
    created = new_complaint(staff)  # "received" queued, not yet sent
    portal.stop_messages(ticket=created.ticket, pin=created.pin, client="uji")
    assert portal.track(ticket=created.ticket, pin=created.pin, client="uji").messages_stopped
    walk(staff, created.complaint_id)  # the whole life of the complaint
    outbox.process_due()
    assert inbox.messages == [] and wa_server.requests == []
    statuses = {r.status for r in complainant_rows(cm.EMAIL_KIND)}
    assert statuses == {outbox.CANCELLED}  # the one written before the opt-out
    assert len(complainant_rows(cm.EMAIL_KIND)) == 1  # nothing written after it


def test_without_a_gateway_nothing_goes_by_whatsapp(staff):
    new_complaint(staff)
    assert complainant_rows(cm.WHATSAPP_KIND) == []
    assert len(complainant_rows(cm.EMAIL_KIND)) == 1


def test_channels_are_off_until_the_admin_turns_them_on(staff, wa_server):
    cm.save_settings(
        user_id=staff.admin.id,
        email=False,
        whatsapp=False,
        texts=dict(cm.DEFAULT_TEXTS),
        templates=dict(cm.DEFAULT_TEMPLATES),
    )
    new_complaint(staff)
    assert complainant_rows(cm.EMAIL_KIND) == complainant_rows(cm.WHATSAPP_KIND) == []


def test_the_admin_edits_the_texts_and_bad_placeholders_are_refused(staff, smtp_server):
    inbox = smtp_server()
    texts = dict(cm.DEFAULT_TEXTS)

    def save(moment: str, subject: str, body: str) -> None:
        cm.save_settings(
            user_id=staff.admin.id,
            email=True,
            whatsapp=True,
            texts={**texts, moment: (subject, body)},
            templates=cm.DEFAULT_TEMPLATES,
        )

    for body in ("Halo {nama}", "Halo {tiket.upper}", "Halo {tiket!r}", "Halo {", "{0}"):
        with pytest.raises(InvalidInput) as refused:
            save("diterima", "Tiket {tiket}", body)
        assert "Isian yang tersedia: {sapaan}, {tiket}" in refused.value.message
    with pytest.raises(InvalidInput):
        save("diterima", "Baris satu\nbaris dua", "{tiket}")
    with pytest.raises(NotAllowed):
        cm.save_settings(
            user_id=staff.petugas.id,
            email=True,
            whatsapp=True,
            texts=texts,
            templates=cm.DEFAULT_TEMPLATES,
        )
    save("diterima", "Nomor {tiket} tercatat", "{sapaan}, kurung {{ biasa }}: {tiket}.")
    created = new_complaint(staff)
    outbox.process_due()
    [mail] = mails(inbox)
    assert mail["Subject"] == f"Nomor {created.ticket} tercatat"
    assert mail.get_content().strip() == (
        f"Yth. Bapak/Ibu Siti Aminah, kurung {{ biasa }}: {created.ticket}."
    )


def test_cloud_api_error_codes_are_sorted_for_the_outbox(db, wa_server):
    def payload() -> dict:
        return whatsapp.template_payload(
            phone="+6281234567890", template="pengaduan_diterima", parameters=["A", "B"]
        )

    script = wa_server.script.setdefault(PHONE_DIGITS, [])
    script += [
        (400, 131026, "Message undeliverable"),
        (429, 130429, "Rate limit hit"),
        (400, 132001, "Template name does not exist in the translation"),
        (500, 131000, "Something went wrong"),
    ]
    invalid, limited, rejected, broken = (whatsapp.send(payload()) for _ in range(4))
    assert (invalid.ok, invalid.permanent, invalid.code) == (False, True, 131026)
    assert invalid.detail.startswith("Nomor WhatsApp tidak valid atau tidak terdaftar")
    assert (limited.permanent, limited.code) == (False, 130429)
    assert "Batas pengiriman WhatsApp" in limited.detail
    assert (rejected.permanent, rejected.code) == (True, 132001)
    assert "Templat pesan WhatsApp ditolak" in rejected.detail
    assert (broken.permanent, broken.code) == (False, 131000)
    ok = whatsapp.send(payload())
    assert ok.ok and ok.message_id.startswith("wamid.")


def test_a_rate_limited_whatsapp_message_is_retried_and_an_invalid_number_fails(staff, wa_server):
    wa_server.script[PHONE_DIGITS] = [(429, 130429, "Rate limit hit")]
    created = new_complaint(staff, complainant_email=None)
    [row] = complainant_rows(cm.WHATSAPP_KIND)
    outbox.process_due()
    retry = outbox.message_state(row.id)
    assert retry.status == outbox.PENDING and "Batas pengiriman WhatsApp" in retry.last_error
    outbox.process_due(now=retry.next_attempt_at)
    assert outbox.message_state(row.id).status == outbox.SENT
    assert len(wa_server.requests) == 1

    wa_server.script[PHONE_DIGITS] = [(400, 131026, "Message undeliverable")]
    walk(staff, created.complaint_id, until="submit_draft")  # the disposition: "ditangani"
    outbox.process_due()
    failed = complainant_rows(cm.WHATSAPP_KIND)[-1]
    assert failed.status == outbox.FAILED and "tidak valid" in failed.last_error

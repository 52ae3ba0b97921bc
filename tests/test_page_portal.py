"""AppTests of the public pages: Lacak Pengaduan and Ajukan Pengaduan (no login)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import read_session
from db.models import Complaint, Rating
from layanan import sop
from services.portal import HONEYPOT_REFUSAL, WRONG_CREDENTIALS
from tests.factories import bring_to, do, new_complaint, payload_for
from tests.test_portal import PIN, signed_and_delivered, with_pin
from ui.portal import HONEYPOT_KEY
from ui.session import CLIENT_TOKEN_KEY

ROOT = Path(__file__).resolve().parents[1]
LACAK = str(ROOT / "pages" / "lacak.py")
AJUKAN = str(ROOT / "pages" / "ajukan.py")


def texts(at: AppTest) -> str:
    """Every text the page shows, joined (to assert what is and is not there)."""
    kinds = (
        "title",
        "subheader",
        "markdown",
        "text",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "metric",
    )
    parts = []
    for kind in kinds:
        for element in at.get(kind):
            parts.append(str(getattr(element, "value", "")))
            parts.append(str(getattr(element, "label", "")))
    return "\n".join(parts)


def track(ticket: str, pin: str, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(LACAK, default_timeout=30).run()
    at.text_input[0].input(ticket)
    at.text_input[1].input(pin)
    at.button[0].click().run()
    return at


# --- Lacak Pengaduan --------------------------------------------------------------------


def test_the_tracking_page_opens_without_login_and_prefills_the_ticket(db):
    at = AppTest.from_file(LACAK, default_timeout=30)
    at.query_params["tiket"] = "ADU-2026-000042"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Lacak Pengaduan"
    assert at.text_input[0].value == "ADU-2026-000042"
    assert at.text_input[1].value == ""  # the PIN never comes from the address
    assert "Silakan masuk" not in texts(at)


def test_the_tracking_page_shows_the_progress_line(staff):
    complaint_id = bring_to(staff, 8)
    at = track(with_pin(complaint_id), PIN)
    assert not at.exception and not at.error
    shown = texts(at)
    for number in sop.WRITTEN_PATH:
        assert sop.step(number).public_label in shown
    assert "Jawaban sedang disusun *(sedang berjalan)*" in shown
    assert "Perkiraan selesai:** paling lambat" in shown
    assert "Perihal: Sertifikat pelatihan belum diterima" in shown
    for secret in ("Siti Aminah", "081234567890", staff.kepala.full_name, "123/TNDE", "BT-001"):
        assert secret not in shown
    assert not at.get("radio")  # no rating before delivery


def test_a_wrong_ticket_and_a_wrong_pin_show_the_same_message(staff):
    created = new_complaint(staff)
    wrong_pin = "000000" if created.pin != "000000" else "111111"
    by_ticket = track("ADU-1999-000001", created.pin)
    by_pin = track(created.ticket, wrong_pin)
    assert [e.value for e in by_ticket.error] == [e.value for e in by_pin.error]
    assert [e.value for e in by_pin.error] == [WRONG_CREDENTIALS]
    assert not by_pin.subheader  # nothing of the complaint


def test_repeated_failures_are_refused_on_the_page(staff):
    created = new_complaint(staff)
    at = None
    for _ in range(4):  # 3 failures are free; the 4th attempt comes too soon
        at = track(created.ticket, "999999" if created.pin != "999999" else "888888", at)
    assert "Terlalu banyak percobaan yang gagal" in at.error[0].value


def test_a_rahasia_complaint_shows_progress_only(staff):
    complaint_id = bring_to(staff, 7, confidential=True)
    at = track(with_pin(complaint_id), PIN)
    shown = texts(at)
    assert "bersifat rahasia" in shown
    assert "Ditelaah Kepala Dinas" in shown
    for secret in ("Sertifikat pelatihan", "Pelatihan dan sertifikasi", "Siti Aminah"):
        assert secret not in shown


def test_the_complainant_rates_once_after_delivery(staff):
    complaint_id = bring_to(staff, 12)
    at = track(with_pin(complaint_id), PIN)
    assert "Penilaian layanan" in texts(at)
    at.button(key="FormSubmitter:penilaian-Kirim penilaian").click().run()
    assert at.error[0].value == "Pilih salah satu nilai dari 1 sampai 5."
    at.radio[0].set_value(4)
    at.text_area[0].input("Petugas ramah.")
    at.button(key="FormSubmitter:penilaian-Kirim penilaian").click().run()
    assert not at.exception
    assert "Penilaian Anda: 4 \u2013 Puas" in texts(at)
    assert not at.get("radio")
    with read_session() as session:
        rating = session.get(Rating, complaint_id)
        assert (rating.score, rating.comment) == (4, "Petugas ramah.")


def test_leaving_the_tracking_page_forgets_the_pin(staff):
    created = new_complaint(staff)
    at = track(created.ticket, created.pin)
    [done] = [b for b in at.button if b.label == "Selesai melacak"]
    done.click().run()
    assert "portal_tracking" not in at.session_state
    assert not at.subheader


# --- Ajukan Pengaduan -------------------------------------------------------------------


def fill(at: AppTest, **values) -> AppTest:
    fields = {
        "Nama lengkap *": "Yusuf Lamato",
        "Nomor telepon/WhatsApp": "082199998888",
        "Perihal *": "Dana bergulir belum cair",
    }
    fields.update(values)
    for widget in at.text_input:
        if widget.label in fields:
            widget.input(fields[widget.label])
    at.selectbox[0].select("Bantuan dan pembiayaan usaha")
    [body] = [w for w in at.text_area if w.label == "Isi pengaduan *"]
    body.input(values.get("body", "Pengajuan dana bergulir sejak Agustus belum ada kabar."))
    return at


def send(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label == "Kirim pengaduan"]
    button.click().run()
    return at


def test_an_online_submission_shows_ticket_and_pin_and_waits_at_step_two(staff):
    at = AppTest.from_file(AJUKAN, default_timeout=30).run()
    assert not at.exception and "Silakan masuk" not in texts(at)
    send(fill(at))
    assert not at.exception and not at.error
    ticket, pin = (m.value for m in at.metric)
    assert ticket.startswith("ADU-") and len(pin) == 6
    assert [b.label for b in at.download_button] == ["Unduh tanda terima"]
    with read_session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket))
        assert (complaint.channel, complaint.current_step) == ("online", 2)
        assert complaint.complainant_name == "Yusuf Lamato"
    # The PIN shown works for tracking.
    assert not track(ticket, pin).error
    # Another submission starts from an empty form; the PIN is not shown again.
    [again] = [b for b in at.button if b.label == "Ajukan pengaduan lain"]
    again.click().run()
    assert not at.metric and pin not in texts(at)


def test_missing_fields_are_refused_and_the_form_keeps_its_values(db):
    at = AppTest.from_file(AJUKAN, default_timeout=30).run()
    send(fill(at, **{"Perihal *": ""}))
    assert at.error[0].value == "Data belum lengkap: Perihal."
    assert [w.value for w in at.text_input if w.label == "Nama lengkap *"] == ["Yusuf Lamato"]


def test_the_honeypot_is_hidden_and_refuses_a_bot(db):
    at = AppTest.from_file(AJUKAN, default_timeout=30).run()
    trap = at.text_input(key=HONEYPOT_KEY)
    assert "COLLAPSED" in str(trap.label_visibility) and "Kosongkan" in trap.label
    # Its container is hidden by a static CSS rule on its key class.
    assert f"<style>.st-key-{HONEYPOT_KEY} {{display: none;}}</style>" in [
        h.proto.body for h in at.get("html")
    ]
    send(fill(at))
    at = AppTest.from_file(AJUKAN, default_timeout=30).run()
    fill(at)
    at.text_input(key=HONEYPOT_KEY).input("http://spam.example")
    send(at)
    assert at.error[0].value == HONEYPOT_REFUSAL
    assert not at.metric


def one_browser() -> AppTest:
    """The form, opened again by the same browser: AppTest has no address, so the client
    is its browser session (services.clients), whose id the page keeps in session state."""
    at = AppTest.from_file(AJUKAN, default_timeout=30)
    at.session_state[CLIENT_TOKEN_KEY] = "one-browser"
    return at.run()


def test_too_many_submissions_from_one_client_are_refused(db):
    for _ in range(5):
        at = send(fill(one_browser()))
        assert at.metric
    at = send(fill(one_browser()))
    assert "Terlalu banyak pengaduan dikirim" in at.error[0].value
    assert not at.metric
    # Another visitor without an address is a client of its own, not locked out.
    assert send(fill(AppTest.from_file(AJUKAN, default_timeout=30).run())).metric


def test_a_tracked_online_complaint_moves_when_the_front_desk_receives_it(staff):
    at = send(fill(AppTest.from_file(AJUKAN, default_timeout=30).run()))
    ticket, pin = (m.value for m in at.metric)
    with read_session() as session:
        complaint_id = session.scalar(select(Complaint.id).where(Complaint.ticket == ticket))
    do(staff.petugas, complaint_id, "receive")
    assert "Diteruskan ke Subbagian Umum *(sedang berjalan)*" in texts(track(ticket, pin))


def test_the_delivered_reply_letter_is_offered_for_download(staff):
    complaint_id = signed_and_delivered(staff)
    do(staff.petugas, complaint_id, "deliver", payload_for("deliver", staff))
    at = track(with_pin(complaint_id), PIN)
    assert [b.label for b in at.download_button] == ["Unduh surat jawaban"]
    assert "Jawaban disampaikan kepada Anda *(selesai)*" in texts(at)


def test_a_rahasia_complaint_offers_no_letter_on_the_page(staff):
    complaint_id = signed_and_delivered(staff, confidential=True)
    do(staff.petugas, complaint_id, "deliver", payload_for("deliver", staff))
    at = track(with_pin(complaint_id), PIN)
    assert not at.download_button
    assert "disampaikan langsung kepada Anda" in texts(at)


def test_the_public_pages_do_not_use_the_staff_page_guard():
    for path in (LACAK, AJUKAN):
        source = Path(path).read_text(encoding="utf-8")
        assert "require_page" not in source and "current_user" not in source


# --- On a phone (issue 12, item 13) --------------------------------------------------------


def test_both_portal_pages_load_the_phone_sizes(staff):
    """Tap targets of at least 44 px and the ticket/PIN figures sized to fit 360 px.

    The sizes themselves are measured in Chromium at 360x800 (tests/e2e/
    test_clerk_day_intake.py); here: the style reaches every state of both pages.
    """
    from ui.portal import PORTAL_CSS

    assert "min-height: 44px" in PORTAL_CSS and "<script" not in PORTAL_CSS
    ajukan = AppTest.from_file(AJUKAN, default_timeout=30).run()
    complaint_id = bring_to(staff, 3)
    lacak = track(with_pin(complaint_id), PIN)
    submitted = send(fill(AppTest.from_file(AJUKAN, default_timeout=30).run()))
    for at in (ajukan, lacak, submitted):
        assert not at.exception
        assert PORTAL_CSS.strip() in [h.proto.body.strip() for h in at.get("html")]
    assert submitted.metric  # the result page (ticket, PIN) is styled too


def _switch_on_email(staff) -> None:
    from services import complainant_messages as cm

    cm.save_settings(
        user_id=staff.admin.id,
        email=True,
        whatsapp=False,
        texts=dict(cm.DEFAULT_TEXTS),
        templates=dict(cm.DEFAULT_TEMPLATES),
    )


def test_the_tracking_page_promises_no_messages_while_no_channel_reaches_the_complainant(
    staff,
):
    """Both channels start off: the page must not say messages are sent, nor offer to
    stop them; once e-mail is on, it names pos-el only (no WhatsApp gateway here)."""
    created = new_complaint(staff)
    at = track(created.ticket, created.pin)
    assert "Kami tidak mengirim pesan tentang pengaduan ini" in texts(at)
    assert "Kami mengirim kabar" not in texts(at)
    assert not [b for b in at.button if b.key == "stop_messages"]

    _switch_on_email(staff)
    at = track(created.ticket, created.pin)
    assert "Kami mengirim kabar lewat pos-el ke kontak" in texts(at)
    assert [b for b in at.button if b.key == "stop_messages"]


def test_the_complainant_stops_messages_on_the_tracking_page(staff):
    from services import complainant_messages, portal

    _switch_on_email(staff)
    created = new_complaint(staff)
    at = track(created.ticket, created.pin)
    at.button(key="stop_messages").click().run()
    assert not at.exception
    assert "Anda tidak lagi menerima pesan" in texts(at)
    assert not [b for b in at.button if b.key == "stop_messages"]
    status = portal.track(ticket=created.ticket, pin=created.pin, client="uji")
    assert status.messages_stopped
    with read_session() as session:
        assert complainant_messages.opted_out(session, created.complaint_id)

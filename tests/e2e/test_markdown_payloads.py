"""Browser end-to-end: Markdown and HTML typed by the public or by staff fetch nothing.

A local HTTP listener counts every request. A complaint is brought to step 11 with a
complainant whose name, address, subject and text carry image, link and HTML payloads
pointing at the listener, and a front-desk account is made whose full name carries one.
Headless Chromium logs in as that account (sidebar, login message), opens the complaint
page (identity, timeline, documents), and at step 11 types payloads as the WhatsApp
number, as the e-mail address, and as the name of an uploaded receipt: each refusal
repeats what was typed. The listener must have been asked for nothing, and the payloads
must be on the page as text.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import Complaint, User
from layanan import sop
from services import admin, workflow
from services.seed import DEMO_PASSWORD, DEMO_PDF

pytestmark = pytest.mark.e2e


class _Listener(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def listener():
    """(base URL, list of requested paths) of an HTTP server on a free local port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    _Listener.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Listener.hits
    server.shutdown()
    server.server_close()


def payloads(base: str, where: str) -> str:
    """A Markdown image, a Markdown link and an HTML image, each at the listener."""
    return f"![p]({base}/{where}-img) [a]({base}/{where}-link) <img src={base}/{where}-html>"


def _ids() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(User.username, User.id)).all())


def complaint_at_step_eleven(base: str) -> str:
    ids = _ids()
    created = workflow.intake(
        data=workflow.IntakeData(
            channel=sop.Channel.DATANG_LANGSUNG,
            subject="Perihal " + payloads(base, "subject"),
            body="Isi " + payloads(base, "body"),
            category="Pelatihan dan sertifikasi",
            complainant_name="Nama " + payloads(base, "name"),
            complainant_address="Alamat " + payloads(base, "address"),
            complainant_phone="081234567890",
        ),
        user_id=ids["petugas"],
    )
    with read_session() as session:
        unit_id = session.get(User, ids["unit_kop"]).unit_id

    def act(username: str, action: str, payload=None, documents=(), note=None) -> None:
        with read_session() as session:
            version = session.get(Complaint, created.complaint_id).version
        workflow.perform(
            complaint_id=created.complaint_id,
            action=action,
            user_id=ids[username],
            expected_version=version,
            payload=payload,
            documents=documents,
            note=note,
        )

    act("petugas", "hand_over", {"guest_book_entry": "BT-E2E-MD"})
    act("subbag", "classify_written")
    act("subbag", "register", {"agenda_number": "702/E2E/XI/2026", "sifat": "biasa"})
    dispose = {"units": [unit_id], "instruction": "Siapkan jawaban"}
    act("kepala", "dispose", dispose, note="Catatan " + payloads(base, "note"))
    supporting = workflow.NewDocument("supporting", "data.pdf", "application/pdf", DEMO_PDF)
    act("unit_kop", "submit_draft", {"reply_body": "Jawaban."}, [supporting])
    act("kepala", "approve", {"paraf": True})
    act("sekretaris", "sign")
    return created.ticket


def test_payloads_in_every_field_fetch_nothing_in_a_staff_browser(
    page, app_url, e2e_database, monkeypatch, listener
):
    base, hits = listener
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    ticket = complaint_at_step_eleven(base)
    admin.create_user(
        acting_user_id=_ids()["admin"],
        data=admin.UserData(
            username="petugas_md",
            full_name="Staf " + payloads(base, "staff"),
            unit_id=None,
            roles=(sop.Role.PETUGAS,),
        ),
        password=DEMO_PASSWORD,
    )

    page.goto(app_url)
    page.get_by_role("textbox", name="Nama pengguna").fill("petugas_md")
    page.get_by_role("textbox", name="Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="Keluar").wait_for()  # the sidebar, with the full name

    page.goto(f"{app_url}/pengaduan?tiket={ticket}")
    page.get_by_text("Penyampaian surat jawaban (langkah 11)", exact=True).wait_for()
    alerts = page.get_by_test_id("stAlert")
    missing: list[str] = []  # payloads not on the page as the text typed (checked last)

    def shown(*typed: str) -> None:
        # Waits a little: the page renders top down, and the timeline comes after the
        # step header the test waited for.
        for text in typed:
            try:
                page.get_by_text(text, exact=False).first.wait_for(state="attached", timeout=10_000)
            except PlaywrightTimeoutError:
                missing.append(text)

    shown("Staf ![p](http:", "Nama ![p](http:", "Alamat ![p](http:", "Perihal ![p]")
    shown("Catatan ![p]")

    page.get_by_role("tab", name="WhatsApp").click()
    number = page.get_by_role("textbox", name="Nomor WhatsApp pengadu")
    number.fill(f"![p]({base}/phone)")
    number.press("Enter")
    alerts.filter(has_text="Nomor WhatsApp").wait_for()  # the refusal repeats the number
    shown("/phone)")

    page.get_by_role("tab", name="Pos-el").click()
    address = page.get_by_role("textbox", name="Alamat pos-el pengadu")
    address.fill(f"![e]({base}/email)")
    page.get_by_role("button", name="Kirim pos-el dengan surat terlampir").click()
    alerts.filter(has_text="tidak valid").filter(has_text="pos-el").wait_for()
    shown("/email)")

    page.get_by_role("tab", name="Diserahkan langsung").click()
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Pindaian tanda terima")
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": f"![f]({base}/file).pdf", "mimeType": "application/pdf", "buffer": b"x"}
    )
    uploader.get_by_text("![f](", exact=False).wait_for()  # uploaded before the click
    page.get_by_role("button", name="Catat penyerahan langsung").click()
    alerts.filter(has_text="ditolak").wait_for()  # the refusal repeats the file name
    shown("/file).pdf")

    page.wait_for_timeout(500)  # any image the page asked for has been requested by now
    assert hits == []
    assert missing == []  # and each payload is on the page as the text that was typed

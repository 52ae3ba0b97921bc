"""Browser end-to-end for issue 12, items 3, 9, 10 and 13: the clerk's day at intake.

3: ticket and PIN in a dialog that must be closed; 9: queue tickets whole at 1400 and
1024 px; 10: wording (arrival per channel, step 6's label, closure flash, a title's
period); 13: the portal on a 360 px phone. Staff moves happen in-process through the
services (as in ``test_portal_flow.py``); what is checked is what the browser shows.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import config
from db.engine import read_session
from db.models import Complaint
from layanan import sop
from services import workflow
from tests.e2e.test_portal_flow import finish_by_staff, user_ids
from tests.e2e.test_staff_flow import INTAKE_TITLE, choose, login

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)
SHOTS = "/tmp/wt-intake-shots"


@pytest.fixture
def staff_database(e2e_database, monkeypatch):
    """This process talks to the server's database while the test plays the staff."""
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    yield e2e_database
    monkeypatch.undo()
    config.get_settings.cache_clear()


def new_complaint(*, channel: sop.Channel, subject: str) -> tuple[int, str]:
    """A complaint recorded by the front desk through the service; (id, ticket)."""
    result = workflow.intake(
        data=workflow.IntakeData(
            channel=channel,
            subject=subject,
            body=f"{subject}. Mohon ditindaklanjuti.",
            category="Pembinaan dan pengawasan koperasi",
            complainant_name="Yusuf Lamato",
            complainant_email="yusuf@example.org",
            complainant_phone="082199998888",
            guest_book_entry="BT-E2E-12",
        ),
        user_id=user_ids()["petugas"],
    )
    return result.complaint_id, result.ticket


def act(complaint_id: int, username: str, action: str, payload=None) -> None:
    with read_session() as session:
        version = session.get(Complaint, complaint_id).version
    workflow.perform(
        complaint_id=complaint_id,
        action=action,
        user_id=user_ids()[username],
        expected_version=version,
        payload=payload,
    )


def test_intake_shows_ticket_and_pin_in_a_dialog_that_must_be_closed(browser, app_url):
    page = login(browser, app_url, "petugas")
    page.get_by_role("link", name=INTAKE_TITLE).click()
    expect(page.get_by_role("heading", name="Penerimaan pengaduan")).to_be_visible()
    page.get_by_role("textbox", name="Nama pengadu", exact=True).fill("Maria Tandi")
    page.get_by_role("textbox", name="Perihal", exact=True).fill("Akta koperasi belum terbit")
    page.get_by_role("textbox", name="Isi pengaduan", exact=True).fill("Sejak Agustus 2026.")
    choose(page, "Kategori", "Pembinaan dan pengawasan koperasi")
    page.get_by_role("button", name="Simpan pengaduan").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Pengaduan tersimpan dengan nomor tiket")
    values = dialog.get_by_test_id("stMetricValue")
    ticket, pin = values.nth(0).inner_text().strip(), values.nth(1).inner_text().strip()
    assert re.fullmatch(r"ADU-\d{4}-\d{6}", ticket) and re.fullmatch(r"\d{6}", pin)
    expect(values.nth(1)).to_be_in_viewport()  # the PIN is on screen, not scrolled away
    expect(dialog.get_by_role("button", name="Unduh tanda terima (Word)")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/intake-dialog.png")
    # It cannot be brushed away: no close cross, Escape keeps it open.
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_have_count(0)
    dialog.get_by_role("button", name="Saya sudah mencatat PIN").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text(pin, exact=True)).to_have_count(0)  # shown once only
    expect(page.get_by_role("textbox", name="Nama pengadu", exact=True)).to_have_value("")
    page.context.close()


@pytest.mark.parametrize("width", [1400, 1024])
def test_queue_shows_whole_ticket_numbers(browser, app_url, staff_database, width):
    _, ticket = new_complaint(channel=sop.Channel.TELEPON, subject=f"Antrean lebar {width}")
    page = login(browser, app_url, "petugas")
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("link", name="Antrean Saya").click()
    link = page.get_by_role("link", name=ticket)
    expect(link).to_be_visible()
    page.screenshot(path=f"{SHOTS}/queue-{width}.png")
    # Nothing inside the link is clipped, and the text fits inside the link's own box.
    clipped = link.evaluate(
        """a => {
            const r = document.createRange(); r.selectNodeContents(a);
            const text = r.getBoundingClientRect();
            let box = a.getBoundingClientRect();
            for (let e = a.parentElement; e && !e.matches('[data-testid="stMain"]');
                 e = e.parentElement) {
                if (getComputedStyle(e).overflow !== 'visible') {
                    const b = e.getBoundingClientRect();
                    box = {left: Math.max(box.left, b.left), right: Math.min(box.right, b.right)};
                }
            }
            const inner = [a, ...a.querySelectorAll('*')]
                .some(e => e.scrollWidth > e.clientWidth + 1);
            return inner || text.right > box.right + 0.5 || text.left < box.left - 0.5;
        }"""
    )
    assert not clipped
    page.context.close()


def test_wording_fits_the_channel_the_step_and_the_closure(browser, app_url, staff_database):
    # An e-mail complaint waiting at step 6 (register in TNDE).
    email_id, email_ticket = new_complaint(channel=sop.Channel.EMAIL, subject="Lewat e-mail")
    act(email_id, "petugas", "hand_over", {"guest_book_entry": "BT-E2E-12"})
    act(email_id, "subbag", "classify_written")
    page = login(browser, app_url, "subbag")
    page.goto(f"{app_url}/pengaduan?tiket={email_ticket}")
    expect(page.get_by_text("Diterima melalui pos-el:")).to_be_visible()
    expect(page.get_by_text("Datang:")).to_have_count(0)
    expect(page.get_by_role("button", name="Catat di TNDE (lembar disposisi dibuat otomatis)"))
    expect(page.get_by_text("lampirkan lembar disposisi")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/complaint-email-step6.png")
    page.context.close()

    # An online complaint delivered in person by Rina Marlina, S.Sos., then archived.
    portal_ticket = _online_complaint()
    finish_by_staff(portal_ticket)
    page = login(browser, app_url, "arsiparis")
    page.goto(f"{app_url}/pengaduan?tiket={portal_ticket}")
    expect(page.get_by_text("oleh Rina Marlina, S.Sos.").first).to_be_visible()
    expect(page.get_by_text("S.Sos..")).to_have_count(0)
    page.get_by_role("textbox", name="Kode arsip", exact=True).fill("000.1.2")
    page.get_by_role("textbox", name="Lokasi simpan arsip", exact=True).fill("Lemari 3")
    page.get_by_role("button", name="Arsipkan dan tutup").click()
    expect(page.get_by_text(f"pengaduan {portal_ticket} selesai").first).to_be_visible()
    expect(page.get_by_text("kini di Selesai")).to_have_count(0)
    page.context.close()


def _online_complaint() -> str:
    from services import portal

    submitted = portal.submit(
        data=workflow.IntakeData(
            channel=sop.Channel.ONLINE,
            subject="Diserahkan langsung",
            body="Mohon jawaban diserahkan langsung.",
            category="Pembinaan dan pengawasan koperasi",
            complainant_name="Yusuf Lamato",
        ),
        files=[],
        honeypot="",
        client="e2e-wording",
    )
    return submitted.ticket


def test_intake_dates_are_written_day_month_year(browser, app_url):
    page = login(browser, app_url, "petugas")
    page.get_by_role("link", name=INTAKE_TITLE).click()
    field = page.get_by_test_id("stDateTimeInput").first
    expect(field).to_be_visible()
    order = field.get_by_role("spinbutton").evaluate_all("s => s.map(e => e.dataset.type)")
    assert order[:3] == ["day", "month", "year"], order  # 01/12/2026, not 2026/12/01
    shown = field.get_by_role("group").inner_text().replace("\n", "")
    assert re.match(r"\d{2}/\d{2}/\d{4}", shown), shown
    field.get_by_role("button", name=re.compile("^Help for")).hover()
    expect(page.get_by_text("hh/bb/tttt").first).to_be_visible()  # the hint is Indonesian
    page.context.close()


def test_the_portal_works_on_a_phone(browser, app_url):
    context = browser.new_context(
        base_url=app_url,
        locale="id-ID",
        viewport={"width": 360, "height": 800},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    page = context.new_page()

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        small = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMain"] button')]
                .filter(b => b.offsetParent !== null)
                .map(b => [b.innerText, b.getBoundingClientRect().height])
                .filter(([, h]) => h < 44)"""
        )
        assert small == []

    page.goto(f"{app_url}/ajukan")
    expect(page.get_by_role("button", name="Kirim pengaduan")).to_be_visible()
    fits()
    page.get_by_role("textbox", name="Nama lengkap *", exact=True).fill("Yusuf Lamato")
    page.get_by_role("textbox", name="Perihal *", exact=True).fill("Dari ponsel")
    choose(page, "Kategori *", "Bantuan dan pembiayaan usaha", tap=True)
    page.get_by_role("textbox", name="Isi pengaduan *", exact=True).fill("Dikirim dari ponsel.")
    page.get_by_role("button", name="Kirim pengaduan").tap()
    values = page.get_by_test_id("stMetricValue")
    expect(values.nth(1)).to_be_in_viewport()
    ticket, pin = values.nth(0).inner_text().strip(), values.nth(1).inner_text().strip()
    assert re.fullmatch(r"ADU-\d{4}-\d{6}", ticket) and re.fullmatch(r"\d{6}", pin)
    expect(page.get_by_role("button", name="Unduh tanda terima")).to_be_visible()
    expect(page.get_by_role("button", name="Kirim pengaduan")).to_have_count(0)  # rerun done
    for i in range(2):  # ticket and PIN whole and readable
        assert values.nth(i).evaluate("e => e.firstElementChild.scrollWidth <= e.clientWidth")
        size = values.nth(i).evaluate(
            "e => parseFloat(getComputedStyle(e.firstElementChild).fontSize)"
        )
        assert size >= 24
    fits()
    page.screenshot(path=f"{SHOTS}/ajukan-360.png")

    page.goto(f"{app_url}/lacak?tiket={ticket}")
    expect(page.get_by_role("textbox", name="Nomor tiket", exact=True)).to_have_value(ticket)
    fits()
    page.get_by_role("textbox", name="PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Lacak").tap()
    expect(page.get_by_text("Pengaduan diterima petugas (sedang berjalan)")).to_be_visible()
    expect(page.get_by_role("button", name="Selesai melacak")).to_be_visible()  # rerun done
    fits()
    page.screenshot(path=f"{SHOTS}/lacak-360.png", full_page=True)
    context.close()

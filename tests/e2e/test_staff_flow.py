"""Browser end-to-end: the staff carry complaints through the whole SOP, each in their role.

Headless Chromium against ``streamlit run app.py`` (fixtures in ``conftest.py``); every
demo user logs in with the password in turn. One written complaint goes from intake
through a returned draft to archiving, one oral complaint to closure, and the timeline
is checked. Also: a page outside the user's role cannot be opened by typing its URL,
and a refresh keeps the user logged in. Every wait is for a text, never a sleep.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from services.seed import DEMO_PASSWORD, DEMO_PDF

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)
# The intake page's title and address in app.py's navigation (the page registry's
# "Penerimaan Pengaduan" at /penerimaan, or "Terima Pengaduan" at /terima).
INTAKE_TITLE = re.compile(r"^(Penerimaan|Terima) Pengaduan$")
INTAKE_PATHS = ("penerimaan", "terima")


# --- helpers ----------------------------------------------------------------------------


def login(browser: Browser, app_url: str, username: str) -> Page:
    """A fresh browser (own cookies) logged in as ``username``, on its first page."""
    context = browser.new_context(
        base_url=app_url, locale="id-ID", viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_url + "/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    return page


def open_complaint(page: Page, app_url: str, ticket: str) -> None:
    page.goto(f"{app_url}/pengaduan?tiket={ticket}")
    expect(page.get_by_role("heading", name=f"Pengaduan {ticket}")).to_be_visible()


def form(page: Page, title: str) -> Locator:
    """The SOP action form whose title (the action's label) is ``title``."""
    return page.locator('[data-testid="stForm"]').filter(has_text=title)


def attach(uploader, filename: str, data: bytes, tries: int = 3) -> None:
    """Give ``uploader`` a file and wait until it lists it; again when a rerun replaced
    the element the file was handed to (the rerun after the last typed field)."""
    for attempt in range(tries):
        uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": filename, "mimeType": "application/pdf", "buffer": data}
        )
        try:
            expect(uploader.get_by_text(filename)).to_be_visible(timeout=10_000)
        except AssertionError:
            if attempt == tries - 1:
                raise
            continue
        # The file's own upload request can be refused (HTTP 400) when it races the
        # rerun of the last typed field: the uploader then lists the name with an
        # "Error:" line, and the form would be saved without the file. Hand it again.
        uploader.page.wait_for_timeout(1_000)
        if uploader.get_by_text("Error:").count() == 0:
            return
        if attempt == tries - 1:
            raise AssertionError(f"the upload of {filename} was refused {tries} times")


def choose(scope: Locator | Page, label: str, option: str, *, tap: bool = False) -> None:
    """Pick ``option`` in the selectbox or multiselect labelled ``label``.

    ``tap`` presses with a touch, as on a phone, instead of a mouse click.
    """
    page = scope.page if isinstance(scope, Locator) else scope
    for attempt in range(3):
        # A rerun triggered by the previous input (committed on blur) may close the
        # dropdown just opened: open it again until the option can be clicked.
        box = scope.get_by_role("combobox", name=label)
        box.tap() if tap else box.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.tap(timeout=5_000) if tap else choice.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def submit(page: Page, title: str, expected_step: str) -> None:
    """Press the form's button and wait for the toast/success naming the next step."""
    form(page, title).get_by_role("button", name=title).click()
    if expected_step == "Selesai":  # a closed complaint is "selesai", not "kini di Selesai"
        done = re.compile(rf"{re.escape(title)}: pengaduan ADU-\d{{4}}-\d{{6}} selesai\.")
        expect(page.get_by_text(done).first).to_be_visible()
    else:
        expect(page.get_by_text(f"kini di {expected_step}").first).to_be_visible()


def close(page: Page) -> None:
    page.context.close()


def intake(browser: Browser, app_url: str, *, channel: str, name: str, subject: str) -> str:
    """The front desk records a complaint; returns its ticket number."""
    page = login(browser, app_url, "petugas")
    page.get_by_role("link", name=INTAKE_TITLE).click()
    expect(page.get_by_role("heading", name="Penerimaan pengaduan")).to_be_visible()
    page.get_by_role("radio", name=channel, exact=True).check(force=True)
    page.get_by_role("textbox", name="Nama pengadu", exact=True).fill(name)
    page.get_by_role("textbox", name="Nomor telepon/WhatsApp", exact=True).fill("081355500011")
    page.get_by_role("textbox", name="Perihal", exact=True).fill(subject)
    page.get_by_role("textbox", name="Isi pengaduan", exact=True).fill(
        f"{subject}. Mohon ditindaklanjuti."
    )
    choose(page, "Kategori", "Pembinaan dan pengawasan koperasi")
    page.get_by_role("textbox", name="Entri buku tamu", exact=True).fill("BT-E2E")
    if channel == "Surat":
        # Choosing "Surat" reruns the page and makes the scan required: wait for that
        # uploader, so the file is not handed to an element the rerun replaces.
        uploader = page.locator('[data-testid="stFileUploader"]').filter(
            has_text="Pindaian surat aduan (wajib)"
        )
        expect(uploader).to_be_visible()
        attach(uploader, "surat-aduan.pdf", DEMO_PDF)
    page.get_by_role("button", name="Simpan pengaduan").click()
    saved = page.get_by_text("Pengaduan tersimpan dengan nomor tiket")
    expect(saved).to_be_visible()
    ticket = re.search(r"ADU-\d{4}-\d{6}", saved.inner_text()).group(0)
    expect(saved).to_contain_text("PIN pelacakan")
    expect(page.get_by_text("Unduh tanda terima").first).to_be_visible()
    # The dialog with ticket and PIN must be closed before anything else can be used.
    page.get_by_role("button", name="Saya sudah mencatat PIN").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Step 3: from the queue, open the complaint and hand it over with the guest book.
    page.get_by_role("link", name="Antrean Saya").click()
    page.get_by_role("link", name=ticket).click()
    expect(page.get_by_role("heading", name=f"Pengaduan {ticket}")).to_be_visible()
    hand_over = form(page, "Serahkan ke Subbagian Umum")
    hand_over.get_by_role("textbox", name="Nomor/entri buku tamu", exact=True).fill("BT-E2E")
    submit(page, "Serahkan ke Subbagian Umum", "Langkah 4")
    close(page)
    return ticket


# --- the flows -------------------------------------------------------------------------


def test_a_written_complaint_goes_from_intake_through_a_returned_draft_to_the_archive(
    browser, app_url
):
    ticket = intake(
        browser, app_url, channel="Surat", name="Koperasi Sintuwu", subject="RAT tidak digelar"
    )

    page = login(browser, app_url, "subbag")
    open_complaint(page, app_url, ticket)
    submit(page, "Pengaduan tertulis: proses di TNDE", "Langkah 6")
    register = form(page, "Catat di TNDE (lembar disposisi dibuat otomatis)")
    register.get_by_role("textbox", name="Nomor agenda TNDE", exact=True).fill("400/E2E/XI/2026")
    choose(register, "Sifat surat", "segera")
    submit(page, "Catat di TNDE (lembar disposisi dibuat otomatis)", "Langkah 7")
    close(page)

    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, ticket)
    dispose = form(page, "Disposisikan")
    choose(dispose, "Diteruskan kepada (unit)", "Bidang Kelembagaan dan Pengawasan Koperasi")
    page.keyboard.press("Escape")
    choose(dispose, "Instruksi disposisi", "Siapkan jawaban")
    submit(page, "Disposisikan", "Langkah 8")
    close(page)

    page = login(browser, app_url, "unit_kop")
    open_complaint(page, app_url, ticket)
    draft = form(page, "Kirim draf jawaban ke Kepala Dinas")
    draft.get_by_role("textbox", name="Isi draf surat jawaban", exact=True).fill(
        "Rapat anggota akan kami fasilitasi."
    )
    draft.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": "undangan-rat.pdf", "mimeType": "application/pdf", "buffer": DEMO_PDF}
    )
    expect(draft.get_by_text("undangan-rat.pdf")).to_be_visible()
    submit(page, "Kirim draf jawaban ke Kepala Dinas", "Langkah 9")
    close(page)

    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, ticket)
    returned = form(page, "Kembalikan ke unit")
    returned.get_by_role("textbox", name="Alasan", exact=True).fill(
        "Sebutkan tanggal rapat dan dasar hukumnya."
    )
    submit(page, "Kembalikan ke unit", "Langkah 8")
    close(page)

    page = login(browser, app_url, "unit_kop")
    open_complaint(page, app_url, ticket)
    draft = form(page, "Kirim draf jawaban ke Kepala Dinas")
    draft.get_by_role("textbox", name="Isi draf surat jawaban", exact=True).fill(
        "RAT difasilitasi pada 10 Desember 2026 sesuai Permenkop 19/2015."
    )
    submit(page, "Kirim draf jawaban ke Kepala Dinas", "Langkah 9")
    close(page)

    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, ticket)
    form(page, "Setujui (paraf)").get_by_role("button", name="Setujui (paraf)").click()
    page.get_by_role("dialog").get_by_role("button", name="Ya, setujui (paraf)").click()
    expect(page.get_by_text("kini di Langkah 10").first).to_be_visible()
    close(page)

    page = login(browser, app_url, "sekretaris")
    open_complaint(page, app_url, ticket)
    expect(page.get_by_text("Koperasi Sintuwu").first).to_be_visible()  # not rahasia
    submit(page, "Tandatangani surat jawaban", "Langkah 11")
    close(page)

    page = login(browser, app_url, "petugas")
    open_complaint(page, app_url, ticket)
    page.get_by_role("tab", name="Diserahkan langsung").click()
    page.get_by_role("textbox", name="Nama penerima surat", exact=True).fill(
        "Koperasi Sintuwu (ketua)"
    )
    page.get_by_role("button", name="Catat penyerahan langsung").click()
    expect(page.get_by_text("kini di Langkah 12").first).to_be_visible()
    close(page)

    page = login(browser, app_url, "arsiparis")
    open_complaint(page, app_url, ticket)
    archive = form(page, "Arsipkan dan tutup")
    archive.get_by_role("textbox", name="Kode arsip", exact=True).fill("065/E2E")
    archive.get_by_role("textbox", name="Lokasi simpan arsip", exact=True).fill("Lemari 1, rak 3")
    submit(page, "Arsipkan dan tutup", "Selesai")

    # The timeline: every step, the returned draft with its reason, both rounds.
    expect(page.get_by_text("Pengaduan ini sudah selesai")).to_be_visible()
    for text in (
        "1. Langkah 1: Catat kedatangan pengadu",
        "Langkah 9: Kembalikan ke unit",
        "(draf dikembalikan)",
        "Sebutkan tanggal rapat dan dasar hukumnya.",
        "Kirim draf jawaban ke Kepala Dinas (draf ke-2)",
        "Langkah 10: Tandatangani surat jawaban",
        "Langkah 12: Arsipkan dan tutup",
    ):
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    expect(page.get_by_text("Lemari 1, rak 3").first).to_be_visible()
    close(page)


def test_an_oral_complaint_is_settled_by_the_unit(browser, app_url):
    ticket = intake(
        browser,
        app_url,
        channel="Datang langsung",
        name="Hendra Pakaya",
        subject="Jadwal pelatihan UMKM",
    )

    page = login(browser, app_url, "subbag")
    open_complaint(page, app_url, ticket)
    oral = form(page, "Pengaduan lisan: teruskan ke humas/bidang terkait")
    choose(
        oral,
        "Unit yang menyelesaikan (humas/bidang terkait)",
        "Bidang Kelembagaan dan Pengawasan Koperasi",
    )
    submit(page, "Pengaduan lisan: teruskan ke humas/bidang terkait", "Langkah 5")
    close(page)

    page = login(browser, app_url, "unit_kop")
    expect(page.get_by_role("link", name=ticket)).to_be_visible()  # in the unit's queue
    page.get_by_role("link", name=ticket).click()
    expect(page.get_by_role("heading", name=f"Pengaduan {ticket}")).to_be_visible()
    settle = form(page, "Selesaikan pengaduan lisan")
    settle.get_by_role("textbox", name="Hasil penyelesaian pengaduan lisan", exact=True).fill(
        "Jadwal pelatihan dijelaskan; pemohon menerima."
    )
    submit(page, "Selesaikan pengaduan lisan", "Selesai")
    expect(page.get_by_text("Pengaduan ini sudah selesai")).to_be_visible()
    for text in (
        "Langkah 3: Serahkan ke Subbagian Umum",
        "Langkah 4: Pengaduan lisan: teruskan ke humas/bidang terkait",
        "Langkah 5: Selesaikan pengaduan lisan",
        "Jadwal pelatihan dijelaskan; pemohon menerima.",
    ):
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    close(page)


def test_a_page_outside_the_role_cannot_be_opened_by_its_url(browser, app_url):
    page = login(browser, app_url, "unit_kop")
    for path in INTAKE_PATHS:  # intake: front desk only
        page.goto(f"{app_url}/{path}")
        expect(page.get_by_role("button", name="Keluar")).to_be_visible()
        expect(page.get_by_role("heading", name="Penerimaan pengaduan")).to_have_count(0)
        expect(page.get_by_role("button", name="Simpan pengaduan")).to_have_count(0)
        expect(page.get_by_role("link", name=INTAKE_TITLE)).to_have_count(0)
    close(page)


def test_a_refresh_keeps_the_user_logged_in(browser, app_url):
    page = login(browser, app_url, "sekretaris")
    page.get_by_role("link", name="Cari Pengaduan").click()
    expect(page.get_by_role("heading", name="Cari pengaduan")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Cari pengaduan")).to_be_visible()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    expect(page.get_by_label("Nama pengguna")).to_have_count(0)
    close(page)

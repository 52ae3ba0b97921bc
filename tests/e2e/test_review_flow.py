"""Browser end-to-end: the reply letter's round trip (issue 12, items 1, 2, 4-7).

Each test brings a complaint to its step in-process through the services the pages
call (against the e2e database the server uses), then headless Chromium logs in as the
role of that step and checks what the clerk sees and does: the redraft starts from the
returned text with the reason above it, the Head sees the changes and the letter as it
prints, the paraf is one confirmed click, a lost race says what the other person did,
and what intake recorded is carried forward (guest book, receiver). Every wait is for
an element, never a sleep. Screenshots go to $SHOTS_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import Complaint, User
from layanan import sop
from services import workflow
from services.seed import DEMO_PDF
from tests.e2e.test_staff_flow import close, form, login, open_complaint

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)

DRAFT = (
    "Dengan hormat, pengaduan Saudara tentang sertifikat pelatihan telah kami tindak "
    "lanjuti. Sertifikat dapat diambil di kantor mulai 1 Desember 2026."
)
REASON = "Sebutkan dasar hukum: Permenaker 8/2014 [pasal 5]."


@pytest.fixture
def services_db(e2e_database, monkeypatch):
    """The test process uses the server's database for the services it calls."""
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _ids() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(User.username, User.id)).all())


class Case:
    """A complaint moved through the workflow by the demo users (as in another tab)."""

    def __init__(self, guest_book: str = "BT-E2E-REVIEW") -> None:
        self.ids = _ids()
        created = workflow.intake(
            data=workflow.IntakeData(
                channel=sop.Channel.DATANG_LANGSUNG,
                subject="Sertifikat pelatihan belum diterima",
                body="Sertifikat pelatihan kewirausahaan belum dibagikan.",
                category="Pelatihan dan sertifikasi",
                complainant_name="Siti Aminah",
                complainant_phone="081234567890",
                complainant_email="siti@example.id",
                guest_book_entry=guest_book,
            ),
            user_id=self.ids["petugas"],
        )
        self.id, self.ticket = created.complaint_id, created.ticket

    def act(self, username: str, action: str, payload=None, documents=()) -> None:
        with read_session() as session:
            version = session.get(Complaint, self.id).version
        workflow.perform(
            complaint_id=self.id,
            action=action,
            user_id=self.ids[username],
            expected_version=version,
            payload=payload,
            documents=documents,
        )

    def to_review(self) -> Case:
        with read_session() as session:
            unit_id = session.get(User, self.ids["unit_kop"]).unit_id
        self.act("petugas", "hand_over", {"guest_book_entry": "BT-E2E-REVIEW"})
        self.act("subbag", "classify_written")
        self.act("subbag", "register", {"agenda_number": "702/E2E/XI/2026", "sifat": "biasa"})
        self.act("kepala", "dispose", {"units": [unit_id], "instruction": "Siapkan jawaban"})
        supporting = workflow.NewDocument("supporting", "data.pdf", "application/pdf", DEMO_PDF)
        self.act("unit_kop", "submit_draft", {"reply_body": DRAFT}, [supporting])
        return self

    def step(self) -> int | None:
        with read_session() as session:
            return session.get(Complaint, self.id).current_step


def _top(page: Page, locator) -> float:
    expect(locator).to_be_visible()
    return locator.bounding_box()["y"]


def test_a_returned_draft_is_redrafted_from_its_text_and_the_head_sees_the_changes(
    browser, app_url, services_db, shots
):
    case = Case().to_review()
    case.act("kepala", "return_draft", {"reason": REASON})

    page = login(browser, app_url, "unit_kop")
    open_complaint(page, app_url, case.ticket)
    redraft = form(page, "Kirim draf jawaban ke Kepala Dinas")
    box = redraft.get_by_role("textbox", name="Isi draf surat jawaban", exact=True)
    expect(box).to_have_value(DRAFT)
    notice = page.get_by_text("Draf ke-1 dikembalikan")
    expect(page.get_by_text(f"Alasan: {REASON}", exact=True)).to_be_visible()
    assert _top(page, notice) < _top(page, box)  # the reason above the form
    notice.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "step8-redraft.png"))
    box.fill(DRAFT.replace("tindak lanjuti", "selesaikan sesuai Permenaker 8/2014"))
    redraft.get_by_role("button", name="Kirim draf jawaban ke Kepala Dinas").click()
    expect(page.get_by_text("kini di Langkah 9").first).to_be_visible()
    close(page)

    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, case.ticket)
    changes = page.get_by_text("Perubahan sejak draf ke-1 yang dikembalikan")
    expect(changes).to_be_visible()
    expect(page.locator("del").filter(has_text="tindak")).to_be_visible()
    expect(page.locator("strong").filter(has_text="Permenaker 8/2014")).to_be_visible()
    changes.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "step9-diff.png"))
    close(page)


def test_the_head_sees_the_letter_as_it_prints_before_the_paraf(
    browser, app_url, services_db, shots
):
    case = Case().to_review()
    page = login(browser, app_url, "kepala")
    started = time.monotonic()
    open_complaint(page, app_url, case.ticket)
    image = page.locator('[data-testid="stImage"] img').first
    expect(image).to_be_visible(timeout=60_000)
    took = time.monotonic() - started
    print(f"preview shown {took:.1f} s after opening the page")
    expect(page.get_by_text("Halaman 1 dari 1")).to_be_visible()
    # Inline in the action section, above the approve/return forms.
    assert _top(page, page.get_by_text("Tindakan langkah ini")) < _top(page, image)
    assert _top(page, image) < _top(page, form(page, "Setujui (paraf)"))
    width = image.evaluate("i => i.naturalWidth")
    assert width > 600  # an A4 page rendered, not an icon
    expect(page.get_by_text("Draf surat jawaban terakhir")).to_have_count(0)
    image.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "step9-preview.png"))
    close(page)


def test_the_paraf_is_one_confirmed_click_and_return_is_secondary(
    browser, app_url, services_db, shots
):
    case = Case().to_review()
    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, case.ticket)
    approve = form(page, "Setujui (paraf)")
    expect(approve.get_by_role("checkbox")).to_have_count(0)
    back = form(page, "Kembalikan ke unit").get_by_role("button", name="Kembalikan ke unit")
    expect(back).to_have_attribute("data-testid", "stBaseButton-secondaryFormSubmit")
    approve.get_by_role("button", name="Setujui (paraf)").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Bubuhkan paraf persetujuan Kepala Dinas?")).to_be_visible()
    page.screenshot(path=str(shots / "step9-paraf-dialog.png"))
    dialog.get_by_role("button", name="Batal").click()
    expect(dialog).to_have_count(0)
    assert case.step() == 9
    approve.get_by_role("button", name="Setujui (paraf)").click()
    page.get_by_role("dialog").get_by_role("button", name="Ya, setujui (paraf)").click()
    expect(page.get_by_text("kini di Langkah 10").first).to_be_visible()
    assert case.step() == 10
    close(page)


def test_a_lost_race_says_what_the_other_person_did_and_where_the_complaint_is(
    browser, app_url, services_db, shots
):
    case = Case().to_review()
    page = login(browser, app_url, "kepala")
    open_complaint(page, app_url, case.ticket)
    back = form(page, "Kembalikan ke unit")
    back.get_by_role("textbox", name="Alasan").fill("Perbaiki salam pembuka.")
    case.act("kepala", "approve", {"paraf": True})  # meanwhile, in another tab
    back.get_by_role("button", name="Kembalikan ke unit").click()
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("sudah lebih dulu mengerjakan \u201cSetujui (paraf)\u201d")
    expect(error).to_contain_text(f"pengaduan kini di {sop.step_label(10)}")
    expect(error).not_to_contain_text("Muat ulang")
    expect(page.get_by_text("Langkah 10 dikerjakan oleh Sekretaris (PPID)")).to_be_visible()
    error.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "lost-race.png"))
    assert case.step() == 10
    close(page)


def test_what_intake_recorded_is_carried_to_the_hand_over(browser, app_url, services_db, shots):
    case = Case(guest_book="BT-2026-0451")
    page = login(browser, app_url, "petugas")
    open_complaint(page, app_url, case.ticket)
    hand_over = form(page, "Serahkan ke Subbagian Umum")
    expect(hand_over.get_by_role("textbox", name="Nomor/entri buku tamu")).to_have_value(
        "BT-2026-0451"
    )
    expect(hand_over.get_by_text("Diisi dari penerimaan pengaduan")).to_be_visible()
    hand_over.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "step3-prefilled.png"))
    hand_over.get_by_role("button", name="Serahkan ke Subbagian Umum").click()
    expect(page.get_by_text("kini di Langkah 4").first).to_be_visible()
    close(page)


def test_step_eleven_is_worked_in_the_action_section_with_the_receiver_prefilled(
    browser, app_url, services_db, shots
):
    case = Case().to_review()
    case.act("kepala", "approve", {"paraf": True})
    case.act("sekretaris", "sign")
    page = login(browser, app_url, "petugas")
    open_complaint(page, app_url, case.ticket)
    panel = page.get_by_text("Penyampaian surat jawaban (langkah 11)", exact=True)
    actions = page.get_by_role("heading", name="Tindakan langkah ini")
    letters = page.get_by_role("heading", name="Surat dan dokumen resmi")
    assert _top(page, actions) < _top(page, panel) < _top(page, letters)
    expect(page.get_by_text("Catat penyampaian melalui panel")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Alamat pos-el pengadu")).to_have_value(
        "siti@example.id"
    )
    page.get_by_role("tab", name="Diserahkan langsung").click()
    receiver = page.get_by_role("textbox", name="Nama penerima surat")
    expect(receiver).to_have_value("Siti Aminah")
    receiver.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "step11-delivery.png"))
    page.get_by_role("button", name="Catat penyerahan langsung").click()
    expect(page.get_by_text("kini di Langkah 12").first).to_be_visible()
    close(page)

"""Screenshots of the workspace and the portal for the README and docs/workspace.md.

    python -m scripts.screenshots            # writes docs/screenshots/*.png

Seeds demo data (``services.seed.seed_demo``) into a temporary SQLite database, starts
``streamlit run app.py`` on a free local port and, in headless Chromium (Debian's
/usr/bin/chromium, or CHROMIUM_PATH), captures:

- ``queue.png``: the Head's "My queue";
- ``complaint.png``: a complaint waiting for the Head's review after a returned draft
  (the letter's preview and what changed since the returned round);
- ``complaint-redraft.png``: a returned draft at the unit, the form starting from the
  last draft with the Head's reason above it;
- ``complaint-delivery.png``: step 11 at the front desk, delivery in the action section;
- ``intake-dialog.png``: the ticket and PIN dialog after the front desk saves a complaint;
- ``dashboard.png``: the managers' dashboard;
- ``portal-phone.png``: the online form at 360 px, as on a phone.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Tickets:
    review: str  # at the Head's review after a returned round
    redraft: str  # returned to the unit just now
    drafter: str  # username of that unit's staff
    delivery: str  # at the front desk's delivery


def seed(url: str, count: int) -> Tickets:
    """Demo users and complaints; returns the complaints to show."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import select

    from db.engine import read_session, write_session
    from db.models import Complaint, User
    from layanan import sop
    from services import workflow
    from services.seed import seed_demo

    with write_session() as session:
        seed_demo(session, count=count)
    with read_session() as session:
        complaint = session.scalar(
            select(Complaint)
            .where(Complaint.current_step == sop.action("return_draft").at)
            .order_by(Complaint.received_at.desc())
            .limit(1)
        )
        if complaint is None:
            raise SystemExit("no demo complaint waits for the Head's review; seed more")
        ticket, complaint_id = complaint.ticket, complaint.id
        unit_ids = {u.id for u in complaint.units}
        head = session.scalar(select(User.id).where(User.username == "kepala"))
        drafter = next(
            u.id
            for u in session.scalars(select(User).order_by(User.id))
            if u.unit_id in unit_ids and "unit" in u.roles
        )
    # One returned round, as happens in the office, so the timeline shows it.
    for user_id, action, payload in (
        (head, "return_draft", {"reason": "Cantumkan dasar hukum dan jadwal."}),
        (drafter, "submit_draft", {"reply_body": "Dengan hormat, ... (draf perbaikan)."}),
    ):
        with read_session() as session:
            version = session.get(Complaint, complaint_id).version
        workflow.perform(
            complaint_id=complaint_id,
            action=action,
            user_id=user_id,
            expected_version=version,
            payload=payload,
        )
    with read_session() as session:
        # Another draft under review, returned now: it waits at the unit with the reason.
        other = session.scalar(
            select(Complaint)
            .where(
                Complaint.current_step == sop.action("return_draft").at,
                Complaint.id != complaint_id,
            )
            .order_by(Complaint.received_at.desc())
            .limit(1)
        )
        at_delivery = session.scalar(
            select(Complaint.ticket)
            .where(Complaint.current_step == sop.action("deliver").at)
            .order_by(Complaint.received_at.desc())
            .limit(1)
        )
        if other is None or at_delivery is None:
            raise SystemExit("the demo data lacks a draft under review or a delivery; seed more")
        other_id, other_ticket, other_version = other.id, other.ticket, other.version
        other_drafter = next(
            u.username
            for u in session.scalars(select(User).order_by(User.id))
            if u.unit_id in {x.id for x in other.units} and "unit" in u.roles
        )
    workflow.perform(
        complaint_id=other_id,
        action="return_draft",
        user_id=head,
        expected_version=other_version,
        payload={"reason": "Sebutkan jadwal penyerahan sertifikat dan dasar hukumnya."},
    )
    return Tickets(review=ticket, redraft=other_ticket, drafter=other_drafter, delivery=at_delivery)


def start_app(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit("streamlit did not start:\n" + log_path.read_text()) from None
            time.sleep(0.5)


def fit_to_content(page, *, limit: int = 4000) -> None:
    """Make the window as tall as the page's content (Streamlit scrolls inside the app)."""
    box = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    height = min(int(box["height"] + box["y"] + 40), limit)
    page.set_viewport_size({"width": 1440, "height": max(height, 600)})
    page.wait_for_timeout(500)  # let the layout settle after the resize (no event to wait for)


def _login(browser, base: str, username: str, password: str, **viewport):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=viewport or {"width": 1440, "height": 1000}, locale="id-ID")
    page.set_default_timeout(60_000)
    page.goto(base + "/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    return page


def _shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    fit_to_content(page)
    page.screenshot(path=OUT / name)


def capture(base: str, tickets: Tickets, username: str, password: str) -> list[str]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = _login(browser, base, username, password)
        expect(page.get_by_role("heading", name="Antrean saya")).to_be_visible()
        expect(page.get_by_text("Menampilkan").first).to_be_visible()
        _shoot(page, "queue.png")
        page.goto(f"{base}/pengaduan?tiket={tickets.review}")
        expect(page.get_by_role("heading", name=f"Pengaduan {tickets.review}")).to_be_visible()
        expect(page.get_by_text("draf dikembalikan").first).to_be_visible()
        expect(page.get_by_role("img").first).to_be_visible()  # the letter's preview
        _shoot(page, "complaint.png")
        page.goto(f"{base}/dasbor")
        expect(page.get_by_role("heading", name="Dasbor pemantauan pengaduan")).to_be_visible()
        page.wait_for_timeout(3000)  # plotly draws after the page's last message
        _shoot(page, "dashboard.png")

        page = _login(browser, base, tickets.drafter, password)
        page.goto(f"{base}/pengaduan?tiket={tickets.redraft}")
        expect(page.get_by_text("Sebutkan jadwal penyerahan").first).to_be_visible()
        expect(page.get_by_role("textbox", name="Isi draf surat jawaban")).to_be_visible()
        _shoot(page, "complaint-redraft.png")

        page = _login(browser, base, "petugas", password)
        page.goto(f"{base}/pengaduan?tiket={tickets.delivery}")
        expect(page.get_by_role("tab", name="Diserahkan langsung")).to_be_visible()
        _shoot(page, "complaint-delivery.png")
        page.goto(f"{base}/")
        page.get_by_role("link", name="Terima Pengaduan").click()
        page.get_by_role("textbox", name="Nama pemohon", exact=True).fill("Maria Tandi")
        page.get_by_role("textbox", name="Perihal", exact=True).fill("Akta koperasi belum terbit")
        page.get_by_role("textbox", name="Isi pengaduan", exact=True).fill(
            "Akta pendirian koperasi kami belum terbit sejak Agustus 2026."
        )
        page.get_by_role("combobox", name="Kategori").click()
        page.get_by_role("option", name="Pembinaan dan pengawasan koperasi").click()
        page.get_by_role("button", name="Simpan pengaduan").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.wait_for_timeout(1000)  # the dialog's opening animation
        page.screenshot(path=OUT / "intake-dialog.png")

        phone = browser.new_page(
            viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True, locale="id-ID"
        )
        phone.goto(f"{base}/ajukan")
        expect(phone.get_by_role("button", name="Kirim pengaduan")).to_be_visible()
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=OUT / "portal-phone.png", full_page=True)
        browser.close()
    return sorted(p.name for p in OUT.glob("*.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="demo complaints to seed")
    parser.add_argument("--user", default="kepala")
    args = parser.parse_args(argv)
    from services.seed import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="layanan-shots-") as directory:
        url = f"sqlite:///{directory}/demo.db"
        tickets = seed(url, args.count)
        port = free_port()
        server = start_app(url, port, Path(directory) / "streamlit.log")
        try:
            written = capture(f"http://127.0.0.1:{port}", tickets, args.user, DEMO_PASSWORD)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"Wrote {', '.join(written)} in {OUT}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

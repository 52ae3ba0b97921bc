"""Screenshots of the queue and the complaint page for the README.

    python -m scripts.screenshots            # writes docs/screenshots/{queue,complaint}.png

Seeds demo data (``services.seed.seed_demo``) into a temporary SQLite database, starts
``streamlit run app.py`` on a free local port, logs in as the Head (``kepala``) in
headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) and captures "My
queue" and the page of a complaint waiting for the Head's review whose draft was
returned before, so its timeline shows a returned draft.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(url: str, count: int) -> str:
    """Demo users and complaints; returns the ticket to show (step 9, a returned draft)."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import select

    from db.engine import read_session, write_session
    from db.models import Complaint, User
    from services import workflow
    from services.seed import seed_demo

    with write_session() as session:
        seed_demo(session, count=count)
    with read_session() as session:
        complaint = session.scalar(
            select(Complaint)
            .where(Complaint.current_step == 9)
            .order_by(Complaint.received_at.desc())
            .limit(1)
        )
        if complaint is None:
            raise SystemExit("no demo complaint waits at step 9; seed more complaints")
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
    return ticket


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


def capture(base: str, ticket: str, username: str, password: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="id-ID")
        page.set_default_timeout(30_000)
        page.goto(base + "/")
        page.get_by_label("Nama pengguna").fill(username)
        page.get_by_label("Kata sandi").fill(password)
        page.get_by_role("button", name="Masuk").click()
        expect(page.get_by_role("heading", name="Antrean saya")).to_be_visible()
        expect(page.get_by_text("Menampilkan").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        fit_to_content(page)
        page.screenshot(path=OUT / "queue.png")
        page.goto(f"{base}/pengaduan?tiket={ticket}")
        expect(page.get_by_role("heading", name=f"Pengaduan {ticket}")).to_be_visible()
        expect(page.get_by_text("draf dikembalikan").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        fit_to_content(page)
        page.screenshot(path=OUT / "complaint.png")
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="demo complaints to seed")
    parser.add_argument("--user", default="kepala")
    args = parser.parse_args(argv)
    from services.seed import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="layanan-shots-") as directory:
        url = f"sqlite:///{directory}/demo.db"
        ticket = seed(url, args.count)
        port = free_port()
        server = start_app(url, port, Path(directory) / "streamlit.log")
        try:
            capture(f"http://127.0.0.1:{port}", ticket, args.user, DEMO_PASSWORD)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"Wrote {OUT / 'queue.png'} and {OUT / 'complaint.png'} (complaint {ticket}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""In the browser: a login survives a refresh (httpOnly cookie + server-side session) and
"Keluar" ends it for good, even for a copy of the old cookie."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from services.auth import BAD_CREDENTIALS
from services.seed import DEMO_PASSWORD
from tests.e2e.conftest import running_app

NAME = "Rina Marlina, S.Sos."  # the demo front-desk officer


def log_in(page, username: str, password: str) -> None:
    page.goto("/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def session_cookies(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "layanan_sesi"]


@pytest.mark.e2e
def test_refresh_keeps_the_login_and_logout_ends_it(page):
    sidebar = page.get_by_test_id("stSidebar")
    log_in(page, "petugas", DEMO_PASSWORD)
    expect(sidebar.get_by_text(NAME)).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_text("Peran: Petugas Pelayanan")).to_be_visible()

    [cookie] = session_cookies(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["value"] not in page.url
    assert page.evaluate("document.cookie").find("layanan_sesi") == -1  # not readable by JS

    page.reload()
    expect(sidebar.get_by_text(NAME)).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_role("link", name="Terima Pengaduan")).to_be_visible()

    # A page outside the role, typed as a URL, does not exist for this user.
    page.goto("/administrasi")
    expect(page.get_by_text("Page not found")).to_be_visible()
    expect(page.get_by_role("heading", name="Administrasi")).to_have_count(0)
    expect(sidebar.get_by_text(NAME)).to_be_visible()  # still logged in
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stDialog")).to_have_count(0)

    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(sidebar.get_by_text(NAME)).to_have_count(0)
    for _ in range(50):  # the logout script asks the server to delete the cookie
        if not session_cookies(page):
            break
        page.wait_for_timeout(100)
    assert not session_cookies(page)
    page.reload()
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(sidebar.get_by_text(NAME)).to_have_count(0)

    # The old cookie, put back by hand, is worthless: the session was revoked on the server.
    page.context.add_cookies([cookie])
    page.reload()
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(sidebar.get_by_text(NAME)).to_have_count(0)


@pytest.mark.e2e
def test_wrong_password_in_the_browser_says_so_and_sets_no_cookie(page):
    log_in(page, "tidak_terdaftar", "bukan-sandinya-1")
    expect(page.get_by_text(BAD_CREDENTIALS)).to_be_visible()
    assert not session_cookies(page)


@pytest.fixture
def fresh_app_url(e2e_database, tmp_path) -> Iterator[str]:
    """A server of its own that has not run a page yet (the shared one has)."""
    with running_app(e2e_database, tmp_path / "streamlit.log") as url:
        yield url


@pytest.mark.e2e
def test_first_request_to_a_fresh_server_runs_no_page_file_directly(browser, fresh_app_url):
    page = browser.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{fresh_app_url}/admin")  # the name of pages/admin.py
        expect(page.get_by_text("Page not found")).to_be_visible()
        expect(page.get_by_label("Nama pengguna")).to_be_visible()
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("Lacak Pengaduan")).to_be_visible()
        expect(nav.get_by_text("admin", exact=True)).to_have_count(0)
        expect(page.get_by_text("Silakan masuk terlebih dahulu.")).to_have_count(0)
    finally:
        page.close()

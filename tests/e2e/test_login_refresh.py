"""In the browser: a login survives a refresh (httpOnly cookie + server-side session) and
"Keluar" ends it for good, even for a copy of the old cookie."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.seed import DEMO_PASSWORD

NAME = "Rina Marlina, S.Sos."  # the demo front-desk officer


def log_in(page, username: str, password: str) -> None:
    page.goto("/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.e2e
def test_refresh_keeps_the_login_and_logout_ends_it(page):
    sidebar = page.get_by_test_id("stSidebar")
    log_in(page, "petugas", DEMO_PASSWORD)
    expect(sidebar.get_by_text(NAME)).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_text("Peran: Petugas Pelayanan")).to_be_visible()

    [cookie] = [c for c in page.context.cookies() if c["name"] == "layanan_sesi"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["value"] not in page.url
    assert page.evaluate("document.cookie").find("layanan_sesi") == -1  # not readable by JS

    page.reload()
    expect(sidebar.get_by_text(NAME)).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_role("link", name="Terima Pengaduan")).to_be_visible()

    # A page outside the role, typed as a URL, does not exist for this user.
    page.goto("/admin")
    expect(page.get_by_text("Page not found")).to_be_visible()
    expect(page.get_by_role("heading", name="Administrasi")).to_have_count(0)
    expect(sidebar.get_by_text(NAME)).to_be_visible()  # still logged in
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stDialog")).to_have_count(0)

    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(sidebar.get_by_text(NAME)).to_have_count(0)
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
    expect(page.get_by_text("Nama pengguna atau kata sandi salah.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "layanan_sesi"]

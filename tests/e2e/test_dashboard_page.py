"""In the browser: the Head opens the dashboard and sees its charts; the front desk
cannot reach it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.seed import DEMO_PASSWORD


def log_in(page, username: str) -> None:
    page.goto("/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.e2e
def test_the_head_opens_the_dashboard(page):
    log_in(page, "kepala")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name="Dasbor").click()
    expect(page.get_by_role("heading", name="Dasbor pemantauan pengaduan")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Pengaduan diterima")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Rekapitulasi Pengaduan bulanan")).to_be_visible()


@pytest.mark.e2e
def test_the_front_desk_has_no_dashboard(page):
    log_in(page, "petugas")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("link", name="Antrean Saya")).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_role("link", name="Dasbor")).to_have_count(0)
    page.goto("/dasbor")
    expect(page.get_by_text("Page not found")).to_be_visible()
    expect(page.get_by_role("heading", name="Dasbor pemantauan pengaduan")).to_have_count(0)

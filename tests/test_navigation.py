"""app.py: each role's navigation holds exactly the pages its roles grant, nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import read_session
from db.models import LoginAttempt
from layanan.sop import Role
from services import auth
from ui.session import SESSION_KEY, USER_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

PUBLIC = {
    "login": "Masuk",
    "ajukan": "Ajukan Pengaduan",
    "lacak": "Lacak Pengaduan",
    "verifikasi": "Verifikasi Surat",
}
STAFF = {
    "antrean": "Antrean Saya",
    "pemberitahuan": "Pemberitahuan",
    "terima": "Terima Pengaduan",
    "pengaduan": "Detail Pengaduan",
    "cari": "Cari Pengaduan",
    "buku-pengaduan": "Buku Pengaduan",
    "dasbor": "Dasbor",
    "templat": "Templat Surat",
    "admin": "Administrasi",
}
FILES = {
    "login": "pages/login.py",
    "ajukan": "pages/ajukan.py",
    "lacak": "pages/lacak.py",
    "verifikasi": "pages/verifikasi.py",
    "antrean": "pages/queue.py",
    "pemberitahuan": "pages/notifications.py",
    "terima": "pages/intake.py",
    "pengaduan": "pages/complaint.py",
    "cari": "pages/search.py",
    "buku-pengaduan": "pages/register_book.py",
    "dasbor": "pages/dashboard.py",
    "templat": "pages/templates.py",
    "admin": "pages/admin.py",
}

EXPECTED = {
    "petugas": ["antrean", "pemberitahuan", "terima", "pengaduan", "cari"],
    "subbag": ["antrean", "pemberitahuan", "pengaduan", "cari", "buku-pengaduan"],
    "kepala": ["antrean", "pemberitahuan", "pengaduan", "cari", "dasbor"],
    "sekretaris": ["antrean", "pemberitahuan", "pengaduan", "cari", "dasbor"],
    "unit_kop": ["antrean", "pemberitahuan", "pengaduan", "cari"],
    "unit_ukm": ["antrean", "pemberitahuan", "pengaduan", "cari"],
    "arsiparis": ["antrean", "pemberitahuan", "pengaduan", "cari", "buku-pengaduan"],
    "admin": ["admin", "dasbor", "cari", "pengaduan", "templat"],
}


def navigation(at: AppTest) -> list[str]:
    """The url paths of the pages st.navigation offered on the last run, in order.

    (The first page is the default one, served at the app root; its own path is named.)
    """
    by_file = {str(ROOT / file): path for path, file in FILES.items()}
    return [
        by_file.get(str(info.get("script_path")), info["url_pathname"])
        for info in at._registered_pages.values()
    ]


def titles(at: AppTest) -> dict[str, str]:
    return {
        path: info["page_name"]
        for path, info in zip(navigation(at), at._registered_pages.values(), strict=True)
    }


def run_app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_visitor_sees_only_the_login_and_the_public_pages(db):
    at = run_app()

    assert not at.exception
    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]
    assert titles(at) == PUBLIC
    labels = [w.label for w in at.text_input]
    assert labels == ["Nama pengguna", "Kata sandi"]
    for path in STAFF:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(FILES[path])


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_gets_exactly_its_pages(staff, who):
    user = getattr(staff, who)
    at = run_app(**{USER_KEY: user.id})

    assert not at.exception
    # Every staff role also reaches the public letter verification (its QR code opens
    # it in whatever browser scans it), and no other public page.
    assert navigation(at) == [*EXPECTED[who], "verifikasi"]
    assert titles(at) == {path: {**STAFF, **PUBLIC}[path] for path in navigation(at)}
    granted = set(navigation(at))
    for path in set(STAFF) | set(PUBLIC):
        if path in granted:
            continue
        # A page not granted does not exist for this user: not even by its file.
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(FILES[path])
    # The sidebar says who is logged in, with roles and unit, and offers "Keluar".
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert user.full_name in sidebar
    assert "Peran:" in captions and "Unit:" in captions
    assert [b.label for b in at.sidebar.button] == ["Keluar"]


def test_head_sees_dashboard_but_no_admin_or_intake(staff):
    at = run_app(**{USER_KEY: staff.kepala.id})
    assert "dasbor" in navigation(at)
    assert "admin" not in navigation(at)
    assert "terima" not in navigation(at)


def test_user_without_a_role_gets_no_staff_page(staff):
    at = run_app(**{USER_KEY: staff.outsider.id})
    assert list(titles(at).values()) == ["Beranda"]
    assert "belum diberi peran" in at.info[0].value


def with_cookie(monkeypatch, token: str) -> AppTest:
    """A fresh browser session that sends this login cookie (AppTest cannot set cookies;
    the real cookie round trip is tested in tests/e2e/test_login_refresh.py)."""
    monkeypatch.setattr("ui.session.cookie_token", lambda: token)
    return AppTest.from_file(APP, default_timeout=30).run()


def test_login_from_the_cookie_of_an_earlier_visit(staff, monkeypatch):
    opened = auth.create_session(user_id=staff.subbag.id)
    at = with_cookie(monkeypatch, opened.token)

    assert at.session_state[USER_KEY] == staff.subbag.id
    assert navigation(at) == [*EXPECTED["subbag"], "verifikasi"]


def test_revoked_or_forged_cookie_logs_nobody_in(staff, monkeypatch):
    opened = auth.create_session(user_id=staff.subbag.id)
    auth.revoke_session(session_id=opened.id)
    for token in (opened.token, "palsu"):
        at = with_cookie(monkeypatch, token)
        assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]


def test_logout_ends_the_session_and_shows_the_login_again(staff):
    opened = auth.create_session(user_id=staff.petugas.id)
    at = run_app(**{USER_KEY: staff.petugas.id, SESSION_KEY: opened.id})
    assert navigation(at) == [*EXPECTED["petugas"], "verifikasi"]

    at.sidebar.button[0].click().run()

    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]
    assert USER_KEY not in at.session_state
    assert auth.resolve_session(token=opened.token) is None


def test_logout_in_another_tab_ends_this_tab_too(staff):
    opened = auth.create_session(user_id=staff.petugas.id)
    at = run_app(**{USER_KEY: staff.petugas.id, SESSION_KEY: opened.id})
    auth.revoke_session(token=opened.token)
    at.run()
    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]


def test_a_page_run_checks_the_login_once_and_every_run_again(staff, monkeypatch):
    """The navigation (app.py) and the page's guard share one check a run: it was a
    fifth of a queue or complaint page's server CPU to read the user twice (issue 14).
    The next run checks again, so a logout elsewhere still ends this tab's login."""
    import ui.session

    checks: list[int] = []
    real = ui.session.load_current_user

    def counted(**kwargs):
        checks.append(kwargs["user_id"])
        return real(**kwargs)

    monkeypatch.setattr(ui.session, "load_current_user", counted)
    opened = auth.create_session(user_id=staff.kepala.id)
    at = run_app(**{USER_KEY: staff.kepala.id, SESSION_KEY: opened.id})
    assert not at.exception
    assert navigation(at) == [*EXPECTED["kepala"], "verifikasi"]
    assert at.title[0].value == "Antrean saya"  # the default page ran, past its guard
    assert checks == [staff.kepala.id]

    at.run()
    assert checks == [staff.kepala.id] * 2
    auth.revoke_session(token=opened.token)
    at.run()
    assert checks == [staff.kepala.id] * 3
    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]


def test_deactivated_user_is_logged_out_on_the_next_run(staff):
    from services import admin

    at = run_app(**{USER_KEY: staff.unit_kop.id})
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=staff.unit_kop.id, active=False)
    at.run()
    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]


AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "rahasia-uji-yang-cukup-panjang",
    "client_id": "layanan",
    "client_secret": "rahasia",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def via_identity_provider(user: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = user
    return at.run()


def test_identity_provider_login_opens_the_linked_accounts_pages(staff):
    from services import admin

    admin.update_user(
        acting_user_id=staff.admin.id,
        user_id=staff.kepala.id,
        data=admin.UserData(
            username="kepala",
            full_name=staff.kepala.full_name,
            unit_id=None,
            roles=(Role.KEPALA_DINAS,),
            email="kepala@sulteng.go.id",
        ),
    )
    at = via_identity_provider(
        {"is_logged_in": True, "sub": "idp|kepala", "email": "kepala@sulteng.go.id"}
    )

    assert at.session_state[USER_KEY] == staff.kepala.id
    assert navigation(at) == [*EXPECTED["kepala"], "verifikasi"]


def test_identity_provider_login_without_an_account_stays_on_the_login_page(staff):
    at = via_identity_provider({"is_logged_in": True, "sub": "idp|asing", "email": "asing@luar.id"})
    at.run()  # a rerun does not try (and record) the refused identity again

    assert navigation(at) == ["login", "ajukan", "lacak", "verifikasi"]
    assert at.error[0].value == "Akun Anda belum terdaftar di aplikasi ini. Hubungi administrator."
    assert [b.label for b in at.button] == ["Masuk", "Keluar dari akun kantor (SSO)"]
    with read_session() as session:
        tries = session.execute(
            select(LoginAttempt.success, LoginAttempt.client).where(
                LoginAttempt.username == "asing@luar.id"
            )
        ).all()
    assert [tuple(t) for t in tries] == [(False, "oidc")]


def test_the_server_freezes_its_heap_after_a_page_run(db, monkeypatch):
    """A page run ends by taking the process's start-up heap out of the collector's
    walks (once per process: services.process): an oldest-generation collection of
    this heap took 115-135 ms inside whichever page run crossed the threshold."""
    from services import process

    runs = []
    monkeypatch.setattr(process, "freeze_startup_heap", lambda: runs.append("frozen"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert runs == ["frozen"]


def test_the_heap_is_frozen_once_per_process():
    import subprocess
    import sys

    code = (
        "import gc\n"
        "import services.dashboard\n"  # pandas, plotly's data, SQLAlchemy's mappers
        "from services import process\n"
        "before = gc.get_freeze_count()\n"
        "first, second = process.freeze_startup_heap(), process.freeze_startup_heap()\n"
        "print(before, first, second, gc.get_freeze_count() > 10000)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["0", "True", "False", "True"]

"""The login page (pages/login.py): the form, its refusals, and the cookie hand-over."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import get_settings
from db.engine import read_session
from db.models import AuthSession, LoginAttempt
from services import auth
from services.seed import DEMO_PASSWORD
from ui.session import SESSION_KEY, USER_KEY

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "login.py")


def submit(at: AppTest, username: str, password: str) -> AppTest:
    name, secret = at.text_input
    name.input(username)
    secret.input(password)
    at.button[0].click()
    return at.run()


def login_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert [w.label for w in at.text_input] == ["Nama pengguna", "Kata sandi"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert [b.label for b in at.button] == ["Masuk"]
    return at


def test_officer_logs_in_and_the_page_hands_the_session_to_the_browser(staff):
    at = submit(login_page(), "petugas", DEMO_PASSWORD)

    assert not at.exception
    assert not at.error
    assert at.success[0].value == "Berhasil masuk sebagai Rina Marlina, S.Sos."
    assert at.session_state[USER_KEY] == staff.petugas.id
    session_id = at.session_state[SESSION_KEY]
    with read_session() as session:
        row = session.get(AuthSession, session_id)
        assert row.user_id == staff.petugas.id and row.revoked_at is None
        token_hash = row.token_hash
    # The hand-over script posts the token to /api/session: in the body, not the URL.
    [script] = at.get("html")
    assert 'fetch("/api/session"' in script.proto.body
    assert "?token" not in script.proto.body
    token = re.search(r'token: "([^"]+)"', script.proto.body).group(1)
    assert auth.resolve_session(token=token).id == session_id
    assert token_hash not in script.proto.body


def test_wrong_password_and_unknown_name_are_refused_alike(staff):
    at = submit(login_page(), "petugas", "bukan-sandinya-1")
    wrong = at.error[0].value
    at = submit(login_page(), "siapa_saja", DEMO_PASSWORD)
    unknown = at.error[0].value

    assert wrong == unknown == auth.BAD_CREDENTIALS
    assert USER_KEY not in at.session_state
    assert not at.get("html")


def test_empty_form_is_refused(db):
    at = submit(login_page(), "", "")
    assert at.error[0].value == auth.BAD_CREDENTIALS


def test_repeated_failures_hold_the_login_without_telling_a_guess_apart(staff):
    at = login_page()
    for _ in range(get_settings().login_max_failures):
        at = submit(at, "arsiparis", "bukan-sandinya-1")
    # Held now: even the right password gets the one answer, so a guesser cannot tell
    # that a guess made during the hold was right.
    at = submit(at, "arsiparis", DEMO_PASSWORD)
    assert at.error[0].value == auth.BAD_CREDENTIALS
    assert USER_KEY not in at.session_state
    with read_session() as session:
        recorded = session.scalars(
            select(LoginAttempt.success).where(LoginAttempt.username == "arsiparis")
        ).all()
    assert recorded == [False] * (get_settings().login_max_failures + 1)


def test_identity_provider_button_only_when_configured(db):
    at = login_page()
    assert [b.label for b in at.button] == ["Masuk"]

    at = AppTest.from_file(PAGE, default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "rahasia-uji",
        "client_id": "layanan",
        "client_secret": "rahasia",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.run()
    assert [b.label for b in at.button] == ["Masuk", "Masuk dengan akun kantor (SSO)"]


def test_session_of_the_page_ends_with_logout(staff):
    at = submit(login_page(), "kepala", DEMO_PASSWORD)
    session_id = at.session_state[SESSION_KEY]
    auth.revoke_session(session_id=session_id)
    assert auth.load_current_user(user_id=staff.kepala.id, session_id=session_id) is None

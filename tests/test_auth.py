"""Login, lockout, login sessions and identity-provider mapping (services.auth)."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import select

from config import get_settings
from db.engine import read_session, write_session
from db.models import AuthSession, LoginAttempt, User
from layanan.sop import Role
from services import admin, auth
from services.ratelimit import Throttled
from services.seed import DEMO_PASSWORD

MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 WITA


def attempts(username: str) -> list[LoginAttempt]:
    with read_session() as session:
        rows = list(
            session.scalars(
                select(LoginAttempt)
                .where(LoginAttempt.username == username)
                .order_by(LoginAttempt.id)
            )
        )
        session.expunge_all()
        return rows


def user_row(user_id: int) -> User:
    with read_session() as session:
        user = session.get(User, user_id)
        session.expunge_all()
        return user


def test_front_desk_officer_logs_in_with_password(staff):
    user = auth.login(username="petugas", password=DEMO_PASSWORD, client="10.0.0.7")

    assert user.id == staff.petugas.id
    assert user.roles == frozenset({Role.PETUGAS})
    assert user.unit_name == "Subbagian Kepegawaian dan Umum"
    [attempt] = attempts("petugas")
    assert attempt.success is True
    assert attempt.client == "10.0.0.7"


def test_username_is_not_case_sensitive(staff):
    assert (
        auth.login(username="  Kepala ", password=DEMO_PASSWORD, client=None).id == staff.kepala.id
    )


def test_wrong_password_and_unknown_user_get_the_same_message(staff):
    with pytest.raises(auth.BadCredentials) as wrong:
        auth.login(username="petugas", password="salah-sekali-1", client=None)
    with pytest.raises(auth.BadCredentials) as unknown:
        auth.login(username="tidak_ada", password=DEMO_PASSWORD, client=None)

    assert wrong.value.message == unknown.value.message == auth.BAD_CREDENTIALS
    assert [a.success for a in attempts("petugas")] == [False]
    assert [a.success for a in attempts("tidak_ada")] == [False]
    assert user_row(staff.petugas.id).failed_logins == 1


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """Every Argon2 verification asked for, by the hash it was asked against.

    Each distinct (hash, password) pair is verified for real once and its result reused,
    so that a test of many attempts stays fast on a busy machine; the count is of calls.
    """
    made: list[str] = []
    real = PasswordHasher.verify
    known: dict[tuple[str, str], bool | Exception] = {}

    def counting(self, hash, password):
        made.append(hash)
        if (hash, password) not in known:
            try:
                known[hash, password] = real(self, hash, password)
            except Exception as exc:  # VerifyMismatchError and the like, raised again
                known[hash, password] = exc
        outcome = known[hash, password]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return made


@pytest.fixture
def small_limits(monkeypatch):
    """Small budgets for quick tests: 3 per name and client, 9 per client, 6 per account."""
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("LOGIN_CLIENT_MAX_FAILURES", "9")
    monkeypatch.setenv("LOGIN_ACCOUNT_MAX_FAILURES", "6")
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def refusal(**kwargs) -> auth.BadCredentials:
    with pytest.raises(auth.BadCredentials) as refused:
        auth.login(**kwargs)
    assert type(refused.value) is auth.BadCredentials
    return refused.value


def test_unknown_wrong_held_and_locked_get_the_same_answer_after_the_same_work(
    staff, small_limits, verifications
):
    """One Argon2 verification and one message for every refusal that names an account."""
    with time_machine.travel(MONDAY_9, tick=False):
        # A client that has used up its budget for "kasubbag" and for a name nobody has.
        for name in ("subbag", "tidak_ada"):
            for _ in range(small_limits.login_max_failures):
                refusal(username=name, password="salah-sekali-1", client="203.0.113.9")
        # An account locked for everyone (by failures from clients within their budgets).
        for n in range(small_limits.login_account_max_failures):
            refusal(username="kepala", password="salah-sekali-1", client=f"198.51.100.{n}")
        assert user_row(staff.kepala.id).locked_until is not None

        verifications.clear()
        cases = {
            "unknown name": ("siapa_pun", DEMO_PASSWORD, "10.0.0.1"),
            "wrong password": ("petugas", "salah-sekali-1", "10.0.0.1"),
            "held, wrong": ("subbag", "salah-sekali-1", "203.0.113.9"),
            "held, right": ("subbag", DEMO_PASSWORD, "203.0.113.9"),
            "held, unknown": ("tidak_ada", DEMO_PASSWORD, "203.0.113.9"),
            "locked, wrong": ("kepala", "salah-sekali-1", "10.0.0.2"),
            "locked, right": ("kepala", DEMO_PASSWORD, "10.0.0.2"),
        }
        answers = {}
        for case, (name, password, client) in cases.items():
            before = len(verifications)
            answers[case] = refusal(username=name, password=password, client=client).message
            assert len(verifications) == before + 1, case

    assert set(answers.values()) == {auth.BAD_CREDENTIALS}
    assert "terkunci sampai" not in auth.BAD_CREDENTIALS


def test_an_account_without_a_password_costs_the_same_work(staff, verifications):
    with write_session() as session:
        session.get(User, staff.sekretaris.id).password_hash = None
    assert refusal(username="sekretaris", password=DEMO_PASSWORD, client=None).message == (
        auth.BAD_CREDENTIALS
    )
    assert len(verifications) == 1


def test_a_stranger_from_one_address_cannot_lock_the_owner_out(verifications, staff, small_limits):
    stranger, owner = "203.0.113.9", "10.0.0.5"
    with time_machine.travel(MONDAY_9, tick=False):
        for _ in range(small_limits.login_client_max_failures):
            refusal(username="subbag", password="salah-sekali-1", client=stranger)
        # Beyond its budget the stranger's address is refused before any name is looked
        # up, so further guesses never reach the account.
        for name in ("subbag", "kepala", "tidak_ada"):
            with pytest.raises(Throttled) as throttled:
                auth.login(username=name, password="salah-sekali-1", client=stranger)
            assert throttled.value.message == (
                "Terlalu banyak percobaan masuk yang gagal dari perangkat ini. "
                f"Coba lagi dalam {small_limits.lockout_minutes} menit."
            )
        # Only the failures within the stranger's budget for the name counted.
        row = user_row(staff.subbag.id)
        assert row.failed_logins == small_limits.login_max_failures
        assert row.locked_until is None

        assert auth.login(username="subbag", password=DEMO_PASSWORD, client=owner).id == (
            staff.subbag.id
        )
    assert [a.success for a in attempts("subbag")][-1] is True


def test_the_owners_own_mistakes_hold_only_their_client_until_the_window_passes(
    verifications, staff, small_limits
):
    limit, minutes = small_limits.login_max_failures, small_limits.lockout_minutes
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        for _ in range(limit):
            refusal(username="subbag", password="salah-sekali-1", client="10.0.0.5")
        # Held on this client, even with the right password, and told nothing more.
        refusal(username="subbag", password=DEMO_PASSWORD, client="10.0.0.5")
        # The same person at another computer logs in.
        assert auth.login(username="subbag", password=DEMO_PASSWORD, client="10.0.0.6")

        clock.move_to(MONDAY_9 + timedelta(minutes=minutes, seconds=1))
        assert auth.login(username="subbag", password=DEMO_PASSWORD, client="10.0.0.5")


def test_failures_from_many_clients_lock_the_account_until_the_lock_expires(staff, small_limits):
    minutes = small_limits.lockout_minutes
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        # Two clients, each within its budget for the name, reach the account's limit.
        for n in range(small_limits.login_account_max_failures):
            refusal(username="subbag", password="salah-sekali-1", client=f"198.51.100.{n % 2}")
        until = MONDAY_9 + timedelta(minutes=minutes)
        assert user_row(staff.subbag.id).locked_until == until

        clock.move_to(until - timedelta(seconds=1))
        refusal(username="subbag", password=DEMO_PASSWORD, client="10.0.0.5")

        clock.move_to(until + timedelta(seconds=1))
        assert auth.login(username="subbag", password=DEMO_PASSWORD, client="10.0.0.5").id == (
            staff.subbag.id
        )
    assert user_row(staff.subbag.id).locked_until is None
    assert user_row(staff.subbag.id).failed_logins == 0


def test_parallel_guesses_from_one_client_stay_within_its_budget(
    verifications, staff, small_limits
):
    """Each attempt is stored before it is checked, so racing tabs cannot overspend."""
    budget = small_limits.login_client_max_failures
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda n: _try(f"nama{n}", "salah-sekali-1", "203.0.113.9"), range(3 * budget))
        )
    assert outcomes.count("refused") <= budget
    assert outcomes.count("refused") + outcomes.count("throttled") == 3 * budget


def _try(username: str, password: str, client: str) -> str:
    try:
        auth.login(username=username, password=password, client=client)
    except Throttled:
        return "throttled"
    except auth.BadCredentials:
        return "refused"
    return "in"


def test_successful_login_resets_the_failure_count(verifications, staff):
    limit = get_settings().login_max_failures
    for _ in range(limit - 1):
        refusal(username="kepala", password="salah-sekali-1", client=None)
    auth.login(username="kepala", password=DEMO_PASSWORD, client=None)
    assert user_row(staff.kepala.id).failed_logins == 0
    for _ in range(limit - 1):  # a fresh count on this client, not a hold
        refusal(username="kepala", password="salah-sekali-1", client=None)
    assert auth.login(username="kepala", password=DEMO_PASSWORD, client=None).id == staff.kepala.id


def test_deactivated_user_cannot_log_in(staff):
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=staff.arsiparis.id, active=False)

    with pytest.raises(auth.AccountInactive) as refused:
        auth.login(username="arsiparis", password=DEMO_PASSWORD, client=None)
    assert refused.value.message == "Akun ini dinonaktifkan. Hubungi administrator."
    # A wrong password does not reveal that the account exists but is inactive.
    with pytest.raises(auth.BadCredentials):
        auth.login(username="arsiparis", password="salah-sekali-1", client=None)


def test_session_token_resolves_and_only_its_hash_is_stored(staff):
    opened = auth.create_session(user_id=staff.unit_kop.id)

    found = auth.resolve_session(token=opened.token)
    assert found is not None and found.user_id == staff.unit_kop.id and found.id == opened.id
    with read_session() as session:
        row = session.get(AuthSession, opened.id)
        session.expunge(row)
    assert row.token_hash == hashlib.sha256(opened.token.encode()).hexdigest()
    assert opened.token not in row.token_hash
    assert auth.resolve_session(token=opened.token + "x") is None
    assert auth.resolve_session(token="") is None


def test_session_expires_after_the_configured_hours(staff):
    hours = get_settings().session_hours
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        opened = auth.create_session(user_id=staff.sekretaris.id)
        clock.move_to(MONDAY_9 + timedelta(hours=hours) - timedelta(seconds=1))
        assert auth.resolve_session(token=opened.token) is not None
        assert auth.load_current_user(user_id=staff.sekretaris.id, session_id=opened.id)
        clock.move_to(MONDAY_9 + timedelta(hours=hours))
        assert auth.resolve_session(token=opened.token) is None
        assert auth.load_current_user(user_id=staff.sekretaris.id, session_id=opened.id) is None


def test_logout_revokes_the_session(staff):
    opened = auth.create_session(user_id=staff.petugas.id)
    other = auth.create_session(user_id=staff.petugas.id)  # another browser

    auth.revoke_session(session_id=opened.id)

    assert auth.resolve_session(token=opened.token) is None
    assert auth.load_current_user(user_id=staff.petugas.id, session_id=opened.id) is None
    assert auth.resolve_session(token=other.token) is not None
    with read_session() as session:
        assert session.get(AuthSession, opened.id).revoked_at is not None


def test_logout_by_cookie_token_revokes_the_session(staff):
    opened = auth.create_session(user_id=staff.petugas.id)
    auth.revoke_session(token=opened.token)
    assert auth.resolve_session(token=opened.token) is None


def test_session_of_a_deactivated_user_no_longer_resolves(staff):
    opened = auth.create_session(user_id=staff.unit_ukm.id)
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=staff.unit_ukm.id, active=False)
    assert auth.resolve_session(token=opened.token) is None
    assert auth.load_current_user(user_id=staff.unit_ukm.id) is None


def test_password_reset_ends_open_sessions(staff):
    opened = auth.create_session(user_id=staff.unit_kop.id)
    admin.reset_password(
        acting_user_id=staff.admin.id, user_id=staff.unit_kop.id, new_password="Baru-2026-kop"
    )
    assert auth.resolve_session(token=opened.token) is None
    assert auth.login(username="unit_kop", password="Baru-2026-kop", client=None)


def test_token_becomes_a_cookie_only_right_after_login(staff):
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        opened = auth.create_session(user_id=staff.kepala.id)
        assert auth.may_hand_over(token=opened.token) is not None
        clock.shift(timedelta(seconds=auth.HANDOFF_SECONDS + 1))
        assert auth.may_hand_over(token=opened.token) is None
        assert auth.resolve_session(token=opened.token) is not None  # still logged in


def _set_identity(user_id: int, *, email: str | None = None, subject: str | None = None) -> None:
    with write_session() as session:
        user = session.get(User, user_id)
        user.email = email
        user.oidc_subject = subject


def test_identity_provider_login_links_the_account_by_email_once(staff):
    _set_identity(staff.sekretaris.id, email="Nurhayati@Sulteng.go.id")

    first = auth.user_for_identity(
        subject="idp|42", email="nurhayati@sulteng.go.id", email_verified=True
    )
    assert first.id == staff.sekretaris.id
    assert user_row(staff.sekretaris.id).oidc_subject == "idp|42"

    # Later logins find the account by subject, even if the e-mail changed at the provider.
    again = auth.user_for_identity(subject="idp|42", email="lain@sulteng.go.id")
    assert again.id == staff.sekretaris.id
    assert [a.client for a in attempts("sekretaris")] == ["oidc", "oidc"]


def test_identity_provider_login_without_an_account_is_refused(staff):
    with pytest.raises(auth.UnknownIdentity) as refused:
        auth.user_for_identity(subject="idp|99", email="orang@luar.id", email_verified=True)
    assert "belum terdaftar" in refused.value.message


def test_unverified_email_does_not_link_an_account(staff):
    _set_identity(staff.kepala.id, email="kepala@sulteng.go.id")
    with pytest.raises(auth.UnknownIdentity):
        auth.user_for_identity(subject="idp|7", email="kepala@sulteng.go.id", email_verified=False)
    assert user_row(staff.kepala.id).oidc_subject is None


def test_email_of_an_account_linked_to_another_subject_is_not_taken_over(staff):
    _set_identity(staff.kepala.id, email="kepala@sulteng.go.id", subject="idp|1")
    with pytest.raises(auth.UnknownIdentity):
        auth.user_for_identity(subject="idp|2", email="kepala@sulteng.go.id", email_verified=True)


def test_deactivated_account_cannot_log_in_through_the_provider(staff):
    _set_identity(staff.unit_ukm.id, email="sri@sulteng.go.id", subject="idp|5")
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=staff.unit_ukm.id, active=False)
    with pytest.raises(auth.AccountInactive):
        auth.user_for_identity(subject="idp|5", email="sri@sulteng.go.id")


# --- the two cookie routes beside Streamlit (ui/auth_routes.py) ----------------------------


def post(handler, *, body: bytes = b"", origin: str | None = "http://pengaduan.test", cookie=None):
    """Call a route handler with a POST request as a browser on pengaduan.test sends it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from starlette.requests import Request

    headers = [(b"host", b"pengaduan.test"), (b"content-type", b"application/json")]
    if origin:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", f"{auth.SESSION_COOKIE}={cookie}".encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/session",
        "headers": headers,
        "query_string": b"",
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    # A loop of its own in a worker thread: the browser tests' Playwright keeps an event
    # loop running in the main thread for the whole session.
    with ThreadPoolExecutor(max_workers=1) as worker:
        response = worker.submit(asyncio.run, handler(Request(scope, receive))).result()
    return response.status_code, json.loads(response.body), response.headers.getlist("set-cookie")


def token_body(token: str) -> bytes:
    return json.dumps({"token": token}).encode()


def test_fresh_login_token_becomes_an_httponly_strict_cookie(staff):
    from ui.auth_routes import set_session_cookie

    opened = auth.create_session(user_id=staff.petugas.id)
    status, answer, cookies = post(set_session_cookie, body=token_body(opened.token))

    assert (status, answer) == (200, {"ok": True})
    [cookie] = cookies
    assert cookie.startswith(f"{auth.SESSION_COOKIE}={opened.token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert f"Max-Age={get_settings().session_hours * 3600}" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http:// in tests


def test_cookie_route_refuses_other_sites_old_and_unknown_tokens(staff):
    from ui.auth_routes import set_session_cookie

    with time_machine.travel(MONDAY_9, tick=False) as clock:
        opened = auth.create_session(user_id=staff.petugas.id)
        for origin in ("https://jahat.example", None):
            status, _, cookies = post(
                set_session_cookie, body=token_body(opened.token), origin=origin
            )
            assert (status, cookies) == (403, [])
        assert post(set_session_cookie, body=token_body("palsu"))[0] == 400
        assert post(set_session_cookie, body=b"bukan json")[0] == 400
        clock.shift(timedelta(seconds=auth.HANDOFF_SECONDS + 1))
        status, _, cookies = post(set_session_cookie, body=token_body(opened.token))
        assert (status, cookies) == (400, [])


def test_logout_route_revokes_the_cookie_session_and_deletes_the_cookie(staff):
    from ui.auth_routes import end_session

    opened = auth.create_session(user_id=staff.kepala.id)
    assert post(end_session, cookie=opened.token, origin="https://jahat.example")[0] == 403
    assert auth.resolve_session(token=opened.token) is not None

    status, _, cookies = post(end_session, cookie=opened.token)

    assert status == 200
    assert auth.resolve_session(token=opened.token) is None
    [cookie] = cookies
    assert cookie.startswith(f'{auth.SESSION_COOKIE}="";') and "Max-Age=0" in cookie

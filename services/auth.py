"""Accounts: password login with lockout, server-side login sessions, OIDC mapping.

A browser proves who it is with a random token kept in an httpOnly cookie; the database
keeps only the token's SHA-256 (``AuthSession.token_hash``), so a copy of the database
does not log anyone in, and logging out revokes the row. See ``docs/auth.md``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import AuthSession, LoginAttempt, RateLimitHit, User, utcnow
from layanan.errors import NotAllowed, WorkflowError
from layanan.sop import Role
from services import authz, ratelimit
from services.passwords import verify_password
from services.ratelimit import Policy

SESSION_COOKIE = "layanan_sesi"
# A fresh session's token may be turned into the browser's cookie only this long after
# login (the login page hands it over at once; see ui/auth_routes.py).
HANDOFF_SECONDS = 60

# One answer for an unknown name, a wrong password and a held login (with the right
# password or not): a stranger learns neither that a name exists, nor that it is locked,
# nor that a guess made during the lock was right. See docs/auth.md.
BAD_CREDENTIALS = (
    "Nama pengguna atau kata sandi salah, atau proses masuk sedang ditahan karena terlalu banyak "
    "percobaan yang gagal. Coba lagi nanti atau hubungi administrator."
)
CLIENT_BUCKET = "login-client"
# Per account and client; the bucket names the account (hashed: bucket is 40 characters)
# so that an administrator's password reset can lift every client's hold on it.
NAME_BUCKET_PREFIX = "login-name:"


class BadCredentials(NotAllowed):
    """Unknown user, wrong password or a held login: one message for all of them."""


class AccountInactive(NotAllowed):
    """The account was deactivated by an administrator."""


class UnknownIdentity(NotAllowed):
    """An identity-provider login that matches no active account."""


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in staff member, re-read from the database on every page run."""

    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    unit_id: int | None
    unit_name: str | None


@dataclass(frozen=True)
class NewSession:
    """A login session just created: the token goes to the browser, never to the database."""

    id: int
    token: str
    expires_at: datetime


def _current(user: User) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        unit_id=user.unit_id,
        unit_name=user.unit.name if user.unit else None,
    )


def _session_row_valid(row: AuthSession | Row | None, user_id: int, now: datetime) -> bool:
    return (
        row is not None
        and row.user_id == user_id
        and row.revoked_at is None
        and row.expires_at > now
    )


def load_current_user(
    *, user_id: int, session_id: int | None = None, now: datetime | None = None
) -> CurrentUser | None:
    """The active user with this id, or None (unknown, deactivated, or session ended).

    With ``session_id``, the login session must also still be open (not revoked by a
    logout, not expired), so a logout in one tab ends the login in every tab.
    """
    with read_session() as session:
        user = authz.account(session, user_id)
        if user is None or not user.active:
            return None
        if session_id is not None:
            login = session.execute(
                select(AuthSession.user_id, AuthSession.revoked_at, AuthSession.expires_at).where(
                    AuthSession.id == session_id
                )
            ).first()
            if not _session_row_valid(login, user_id, now or utcnow()):
                return None
        return CurrentUser(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            roles=user.roles,
            unit_id=user.unit_id,
            unit_name=user.unit_name,
        )


def normalise_username(username: str) -> str:
    return username.strip().lower()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash("tidak-ada-pengguna-0")


def client_policy() -> Policy:
    """Failed logins from one client, whatever the names: refused before any lookup."""
    s = get_settings()
    return Policy(
        bucket=CLIENT_BUCKET,
        max_hits=s.login_client_max_failures,
        window=timedelta(minutes=s.lockout_minutes),
        refusal="Terlalu banyak percobaan masuk yang gagal dari perangkat ini.",
    )


def name_policy(username: str) -> Policy:
    """Failed logins for one name from one client: that client's hold on that account."""
    s = get_settings()
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:24]
    return Policy(
        bucket=NAME_BUCKET_PREFIX + digest,
        max_hits=s.login_max_failures,
        window=timedelta(minutes=s.lockout_minutes),
        refusal=BAD_CREDENTIALS,
    )


def _over(policy: Policy) -> Policy:
    # Counted after this attempt's own hit is stored: the (max_hits + 1)-th hit in the
    # window is the first one refused. Storing first and counting after (rather than
    # checking, hashing, then storing) keeps parallel attempts within the budget: each
    # attempt counts its own row and every row committed before it.
    return replace(policy, max_hits=policy.max_hits + 1)


def _reserve(*, name: str, client: str, now: datetime) -> int:
    """Store this attempt as a failure of the client and of (name, client) before any check."""
    rows = [
        RateLimitHit(bucket=p.bucket, client=ratelimit.client_id(client), at=now)
        for p in (client_policy(), name_policy(name))
    ]
    with write_session() as session:
        session.add_all(rows)
        for policy in (client_policy(), name_policy(name)):
            # Forget hits that left the window, as ratelimit.hit does for its buckets.
            session.execute(
                delete(RateLimitHit).where(
                    RateLimitHit.bucket == policy.bucket, RateLimitHit.at <= now - policy.window
                )
            )
        session.flush()
        return rows[0].id


def _attempt(
    session: Session,
    *,
    username: str,
    password: str,
    client: str | None,
    held: bool,
    now: datetime,
) -> CurrentUser | WorkflowError:
    """One login attempt; returns the user or the refusal, after recording it.

    Every path does the same work, one Argon2 verification (against a dummy hash when
    the name is unknown or has no password), so neither the answer nor its time tells
    an unknown name from a wrong password or a held login.
    """
    settings = get_settings()
    # The row lock keeps two simultaneous wrong passwords from both reading the same
    # failure count (PostgreSQL; SQLite's writer already holds the database lock).
    user = session.scalars(
        select(User).where(User.username == username).with_for_update(of=User)
    ).one_or_none()
    attempt = LoginAttempt(username=username[:60], at=now, success=False, client=client)
    session.add(attempt)
    stored_hash = user.password_hash if user is not None else None
    correct = verify_password(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    if user is None:
        return BadCredentials(BAD_CREDENTIALS)
    locked = user.locked_until is not None and user.locked_until > now
    if held or locked:
        # Not counted against the account: a client beyond its budget for this name
        # cannot push the account towards the lock that would hold everyone out.
        return BadCredentials(BAD_CREDENTIALS)
    if not correct:
        user.failed_logins += 1
        if user.failed_logins >= settings.login_account_max_failures:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        return BadCredentials(BAD_CREDENTIALS)
    if not user.active:
        return AccountInactive("Akun ini dinonaktifkan. Hubungi administrator.")
    user.failed_logins = 0
    user.locked_until = None
    attempt.success = True
    return _current(user)


def lift_lock(session: Session, user: User) -> None:
    """Open an account again (password reset): the account-wide lock and every client's hold."""
    user.failed_logins = 0
    user.locked_until = None
    session.execute(
        delete(RateLimitHit).where(RateLimitHit.bucket == name_policy(user.username).bucket)
    )


def login(
    *, username: str, password: str, client: str | None, now: datetime | None = None
) -> CurrentUser:
    """Check a username and password; every attempt is recorded in ``login_attempts``.

    Three limits, all in the lockout window (``LOCKOUT_MINUTES``), see docs/auth.md:
    a client with ``LOGIN_CLIENT_MAX_FAILURES`` failures is refused (``Throttled``)
    before any name is looked up; a client with ``LOGIN_MAX_FAILURES`` failures for one
    name is held off that name; ``LOGIN_ACCOUNT_MAX_FAILURES`` failures in a row from
    clients within their budgets lock the account for everyone. Wrong, unknown and held
    all raise ``BadCredentials`` with one message; ``AccountInactive`` only answers the
    right password of a deactivated account.
    """
    clock = (lambda: now) if now is not None else utcnow
    now = clock()
    name = normalise_username(username)
    if not name or not password:
        raise BadCredentials(BAD_CREDENTIALS)
    client = (client or "")[:100] or None
    key = client or ratelimit.UNKNOWN_CLIENT
    client_hit = _reserve(name=name, client=key, now=now)
    # Counted at a time read after our own commit, so that it is later than the time of
    # every hit committed before ours: a racing attempt that took its time a moment after
    # ours but committed first is counted too.
    counted = clock()
    wait = ratelimit.retry_after(policy=_over(client_policy()), client=key, now=counted)
    if wait > 0:
        with write_session() as session:
            session.add(LoginAttempt(username=name[:60], at=now, success=False, client=client))
        # Raises Throttled with the wait in words ("Coba lagi dalam 12 menit.").
        ratelimit.check(policy=_over(client_policy()), client=key, now=counted)
    held = ratelimit.retry_after(policy=_over(name_policy(name)), client=key, now=counted) > 0
    with write_session() as session:
        outcome = _attempt(
            session, username=name, password=password, client=client, held=held, now=now
        )
        if not isinstance(outcome, WorkflowError):
            # A success costs no budget, and ends this client's failures for the name.
            session.execute(delete(RateLimitHit).where(RateLimitHit.id == client_hit))
            session.execute(
                delete(RateLimitHit).where(
                    RateLimitHit.bucket == name_policy(name).bucket,
                    RateLimitHit.client == ratelimit.client_id(key),
                )
            )
    # Raised after the commit, so the failure count and the attempt row are kept.
    if isinstance(outcome, WorkflowError):
        raise outcome
    return outcome


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(*, user_id: int, now: datetime | None = None) -> NewSession:
    """Open a login session for ``SESSION_HOURS``; only the token's hash is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=get_settings().session_hours)
    with write_session() as session:
        row = AuthSession(
            token_hash=_hash_token(token), user_id=user_id, created_at=now, expires_at=expires_at
        )
        session.add(row)
        session.flush()
        return NewSession(id=row.id, token=token, expires_at=expires_at)


@dataclass(frozen=True)
class OpenSession:
    id: int
    user_id: int
    created_at: datetime
    expires_at: datetime


def resolve_session(*, token: str, now: datetime | None = None) -> OpenSession | None:
    """The open session of this token whose user is still active, or None."""
    if not token:
        return None
    now = now or utcnow()
    with read_session() as session:
        row = session.scalars(
            select(AuthSession).where(AuthSession.token_hash == _hash_token(token))
        ).one_or_none()
        if row is None or not _session_row_valid(row, row.user_id, now):
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        return OpenSession(row.id, row.user_id, row.created_at, row.expires_at)


def may_hand_over(*, token: str, now: datetime | None = None) -> OpenSession | None:
    """The session of a token that was created moments ago, for setting the cookie once."""
    now = now or utcnow()
    found = resolve_session(token=token, now=now)
    if found is None or now - found.created_at > timedelta(seconds=HANDOFF_SECONDS):
        return None
    return found


def revoke_session(
    *, session_id: int | None = None, token: str | None = None, now: datetime | None = None
) -> None:
    """End a login session (logout), found by id or by token; unknown ones are ignored."""
    now = now or utcnow()
    with write_session() as session:
        if session_id is not None:
            row = session.get(AuthSession, session_id)
        elif token:
            row = session.scalars(
                select(AuthSession).where(AuthSession.token_hash == _hash_token(token))
            ).one_or_none()
        else:
            return
        if row is not None and row.revoked_at is None:
            row.revoked_at = now


def revoke_user_sessions(session: Session, *, user_id: int, now: datetime) -> None:
    """End every open session of a user (deactivation, password reset), in ``session``."""
    rows = session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    )
    for row in rows:
        row.revoked_at = now


def user_for_identity(
    *,
    subject: str,
    email: str | None,
    email_verified: bool | None = None,
    now: datetime | None = None,
) -> CurrentUser:
    """Map an identity-provider login (``st.user``) to an active account of the users table.

    A user already linked by ``oidc_subject`` is found by it. Otherwise the first login
    links the account whose e-mail matches (case-insensitive), unless the provider says
    the e-mail is not verified or that account is linked to another subject. There is no
    self-registration: an administrator creates the account with the person's e-mail.
    """
    now = now or utcnow()
    if not subject:
        raise UnknownIdentity("Identitas dari akun kantor (SSO) tidak lengkap.")
    with write_session() as session:
        user = session.scalars(select(User).where(User.oidc_subject == subject)).one_or_none()
        if user is None and email and email_verified is not False:
            user = session.scalars(
                select(User).where(
                    func.lower(User.email) == email.strip().lower(),
                    User.oidc_subject.is_(None),
                )
            ).first()
            if user is not None:
                user.oidc_subject = subject
        label = (user.username if user else (email or subject))[:60]
        session.add(
            LoginAttempt(
                username=label, at=now, success=user is not None and user.active, client="oidc"
            )
        )
        if user is None:
            outcome: CurrentUser | WorkflowError = UnknownIdentity(
                "Akun Anda belum terdaftar di aplikasi ini. Hubungi administrator."
            )
        elif not user.active:
            outcome = AccountInactive("Akun ini dinonaktifkan. Hubungi administrator.")
        else:
            outcome = _current(user)
    if isinstance(outcome, WorkflowError):
        raise outcome
    return outcome

"""The logged-in user of this browser session, and the page guard every page calls.

``st.session_state["user_id"]`` holds the logged-in user's id (tests may set it
directly). A real login also keeps the id of its ``AuthSession`` row beside it, so a
logout elsewhere or an expired session ends this tab's login on its next run. A browser
refresh starts a new Streamlit session: ``restore_login`` then finds the login again from
the httpOnly cookie (password login) or from ``st.user`` (identity provider).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st

from layanan import permissions
from layanan.errors import WorkflowError
from services import auth, clients
from services.auth import CurrentUser, load_current_user
from ui.auth_routes import LOGOUT_PATH, SESSION_PATH

USER_KEY = "user_id"
SESSION_KEY = "auth_session_id"
VIA_OIDC_KEY = "login_via_oidc"
OIDC_ERROR_KEY = "oidc_error"
CLEAR_COOKIE_KEY = "clear_login_cookie"
CLIENT_TOKEN_KEY = "client_token"  # random id of this browser session (services.clients)


# The user one script run has checked (``checked_for_this_run``), with the login it was
# checked for: the app's navigation and the page's guard read the database once a run.
_RUN_USER: ContextVar[tuple[tuple[object, object], CurrentUser] | None] = ContextVar(
    "layanan_run_user", default=None
)


def _login() -> tuple[object, object]:
    return st.session_state.get(USER_KEY), st.session_state.get(SESSION_KEY)


def current_user() -> CurrentUser | None:
    """The logged-in, still active user whose login session is still open, or None.

    Read from the database on every script run, once: within the run that app.py wraps
    in ``checked_for_this_run``, a second call for the same login returns that check.
    """
    user_id, session_id = login = _login()
    if user_id is None:
        return None
    checked = _RUN_USER.get()
    if checked is not None and checked[0] == login:
        return checked[1]
    user = load_current_user(user_id=user_id, session_id=session_id)
    if user is None:
        _forget()
    return user


@contextmanager
def checked_for_this_run() -> Iterator[CurrentUser | None]:
    """``current_user()``, checked now and kept for the rest of this script run.

    A logout (here or in another tab) still ends the login on the next run; a login or
    logout within this run changes the login and so is not served the kept check.
    """
    user = current_user()
    token = _RUN_USER.set((_login(), user) if user is not None else None)
    try:
        yield user
    finally:
        _RUN_USER.reset(token)


def require_page(page_key: str) -> CurrentUser:
    """Stop the page unless a user is logged in and one of their roles grants it."""
    user = current_user()
    if user is None:
        st.warning("Silakan masuk terlebih dahulu.")
        st.stop()
    if not permissions.may_open(user.roles, page_key):
        st.error("Anda tidak memiliki akses ke halaman ini.")
        st.stop()
    return user


def _forget() -> None:
    for key in (USER_KEY, SESSION_KEY, VIA_OIDC_KEY):
        st.session_state.pop(key, None)


def client_address() -> str | None:
    """The browser's address, for login records (None when it cannot be known).

    Decided by ``services.clients`` from what the server saw: proxy headers are believed
    only from ``TRUST_PROXY_FROM`` (right-most untrusted hop of ``X-Forwarded-For``).
    """
    return clients.address_text(headers=_headers(), peer=_peer())


def client_key() -> str:
    """The key this browser's requests are counted under (``services.clients``): its
    address, or this browser session when the address cannot be known."""
    token = st.session_state.get(CLIENT_TOKEN_KEY)
    if not isinstance(token, str):
        token = st.session_state[CLIENT_TOKEN_KEY] = secrets.token_hex(16)
    return clients.throttle_key(headers=_headers(), peer=_peer(), session=token)


def _headers() -> dict[str, str]:
    """The request headers, a header sent on several lines joined with commas (as HTTP
    defines it): a proxy may append its X-Forwarded-For hop as a line of its own."""
    headers = st.context.headers  # empty outside a server (AppTest)
    return {name: ", ".join(headers.get_all(name)) for name in headers}


def _peer() -> str | None:
    peer = st.context.ip_address
    return peer if isinstance(peer, str) else None


def oidc_enabled() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def cookie_token() -> str | None:
    """The login cookie the browser sent when this page was loaded (httpOnly, see docs/auth.md)."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    return token if isinstance(token, str) and token else None


def restore_login() -> None:
    """At the start of a run without a user: take the login from the cookie or from st.user."""
    if st.session_state.get(USER_KEY) is not None:
        return
    token = cookie_token()
    if token:
        found = auth.resolve_session(token=token)
        if found is not None:
            st.session_state[USER_KEY] = found.user_id
            st.session_state[SESSION_KEY] = found.id
            return
    if oidc_enabled() and st.user.is_logged_in and OIDC_ERROR_KEY not in st.session_state:
        try:
            user = auth.user_for_identity(
                subject=str(st.user.get("sub") or ""),
                email=st.user.get("email"),
                email_verified=st.user.get("email_verified"),
            )
        except WorkflowError as err:
            st.session_state[OIDC_ERROR_KEY] = err.message
            return
        st.session_state[USER_KEY] = user.id
        st.session_state[VIA_OIDC_KEY] = True


def log_in(*, username: str, password: str) -> CurrentUser:
    """Check the password (raises WorkflowError) and open a login session for this tab.

    Then hands the session's token to the browser (``_hand_over``), whose script stores
    it as an httpOnly cookie through ``POST /api/session`` and reloads the app.
    """
    user = auth.login(username=username, password=password, client=client_address())
    opened = auth.create_session(user_id=user.id)
    st.session_state[USER_KEY] = user.id
    st.session_state[SESSION_KEY] = opened.id
    st.session_state.pop(OIDC_ERROR_KEY, None)
    _hand_over(opened.token)
    return user


def _hand_over(token: str) -> None:
    # The token is a urlsafe random string; json.dumps quotes it for the script anyway.
    st.html(
        f"""<p id="layanan-login-note">Membuka ruang kerja…</p>
<script>
(async () => {{
  const note = document.getElementById("layanan-login-note");
  try {{
    const answer = await fetch({json.dumps(SESSION_PATH)}, {{
      method: "POST",
      credentials: "same-origin",
      headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify({{token: {json.dumps(token)}}}),
    }});
    if (!answer.ok) throw new Error(String(answer.status));
    window.location.replace("/");
  }} catch (err) {{
    if (note) note.textContent = "Berhasil masuk, tetapi peramban menolak menyimpan sesi: "
      + "Anda harus masuk lagi bila halaman dimuat ulang.";
  }}
}})();
</script>""",
        unsafe_allow_javascript=True,
    )


def log_out() -> None:
    """End the login: revoke the session row now, delete the cookie on the next run."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        auth.revoke_session(session_id=session_id)
        st.session_state[CLEAR_COOKIE_KEY] = True
    via_oidc = st.session_state.get(VIA_OIDC_KEY)
    _forget()
    if via_oidc:
        st.logout()


def clear_cookie_if_logged_out() -> None:
    """After a logout, let the browser drop the (already revoked) cookie."""
    if not st.session_state.pop(CLEAR_COOKIE_KEY, False):
        return
    st.html(
        f"""<script>
fetch({json.dumps(LOGOUT_PATH)}, {{method: "POST", credentials: "same-origin"}});
</script>""",
        unsafe_allow_javascript=True,
    )

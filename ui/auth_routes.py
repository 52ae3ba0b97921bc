"""Two HTTP routes beside Streamlit (mounted by ``st.App`` in app.py) for the login cookie.

Streamlit talks to the browser over a WebSocket, which cannot set cookies. So after a
password login the login page hands the new session's token to ``POST /api/session``
(in the request body, never the URL), which answers with an httpOnly, SameSite=Strict
cookie; from then on every page load sends it and ``ui.session`` reads it back through
``st.context.cookies``. ``POST /api/session/end`` revokes the session and deletes the cookie.
Both refuse requests from another origin. See docs/auth.md.
"""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from config import get_settings
from services import auth

# Not under /auth/: Streamlit's own st.login routes are /auth/login and /auth/logout.
SESSION_PATH = "/api/session"
LOGOUT_PATH = "/api/session/end"


def _same_origin(request: Request) -> bool:
    """True if the browser says the request comes from a page of this very host."""
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    return urlparse(origin).netloc == host


def _secure(request: Request) -> bool:
    """Whether the cookie gets ``Secure``: COOKIE_SECURE, or (auto) when served over https.

    Auto sees https in PUBLIC_BASE_URL or in the request itself. Behind a proxy that ends
    TLS and talks http to the app, set COOKIE_SECURE=true (docs/auth.md).
    """
    mode = get_settings().cookie_secure
    if mode != "auto":
        return mode == "true"
    return get_settings().public_base_url.startswith("https://") or request.url.scheme == "https"


async def _token_from_body(request: Request) -> str:
    try:
        body = await request.json()
    except ValueError:
        return ""
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) else ""


async def set_session_cookie(request: Request) -> Response:
    """Turn a session token created moments ago into the browser's httpOnly cookie."""
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    token = await _token_from_body(request)
    found = await run_in_threadpool(auth.may_hand_over, token=token)
    if found is None:
        return JSONResponse({"ok": False}, status_code=400)
    response = JSONResponse({"ok": True})
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=get_settings().session_hours * 3600,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_session(request: Request) -> Response:
    """Revoke the session of the cookie (if any) and delete the cookie."""
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        await run_in_threadpool(auth.revoke_session, token=token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(
        auth.SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


ROUTES = [
    Route(SESSION_PATH, set_session_cookie, methods=["POST"]),
    Route(LOGOUT_PATH, end_session, methods=["POST"]),
]

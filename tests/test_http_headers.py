"""The security-header middleware and the login cookie's Secure flag (ui/http_headers.py,
ui/auth_routes.py), called as ASGI apps without a server; tests/e2e/test_security_headers.py
checks the real server."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

import config
from services import auth
from ui import auth_routes
from ui.http_headers import SECURITY_HEADERS, SecurityHeaders


def run(coroutine):
    """``asyncio.run`` in a thread of its own: Playwright's sync API (the e2e tests in the
    same pytest process) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def call(app, *, path: str = "/") -> tuple[list[dict], BaseException | None]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    try:
        run(app(scope, receive, send))
    except Exception as exc:
        return sent, exc
    return sent, None


def headers_of(message: dict) -> dict[str, str]:
    return {k.decode().lower(): v.decode() for k, v in message["headers"]}


def test_an_unhandled_error_is_answered_with_the_headers_and_still_raised():
    async def broken(scope, receive, send):
        raise RuntimeError("kaput")

    sent, raised = call(SecurityHeaders(broken))
    assert isinstance(raised, RuntimeError)
    assert sent[0]["status"] == 500
    got = headers_of(sent[0])
    assert all(got[name.lower()] == value for name, value in SECURITY_HEADERS.items())


def test_the_headers_replace_what_a_route_set():
    async def framed(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"x-frame-options", b"ALLOW")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    sent, raised = call(SecurityHeaders(framed))
    assert raised is None
    assert headers_of(sent[0])["x-frame-options"] == "SAMEORIGIN"


def cookie_of(*, token: str, scheme: str = "http") -> str:
    body = json.dumps({"token": token}).encode()

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": scheme,
        "path": auth_routes.SESSION_PATH,
        "query_string": b"",
        "server": ("kantor.example", 443 if scheme == "https" else 80),
        "headers": [
            (b"host", b"kantor.example"),
            (b"origin", f"{scheme}://kantor.example".encode()),
            (b"content-type", b"application/json"),
        ],
    }
    response = run(auth_routes.set_session_cookie(Request(scope, receive)))
    assert response.status_code == 200
    return response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("mode", "base", "scheme", "secure"),
    [
        ("auto", "http://localhost:8501", "http", False),
        ("auto", "https://pengaduan.example.go.id", "http", True),
        ("auto", "http://localhost:8501", "https", True),
        ("true", "http://localhost:8501", "http", True),  # TLS ends at a proxy
        ("false", "https://pengaduan.example.go.id", "https", False),
    ],
)
def test_the_login_cookie_is_secure_whenever_served_over_https(
    staff, monkeypatch, mode, base, scheme, secure
):
    monkeypatch.setenv("COOKIE_SECURE", mode)
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    config.get_settings.cache_clear()
    try:
        cookie = cookie_of(token=auth.create_session(user_id=staff.petugas.id).token, scheme=scheme)
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert ("secure" in flags) is secure


def test_a_wrong_cookie_mode_stops_the_app(monkeypatch):
    monkeypatch.setenv("COOKIE_SECURE", "kadang")
    config.get_settings.cache_clear()
    try:
        with pytest.raises(config.ConfigError, match="COOKIE_SECURE"):
            config.get_settings()
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()

"""Security headers on every HTTP response of the server, as ASGI middleware of ``st.App``.

``app.py`` passes ``MIDDLEWARE`` to ``st.App`` (Streamlit 1.67), whose user middleware
wraps Streamlit's own stack and routes: the app's pages (index.html), its static files,
``/_stcore/*`` (health, host config, uploads), ``/media/*`` (images and downloads),
``/component/*`` and our ``/api/session`` routes all pass through it, and so do
Streamlit's own refusals (404, the path-security 400s). See docs/auth.md "Headers".
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# 'self', not 'none': Streamlit shows custom components in iframes served by this same
# server; only other sites are kept from framing the app (clickjacking).
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    # Not no-referrer: under it browsers send "Origin: null" with a same-origin POST,
    # which /api/session would refuse as another origin (ui/auth_routes.py).
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response (WebSocket frames carry none)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's outermost error handler would answer this 500 without our
            # headers: answer it here, then let the error reach it to be logged.
            if not started:
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": b"Internal Server Error"})
            raise


MIDDLEWARE = [Middleware(SecurityHeaders)]

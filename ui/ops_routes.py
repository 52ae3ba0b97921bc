"""``/healthz`` and ``/metrics``: two HTTP routes beside Streamlit, mounted by ``st.App``.

Thin: the checks are ``services.health``, the metrics ``services.metrics``; both run in a
worker thread (they query the database) under ``HEALTH_TIMEOUT_SECONDS``, so a database
that hangs answers 503 in time instead of holding the health checker's connection.
``/metrics`` is not for the internet: the proxy refuses it from outside
(docs/operations.md), and with ``METRICS_TOKEN`` set it also wants
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from config import get_settings
from services import health, metrics

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    """200 and the checks as JSON when all pass; 503 naming the failing ones."""
    scope = request.query_params.get("scope", "site")
    if scope not in health.SCOPES:
        return JSONResponse(
            {"status": "fail", "error": f"scope: one of {', '.join(health.SCOPES)}"},
            status_code=400,
            headers=NO_STORE,
        )
    try:
        report = await asyncio.wait_for(
            run_in_threadpool(health.check, scope=scope),
            timeout=get_settings().health_timeout_seconds,
        )
    except TimeoutError:
        body = {
            "status": "fail",
            "failing": ["database"],
            "checks": {"database": {"ok": False, "detail": "no answer in time"}},
        }
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    return JSONResponse(report.as_json(), status_code=200 if report.ok else 503, headers=NO_STORE)


def _authorised(request: Request) -> bool:
    token = get_settings().metrics_token
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def metrics_route(request: Request) -> Response:
    """The Prometheus exposition of this process (DB gauges read now)."""
    if not _authorised(request):
        return Response(
            "unauthorised\n",
            status_code=401,
            headers={**NO_STORE, "WWW-Authenticate": "Bearer"},
            media_type="text/plain",
        )
    try:
        body, content_type = await asyncio.wait_for(
            run_in_threadpool(metrics.exposition, request.headers.get("accept")),
            timeout=get_settings().health_timeout_seconds,
        )
    except TimeoutError:
        return Response("database: no answer in time\n", status_code=503, headers=NO_STORE)
    return Response(body, headers={**NO_STORE, "Content-Type": content_type})


ROUTES = [
    Route(HEALTH_PATH, healthz, methods=["GET"]),
    Route(METRICS_PATH, metrics_route, methods=["GET"]),
]

"""On the real server (``streamlit run app.py``): security headers on every kind of response."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from email.message import Message

import pytest

from ui.http_headers import SECURITY_HEADERS


def fetch(
    url: str, *, method: str = "GET", data: bytes | None = None
) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, method=method, data=data)
    request.add_header("Origin", "http://elsewhere.example")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as refused:  # 4xx/5xx carry headers too
        return refused.code, refused.headers, refused.read()


@pytest.mark.e2e
def test_every_kind_of_response_carries_the_security_headers(app_url):
    status, _headers, page = fetch(f"{app_url}/")
    assert status == 200
    [script] = re.findall(rb'src="\.?/?(static/js/[^"]+\.js)"', page)[:1]
    [style] = re.findall(rb'href="\.?/?(static/css/[^"]+\.css)"', page)[:1]
    responses = {
        "page": fetch(f"{app_url}/"),
        "page by address": fetch(f"{app_url}/lacak"),
        "script": fetch(f"{app_url}/{script.decode()}"),
        "style sheet": fetch(f"{app_url}/{style.decode()}"),
        "favicon": fetch(f"{app_url}/favicon.png"),
        "health": fetch(f"{app_url}/_stcore/health"),
        "host config": fetch(f"{app_url}/_stcore/host-config"),
        "media (missing)": fetch(f"{app_url}/media/0123456789abcdef.png"),
        "upload refused": fetch(f"{app_url}/_stcore/upload_file/x/y", method="PUT", data=b"z"),
        "login cookie route refused": fetch(f"{app_url}/api/session", method="POST", data=b"{}"),
        "path refused": fetch(f"{app_url}/static/..%2f..%2fetc/passwd"),
    }
    kinds = {kind: status for kind, (status, _h, _b) in responses.items()}
    assert kinds["script"] == kinds["style sheet"] == kinds["health"] == 200
    assert kinds["media (missing)"] == 404
    assert kinds["login cookie route refused"] == 403
    for kind, (_status, headers, _body) in responses.items():
        # Message.get ignores case: uvicorn sends the names in lower case.
        got = {name: headers.get(name) for name in SECURITY_HEADERS}
        assert got == SECURITY_HEADERS, kind

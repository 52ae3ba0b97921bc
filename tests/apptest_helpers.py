"""Helpers for AppTest runs of single pages as a logged-in user."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def open_page(name: str, user, **query) -> AppTest:
    """Run ``pages/<name>.py`` as ``user`` (a fixture User) with query parameters."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if user is not None:
        at.session_state["user_id"] = user.id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def texts(at: AppTest) -> str:
    """Everything a person would read on the page, as one string (for assertions)."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "success",
        "info",
        "warning",
        "error",
        "toast",
        "metric",
        "page_link",
        "button",
        "download_button",
    ):
        for element in at.get(kind):
            for attr in ("value", "label", "body"):
                value = getattr(element, attr, None)
                if isinstance(value, str):
                    parts.append(value)
                    break
            else:
                proto = getattr(element, "proto", None)
                label = getattr(proto, "label", None)
                if isinstance(label, str):
                    parts.append(label)
    return "\n".join(parts)


def unescape(text: str) -> str:
    """Text with the Markdown escapes of ``layanan.markup.md`` removed (backslashes and
    the invisible word joiners that break shortcodes and bare links)."""
    return text.replace("\\", "").replace("\u2060", "")


def tickets(at) -> list[str]:
    """Tickets linked in the list (page links, or plain links when run outside app.py)."""
    found = [link.value for link in at.get("page_link")]
    found += [
        m.value.split("]")[0].lstrip("[")
        for m in at.markdown
        if m.value.startswith("[ADU") and "tiket=" in m.value
    ]
    return [unescape(t) for t in found]

"""Structured logs: one line per page run and per SOP action, configured here only.

``configure()`` (called once by the server process: app.py's ``st.App`` branch, and by
``python -m services.outbox``) gives the ``layanan`` loggers one handler on stderr:
``LOG_FORMAT=json`` writes one JSON object per line (python-json-logger), ``text`` one
readable line with the same fields as ``key=value``. Fields (docs/operations.md "Logs"):
``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and where they apply
``event`` (``page_run`` | ``action``), ``user`` (username), ``user_id``, ``roles``,
``page``, ``ticket``, ``complaint_id``, ``step``, ``action``, ``role``, ``to_step``,
``duration_ms``.

``request_context(...)`` binds the request's fields (user, roles, page, ticket) for
everything logged while a page runs, including lines of the services it calls.

What is never logged: the complainant's identity (name, phone, e-mail, address: the
identity of ``services.identity``), the complaint's subject, text and notes, any password,
PIN or session token. Callers pass only the fields above; ``SAFE_FIELDS`` is the list,
and the formatter drops any other extra a caller might add by mistake.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from config import get_settings

ROOT_LOGGER = "layanan"
SAFE_FIELDS = (
    "event",
    "user",
    "user_id",
    "roles",
    "page",
    "ticket",
    "complaint_id",
    "step",
    "action",
    "role",
    "to_step",
    "duration_ms",
)
_BASE = ("time", "level", "logger", "message")
_request: ContextVar[dict[str, Any]] = ContextVar("layanan_request", default={})  # noqa: B039


@contextmanager
def request_context(**fields: Any) -> Iterator[None]:
    """Bind ``fields`` (a subset of ``SAFE_FIELDS``) to every line logged in the block."""
    unknown = set(fields) - set(SAFE_FIELDS)
    if unknown:
        raise ValueError(f"not a log field: {sorted(unknown)}")
    token = _request.set({**_request.get(), **fields})
    try:
        yield
    finally:
        _request.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current request context (e.g. the page, once it is known)."""
    _request.set({**_request.get(), **fields})


class _Context(logging.Filter):
    """Fills a record's missing fields from the request context; drops unknown extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _request.get().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        name: getattr(record, name)
        for name in SAFE_FIELDS
        if getattr(record, name, None) is not None
    }


class _Json(JsonFormatter):
    def add_fields(self, log_record, record, message_dict) -> None:
        log_record["time"] = self.formatTime(record)
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["message"] = record.getMessage()
        log_record.update(_fields(record))
        for name in ("exc_info", "stack_info"):
            if message_dict.get(name):
                log_record[name] = message_dict[name]

    def formatTime(self, record, datefmt=None) -> str:
        from datetime import UTC, datetime

        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Text(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return f"{line} [{extras}]" if extras else line


_HANDLER_NAME = "layanan-structured"


def configure(*, stream: IO[str] | None = None, fmt: str | None = None) -> logging.Handler:
    """Give the ``layanan`` loggers their one handler (again: replaces the previous one)."""
    settings = get_settings()
    logger = logging.getLogger(ROOT_LOGGER)
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_Json() if (fmt or settings.log_format) == "json" else _Text())
    handler.addFilter(_Context())
    logger.addHandler(handler)
    logger.setLevel(settings.log_level)
    # Our lines are complete here; a root handler (pytest's, a library's basicConfig)
    # would print them a second time.
    logger.propagate = False
    return handler


def unconfigure(handler: logging.Handler) -> None:
    logger = logging.getLogger(ROOT_LOGGER)
    logger.removeHandler(handler)
    if not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        logger.propagate = True
        logger.setLevel(logging.NOTSET)

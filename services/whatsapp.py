"""A small client of the WhatsApp Business Cloud API: template messages, error codes.

``POST {WHATSAPP_API_BASE_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages`` with a bearer token
and a template message (business-initiated messages outside a 24-hour conversation must
be approved templates). The answer is ``{"messages": [{"id": "wamid..."}]}`` or an error
object ``{"error": {"code": ..., "message": ..., "error_data": {...}}}``. The error
codes are sorted into what the outbox needs to know (``services.outbox.Outcome``):

- **invalid number** (131026 undeliverable / not on WhatsApp, 131030 not allowed,
  131021 sender = recipient, 131009 / 100 naming the phone number): permanent;
- **rate limit** (HTTP 429, 130429 throughput, 131056 pair rate, 131048 spam rate,
  80007 account rate, 4 application rate): temporary, tried again later with backoff;
- **template rejected** (132000-132016: parameter count, missing, paused, disabled,
  not approved in this language): permanent until the admin fixes the template;
- **token** (190, HTTP 401/403): permanent, the configuration is wrong;
- HTTP 5xx, 131000 / 131016 (something went wrong / service unavailable), a timeout or
  no connection: temporary.

Phone numbers are stored as ``+62...`` (``layanan.validate.phone_number``); the API
takes them as digits with the country code.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from config import get_settings

INVALID_NUMBER = frozenset({131026, 131030, 131021, 131009})
RATE_LIMIT = frozenset({130429, 131056, 131048, 80007, 4})
TEMPORARY = frozenset({131000, 131016, 1, 2})
TOKEN = frozenset({190})


def template_rejected(code: int) -> bool:
    return 132000 <= code <= 132999


@dataclass(frozen=True)
class Result:
    """What the API said; ``detail`` is Indonesian, with the API's code and message."""

    ok: bool
    permanent: bool = False
    detail: str = ""
    message_id: str | None = None
    code: int | None = None


def recipient_digits(phone: str) -> str:
    """``+6281234567890`` -> ``6281234567890`` (the API's ``to``)."""
    return "".join(ch for ch in phone if ch.isdigit())


def template_payload(
    *, phone: str, template: str, parameters: list[str], language: str | None = None
) -> dict:
    """A template message with text body parameters, in the API's request shape."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient_digits(phone),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language or get_settings().whatsapp_language},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": value} for value in parameters],
                }
            ],
        },
    }


def send(payload: dict) -> Result:
    """Send one message; never raises (every failure is a ``Result``)."""
    settings = get_settings()
    if not settings.whatsapp_enabled:
        return Result(False, True, "WhatsApp Business API belum dikonfigurasi.")
    url = f"{settings.whatsapp_api_base_url}/{settings.whatsapp_phone_number_id}/messages"
    try:
        response = requests.post(
            url,
            json=payload,
            headers={"Authorization": f"Bearer {settings.whatsapp_token}"},
            timeout=settings.whatsapp_timeout_seconds,
        )
    except requests.RequestException as exc:
        return Result(
            False, False, f"Layanan WhatsApp tidak dapat dihubungi ({exc.__class__.__name__})."
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.ok and isinstance(body, dict) and body.get("messages"):
        return Result(True, message_id=str(body["messages"][0].get("id", "")))
    return _failure(response.status_code, body)


def _failure(status: int, body: object) -> Result:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    code = code if isinstance(code, int) else None
    text = str(error.get("message") or f"HTTP {status}")[:300]
    data = error.get("error_data")
    if isinstance(data, dict) and data.get("details"):
        text = f"{text}: {str(data['details'])[:300]}"
    said = f"(kode {code}: {text})" if code is not None else f"({text})"
    if code in INVALID_NUMBER or (code == 100 and "phone" in text.lower()):
        return Result(
            False, True, f"Nomor WhatsApp tidak valid atau tidak terdaftar {said}.", code=code
        )
    if status == 429 or code in RATE_LIMIT:
        return Result(False, False, f"Batas pengiriman WhatsApp tercapai {said}.", code=code)
    if code is not None and template_rejected(code):
        return Result(
            False,
            True,
            f"Templat pesan WhatsApp ditolak {said}; periksa templat di WhatsApp Manager.",
            code=code,
        )
    if code in TOKEN or status in (401, 403):
        return Result(
            False,
            True,
            f"Token WhatsApp Business API ditolak {said}; hubungi administrator.",
            code=code,
        )
    if status >= 500 or code in TEMPORARY:
        return Result(False, False, f"Layanan WhatsApp sedang bermasalah {said}.", code=code)
    return Result(False, True, f"WhatsApp menolak pesan {said}.", code=code)

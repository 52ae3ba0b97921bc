"""A local HTTP server that speaks the WhatsApp Business Cloud API's message endpoint.

``POST /<phone-number-id>/messages`` with ``Authorization: Bearer <token>`` and a JSON
message; it answers as the Graph API does: ``200 {"messaging_product": "whatsapp",
"contacts": [{"input": ..., "wa_id": ...}], "messages": [{"id": "wamid..."}]}``, or an
error object ``{"error": {"message", "type", "code", "error_data": {"messaging_product",
"details"}, "fbtrace_id"}}`` with its HTTP status. ``script[to] = [(status, code,
message), ...]`` makes the next requests for that number fail in that order.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "uji-token-rahasia"
PHONE_NUMBER_ID = "106540352242922"


class CloudApi:
    def __init__(self) -> None:
        self.requests: list[dict] = []  # the accepted messages' JSON bodies
        self.script: dict[str, list[tuple[int, int, str]]] = {}
        self._lock = threading.Lock()
        self._count = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = api.answer(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def error(status: int, code: int, message: str, details: str = "") -> tuple[int, dict]:
        return status, {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": details or message},
                "fbtrace_id": "AbCdEfGh123",
            }
        }

    def answer(self, path: str, auth: str | None, body: dict) -> tuple[int, dict]:
        if path != f"/v21.0/{PHONE_NUMBER_ID}/messages":
            return self.error(400, 100, "Unsupported post request.")
        if auth != f"Bearer {TOKEN}":
            return self.error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        to = str(body.get("to", ""))
        with self._lock:
            planned = self.script.get(to)
            if planned:
                status, code, message = planned.pop(0)
                return self.error(status, code, message)
            if body.get("messaging_product") != "whatsapp" or body.get("type") != "template":
                return self.error(400, 100, "Invalid parameter")
            self._count += 1
            self.requests.append(body)
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjA{self._count:04d}"}],
            }

    def templates(self) -> list[str]:
        return [r["template"]["name"] for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

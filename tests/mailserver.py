"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps, or refuses, what it is sent."""

from __future__ import annotations

import email
import socket
import threading
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps every message, or answers RCPT with ``refuse``."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse  # e.g. "550 5.1.1 Mailbox unavailable", "451 4.3.0 Try later"
        self.messages: list[tuple[str, list[str], bytes]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [
            email.message_from_bytes(raw, policy=policy.default)["Message-ID"]
            for _, _, raw in self.messages
        ]

    def copies(self) -> Counter:
        """How many copies of each Message-ID arrived."""
        return Counter(self.message_ids())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller

"""Who is asking: the client address and the throttling key of a request.

The ui passes what the server saw (the request headers and the connection's peer
address, ``st.context.headers`` / ``st.context.ip_address``) and a random id of the
browser session; everything else is decided here.

- Forwarded headers are believed only when the peer is one of ``TRUST_PROXY_FROM``
  (config.py). Then ``X-Forwarded-For`` is read from the right: every proxy appends the
  address it received the request from, so the right-most hop that is not one of our
  proxies is the client; everything to its left is whatever the client chose to send.
- Streamlit reports no peer (None) for a loopback connection (and outside a server).
  Such a peer counts as 127.0.0.1 for the trust decision, so a proxy on the same host
  works with ``TRUST_PROXY_FROM=127.0.0.1``.
- A visitor whose address stays unknown (a loopback peer that is not a trusted proxy)
  is keyed by its browser session, never by one shared key: a shared key would let
  anyone spend everyone's budget and lock real complainants out. A guesser who opens new
  sessions gains no guesses at a ticket: the per-ticket budget does not depend on the
  client key (services.ratelimit.ticket_policy).
- IPv6 clients are keyed by their /64 network: one subscriber line gets a whole /64 and
  could otherwise pick a fresh address, and a fresh budget, per request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from config import get_settings

LOOPBACK = ipaddress.ip_address("127.0.0.1")
IPV6_PREFIX = 64

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str | None) -> Address | None:
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51000
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    if not headers:
        return ""
    for key, value in headers.items():  # header names are case-insensitive
        if key.lower() == name.lower():
            return value or ""
    return ""


def _trusted(address: Address) -> bool:
    return any(address in network for network in get_settings().trust_proxy_from)


def client_address(*, headers: Mapping[str, str] | None, peer: str | None) -> Address | None:
    """The client's address, or None when it cannot be known (see the module doc)."""
    address = _parse(peer) if peer else LOOPBACK
    if address is None or not _trusted(address):
        return None if address is None or address.is_loopback else address
    # The peer is our proxy: walk the hops it and the proxies before it appended.
    forwarded = _header(headers, "X-Forwarded-For")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        real = _parse(_header(headers, "X-Real-Ip"))
        hops = [str(real)] if real is not None else []
    for hop in reversed(hops):
        parsed = _parse(hop)
        if parsed is None:
            # Garbage where a proxy would have written an address: it came from the
            # client; the proxy that received it (the last trusted hop) is all we know.
            break
        address = parsed
        if not _trusted(address):
            return address
    # Only proxies (or garbage) in the chain: the request came from our own network.
    return None if address.is_loopback else address


def address_text(*, headers: Mapping[str, str] | None, peer: str | None) -> str | None:
    """``client_address`` as text, for login records (None when unknown)."""
    address = client_address(headers=headers, peer=peer)
    return None if address is None else str(address)


def throttle_key(*, headers: Mapping[str, str] | None, peer: str | None, session: str) -> str:
    """The key this request is counted under in ``services.ratelimit`` (client budgets)."""
    address = client_address(headers=headers, peer=peer)
    if address is None:
        return f"sesi:{session}"
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False)
        return f"ip:{network}"
    return f"ip:{address}"

"""The complainant's tracking PIN: six digits on the receipt, only an argon2 hash stored.

Every check of a PIN goes through ``check_pin`` (tracking, the reply letter, the rating,
the receipt download), which reserves the attempt under the client's and the ticket's
budgets (``services.ratelimit.reserve``) *before* argon2 runs, and gives the
reservation back when the PIN is right. ``_verify`` is the one call of argon2 on a PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services import ratelimit

PIN_HASHER = PasswordHasher()
# Verified against for unknown tickets: same argon2 parameters as real PINs, so an
# unknown ticket and a wrong PIN take the same time.
DUMMY_HASH = PIN_HASHER.hash(secrets.token_hex(16))

# Pairs this process verified lately, so the tracking page's reruns (it checks the pair
# again on every click) do not need a new slot while a spent ticket is on its slow path.
# Only a right PIN is ever entered, keyed by an HMAC with a per-process secret, so a
# guess cannot hit it and nothing usable is kept in memory.
VERIFIED_FOR_SECONDS = 30 * 60
_VERIFIED_MAX = 10_000
_verified: OrderedDict[bytes, float] = OrderedDict()
_verified_lock = threading.Lock()
_verified_secret = secrets.token_bytes(32)


def new_pin() -> str:
    """A six-digit tracking PIN for the receipt; only its hash is stored."""
    return f"{secrets.randbelow(1_000_000):06d}"


def normalize_ticket(ticket: str | None) -> str:
    return "".join((ticket or "").split()).upper()


def _verify(pin_hash: str, pin: str) -> bool:
    try:
        return PIN_HASHER.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def ticket_key(ticket: str, complaint_id: int | None) -> str:
    """The per-ticket budget's key. It names the complaint too, so guesses made at a
    ticket number before it was issued (they are sequential) spend nothing of the
    complaint that later gets it."""
    return f"{normalize_ticket(ticket)[:40]}#{complaint_id if complaint_id is not None else '-'}"


def check_pin(
    *, ticket: str, complaint_id: int | None, pin_hash: str | None, pin: str, client: str
) -> bool:
    """Whether ``pin`` opens this ticket: the one throttled PIN check.

    Raises ``ratelimit.Throttled`` (nothing evaluated) when the client's budget
    (``track_policy``) or the ticket's (``ticket_policy``, slow path once spent) is
    exhausted. Otherwise the attempt is counted first, then exactly one argon2
    verification runs (against ``DUMMY_HASH`` when there is no such ticket); a right PIN
    gets its reservation back, so successes are never counted. A pair this process
    verified in the last ``VERIFIED_FOR_SECONDS`` is let through at once.
    """
    pin = (pin or "").strip()
    if pin_hash and pin and _recently_verified(complaint_id, pin_hash, pin):
        return True
    reservation = ratelimit.reserve(
        claims=[
            (ratelimit.track_policy(), client),
            (ratelimit.ticket_policy(), ticket_key(ticket, complaint_id)),
        ]
    )
    ok = _verify(pin_hash or DUMMY_HASH, pin) and bool(pin_hash) and bool(pin)
    if ok:
        ratelimit.refund(reservation)
        _remember(complaint_id, pin_hash, pin)
    return ok


def _pair_key(complaint_id: int | None, pin_hash: str, pin: str) -> bytes:
    message = f"{complaint_id}\0{pin_hash}\0{pin}".encode()
    return hmac.new(_verified_secret, message, hashlib.sha256).digest()


def _recently_verified(complaint_id: int | None, pin_hash: str, pin: str) -> bool:
    key = _pair_key(complaint_id, pin_hash, pin)
    with _verified_lock:
        until = _verified.get(key)
        if until is None or until < time.monotonic():
            return False
        _verified.move_to_end(key)
        return True


def _remember(complaint_id: int | None, pin_hash: str, pin: str) -> None:
    with _verified_lock:
        _verified[_pair_key(complaint_id, pin_hash, pin)] = time.monotonic() + VERIFIED_FOR_SECONDS
        while len(_verified) > _VERIFIED_MAX:
            _verified.popitem(last=False)

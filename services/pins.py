"""The complainant's tracking PIN: six digits on the receipt, only an argon2 hash stored."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PIN_HASHER = PasswordHasher()


def new_pin() -> str:
    """A six-digit tracking PIN for the receipt; only its hash is stored."""
    return f"{secrets.randbelow(1_000_000):06d}"


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    """Whether ``pin`` is the one hashed in ``pin_hash`` (False for no hash)."""
    if not pin_hash:
        return False
    try:
        return PIN_HASHER.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False

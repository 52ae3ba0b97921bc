"""Password hashing with Argon2id (argon2-cffi's recommended defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from layanan.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {MIN_LENGTH} karakter.")
    if password.isdigit() or password.isalpha():
        raise InvalidInput("Kata sandi harus memuat huruf dan angka atau simbol.")

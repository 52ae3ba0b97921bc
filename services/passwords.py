"""Password hashing with Argon2id (argon2-cffi's recommended defaults) and the strength rule.

Strength is judged by zxcvbn (Dropbox's estimator: dictionaries of common passwords,
names and words, keyboard patterns, repeats, sequences, dates), not by a hand list: a
password must need at least ``MIN_SCORE`` on its 0-4 scale (about 10^8 guesses), so
``password12`` and ``aaaaaaaaa1`` are refused. zxcvbn's feedback is English; the user
sees it in Indonesian through ``FEEDBACK_ID``.
"""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from layanan.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 10
MIN_SCORE = 3
# zxcvbn refuses to evaluate longer input (its matching is quadratic); the first 72
# characters decide, and a longer password is only stronger.
ZXCVBN_MAX_LENGTH = 72

# Every feedback text of zxcvbn 4.5 (zxcvbn/feedback.py), in Indonesian.
# tests/test_passwords.py checks that none of the library's texts is missing here.
FEEDBACK_ID: dict[str, str] = {
    "Use a few words, avoid common phrases.": (
        "Gunakan beberapa kata, hindari ungkapan yang umum."
    ),
    "No need for symbols, digits, or uppercase letters.": (
        "Simbol, angka, atau huruf kapital tidak wajib."
    ),
    "Add another word or two. Uncommon words are better.": (
        "Tambahkan satu atau dua kata lagi; kata yang jarang dipakai lebih baik."
    ),
    "Straight rows of keys are easy to guess.": (
        "Deretan tombol papan ketik yang lurus mudah ditebak."
    ),
    "Short keyboard patterns are easy to guess.": ("Pola papan ketik yang pendek mudah ditebak."),
    "Use a longer keyboard pattern with more turns.": (
        "Gunakan pola papan ketik yang lebih panjang dengan lebih banyak belokan."
    ),
    'Repeats like "aaa" are easy to guess.': ("Pengulangan seperti \u201caaa\u201d mudah ditebak."),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "Pengulangan seperti \u201cabcabcabc\u201d hanya sedikit lebih sulit ditebak "
        "daripada \u201cabc\u201d."
    ),
    "Avoid repeated words and characters.": "Hindari kata dan karakter yang berulang.",
    'Sequences like "abc" or "6543" are easy to guess.': (
        "Urutan seperti \u201cabc\u201d atau \u201c6543\u201d mudah ditebak."
    ),
    "Avoid sequences.": "Hindari urutan.",
    "Recent years are easy to guess.": "Tahun-tahun terakhir mudah ditebak.",
    "Avoid recent years.": "Hindari tahun-tahun terakhir.",
    "Avoid years that are associated with you.": "Hindari tahun yang berkaitan dengan Anda.",
    "Dates are often easy to guess.": "Tanggal biasanya mudah ditebak.",
    "Avoid dates and years that are associated with you.": (
        "Hindari tanggal dan tahun yang berkaitan dengan Anda."
    ),
    "This is a top-10 common password.": ("Ini termasuk 10 kata sandi yang paling sering dipakai."),
    "This is a top-100 common password.": (
        "Ini termasuk 100 kata sandi yang paling sering dipakai."
    ),
    "This is a very common password.": "Ini kata sandi yang sangat umum.",
    "This is similar to a commonly used password.": (
        "Ini mirip dengan kata sandi yang umum dipakai."
    ),
    "A word by itself is easy to guess.": "Satu kata saja mudah ditebak.",
    "Names and surnames by themselves are easy to guess.": (
        "Nama depan atau nama keluarga saja mudah ditebak."
    ),
    "Common names and surnames are easy to guess.": (
        "Nama depan dan nama keluarga yang umum mudah ditebak."
    ),
    "Capitalization doesn't help very much.": "Huruf kapital tidak banyak membantu.",
    "All-uppercase is almost as easy to guess as all-lowercase.": (
        "Semua huruf kapital hampir sama mudah ditebak dengan semua huruf kecil."
    ),
    "Reversed words aren't much harder to guess.": (
        "Kata yang dibalik tidak jauh lebih sulit ditebak."
    ),
    "Predictable substitutions like '@' instead of 'a' don't help very much.": (
        "Penggantian yang mudah diduga, seperti \u201c@\u201d untuk \u201ca\u201d, "
        "tidak banyak membantu."
    ),
}
# A text a future zxcvbn adds that FEEDBACK_ID does not know yet: never shown in English.
FEEDBACK_FALLBACK = "Gunakan kata sandi yang lebih panjang dan tidak mudah ditebak."


def hash_password(password: str, *, user_inputs: Iterable[str] = ()) -> str:
    check_strength(password, user_inputs=user_inputs)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _indonesian(text: str) -> str:
    return FEEDBACK_ID.get(text, FEEDBACK_FALLBACK)


def check_strength(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Refuse (``InvalidInput``, Indonesian) a short, guessable or repetitive password.

    ``user_inputs`` are the account's own words (username, name, e-mail), which zxcvbn
    counts as guessable too.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {MIN_LENGTH} karakter.")
    if password.isdigit() or password.isalpha():
        raise InvalidInput("Kata sandi harus memuat huruf dan angka atau simbol.")
    words = [w for w in user_inputs if w]
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    hints = [feedback["warning"], *feedback["suggestions"]]
    advice = " ".join(dict.fromkeys(_indonesian(h) for h in hints if h))
    raise InvalidInput("Kata sandi terlalu mudah ditebak. " + (advice or FEEDBACK_FALLBACK))

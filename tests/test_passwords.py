"""The password rule (services.passwords): zxcvbn refuses common and repetitive passwords."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import zxcvbn

from layanan.errors import InvalidInput
from services import passwords


@pytest.mark.parametrize(
    ("password", "advice"),
    [
        ("aaaaaaaaa1", "Pengulangan seperti \u201caaa\u201d mudah ditebak."),
        ("password12", "Ini kata sandi yang sangat umum."),
        ("qwertyuiop1", "Ini mirip dengan kata sandi yang umum dipakai."),
        ("abcdefghij12", "Urutan seperti \u201cabc\u201d atau \u201c6543\u201d mudah ditebak."),
    ],
)
def test_common_and_repetitive_passwords_are_refused_in_indonesian(password, advice):
    with pytest.raises(InvalidInput) as refused:
        passwords.hash_password(password)
    assert refused.value.message.startswith("Kata sandi terlalu mudah ditebak. ")
    assert advice in refused.value.message


def test_the_accounts_own_words_count_as_guessable():
    passwords.check_strength("budisantoso-88")
    with pytest.raises(InvalidInput, match="terlalu mudah ditebak"):
        passwords.check_strength("budisantoso-88", user_inputs=("budisantoso", "Budi Santoso"))


@pytest.mark.parametrize(
    "password",
    [
        "Pengaduan-2026",
        "kopi tubruk senja palu",
        "Sandi-Baru-77",
        "Laporan koperasi Sulawesi Tengah selesai tepat waktu pada minggu ketiga bulan ini",
    ],
)
def test_strong_passwords_are_accepted(password):
    passwords.check_strength(password)  # raises if refused


def test_every_feedback_text_of_zxcvbn_has_an_indonesian_translation():
    """A zxcvbn upgrade that adds a text fails here instead of showing English."""
    source = Path(zxcvbn.__file__).with_name("feedback.py").read_text()
    texts = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(texts) > 20
    assert texts - passwords.FEEDBACK_ID.keys() == set()

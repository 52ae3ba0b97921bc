"""Uploads are checked by content and size, with messages in Indonesian."""

from __future__ import annotations

import pytest

from layanan.errors import InvalidInput
from services.seed import DEMO_PDF
from services.uploads import check_upload, safe_filename

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_a_pdf_is_accepted_by_its_content():
    doc = check_upload(kind="attachment", filename="surat aduan (1).pdf", data=DEMO_PDF)
    assert doc.content_type == "application/pdf"
    assert doc.filename == "surat-aduan-1-.pdf"


def test_a_png_photo_is_accepted():
    assert check_upload(kind="attachment", filename="foto.png", data=PNG).content_type == (
        "image/png"
    )


def test_a_script_named_like_a_pdf_is_refused():
    with pytest.raises(InvalidInput, match="bukan jenis yang diterima"):
        check_upload(kind="attachment", filename="surat.pdf", data=b"#!/bin/sh\nrm -rf /\n")


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput, match="kosong"):
        check_upload(kind="attachment", filename="a.pdf", data=b"")


def test_a_file_over_the_limit_is_refused(monkeypatch):
    import config

    monkeypatch.setenv("UPLOAD_MAX_MB", "1")
    config.get_settings.cache_clear()
    try:
        with pytest.raises(InvalidInput, match="terlalu besar"):
            check_upload(kind="attachment", filename="a.pdf", data=DEMO_PDF + b"0" * 1_100_000)
    finally:
        monkeypatch.delenv("UPLOAD_MAX_MB")
        config.get_settings.cache_clear()


def test_file_names_are_made_safe():
    assert safe_filename("../../etc/passwd") == "etc-passwd"
    assert safe_filename("Surat Pengaduan Ñoño.pdf") == "Surat-Pengaduan-Nono.pdf"
    assert safe_filename("////") == "berkas"

"""Word to PDF with LibreOffice, when it is installed.

Each conversion runs ``soffice --headless --convert-to pdf`` with its own throw-away
profile directory (``-env:UserInstallation``): LibreOffice refuses to run twice on one
profile, and two users converting at once must not wait for each other. A timeout stops
a hung conversion.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from config import get_settings
from layanan.errors import WorkflowError

TIMEOUT_SECONDS = 60


class PdfUnavailable(WorkflowError):
    """PDF conversion is not possible on this server (LibreOffice missing or failing)."""


def soffice_binary() -> str | None:
    """The LibreOffice executable configured by SOFFICE_PATH, if it exists."""
    configured = get_settings().soffice_path
    return shutil.which(configured)


def pdf_unavailable_reason() -> str | None:
    """Why PDF cannot be offered (None when it can)."""
    if soffice_binary() is None:
        return (
            "PDF tidak tersedia: LibreOffice (soffice) tidak terpasang di server "
            f"(SOFFICE_PATH={get_settings().soffice_path}). Unduh berkas Word lalu cetak "
            "atau simpan sebagai PDF dari Word."
        )
    return None


def to_pdf(docx: bytes, *, timeout: int = TIMEOUT_SECONDS) -> bytes:
    """The PDF of a .docx; PdfUnavailable when LibreOffice is missing or fails."""
    reason = pdf_unavailable_reason()
    if reason:
        raise PdfUnavailable(reason)
    binary = soffice_binary()
    # ignore_cleanup_errors: a converter killed mid-write must not turn the clear
    # message below into "Directory not empty".
    with tempfile.TemporaryDirectory(prefix="layanan-pdf-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        source = work / "dokumen.docx"
        source.write_bytes(docx)
        profile = (work / "profile").as_uri()
        command = [
            binary,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        # Its own process group: `soffice` is a wrapper that starts `soffice.bin`, and
        # on a timeout both must stop (killing the wrapper alone left soffice.bin
        # writing into the profile being removed).
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise PdfUnavailable(
                f"Konversi PDF dihentikan karena melebihi {timeout} detik. Coba lagi, atau "
                "unduh berkas Word."
            ) from None
        result = work / "dokumen.pdf"
        if not result.exists():
            raise PdfUnavailable("Konversi PDF gagal. Unduh berkas Word sebagai gantinya.")
        return result.read_bytes()

"""Every official document from realistic sample data, as Word and PDF.

    python -m scripts.render_samples OUT [--pdf NAME,NAME | --no-pdf]

Builds a throw-away SQLite database in OUT, plays demo complaints through the workflow
(``services.seed``, as ``scripts/seed_demo.py`` does), stores letter settings with a
full kop surat, and then asks the app's own services for each document, as the pages
do: the reply letter's draft and its signed (frozen) file, the disposition sheet, the
receipt for the complainant (with PIN) and the staff copy, the register of a period
long enough for at least three pages, and the monthly recap. Each is converted by
``services.document_files.as_pdf`` (LibreOffice, what the PDF button calls).
Prints one line per file; exits 1 when LibreOffice is missing (unless --no-pdf).
``--pdf`` converts only the named documents (the layout test needs three of seven).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The sample period ends here: fixed, so every run gives the same documents.
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
# One month of a busy office: enough rows for a register of several pages, few enough
# to seed in seconds.
COMPLAINTS = 45
MONTHS = 1
PIN = "123456"  # services.seed: every demo complaint's tracking PIN

KOP = {
    "provinsi": "PEMERINTAH PROVINSI SULAWESI TENGAH",
    "nama_dinas": "DINAS KOPERASI, USAHA KECIL DAN MENENGAH",
    "alamat": "Jalan Prof. Moh. Yamin Nomor 37, Palu",
    "telepon": "(0451) 421234",
    "faksimile": "(0451) 421235",
    "website": "diskopukm.example.go.id",
    "email": "pengaduan@example.go.id",
    "kode_pos": "94111",
    "kota": "Palu",
    "kepala_nama": "Dr. Hasanuddin Rahim, M.Si.",
    "kepala_pangkat": "Pembina Utama Muda (IV/c)",
    "kepala_nip": "19700707 199512 1 001",
}


def _prepare_environment(out: Path) -> None:
    """A database of its own in OUT (set before config is first read)."""
    database = out / "contoh.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("PUBLIC_BASE_URL", "https://pengaduan.example.go.id")


NAMES = (
    "surat-jawaban-draf",
    "surat-jawaban-ditandatangani",
    "lembar-disposisi",
    "tanda-terima-pengadu",
    "tanda-terima-petugas",
    "buku-pengaduan",
    "rekapitulasi",
)


def render_samples(out: Path, *, pdf: bool | set[str] = True) -> list[Path]:
    """Write every document into ``out`` as .docx, and as .pdf those ``pdf`` names
    (True: all); the paths written, in order."""
    from dataclasses import asdict

    from sqlalchemy import select

    from db.engine import read_session, write_session
    from db.models import Complaint, Disposition, User
    from layanan import sop
    from services import (
        auth,
        disposition_sheet,
        document_files,
        letter_settings,
        recap,
        receipt,
        register_book,
        reply_letter,
    )
    from services.seed import ensure_demo_users, seed_demo

    with write_session() as session:
        ensure_demo_users(session)
    with read_session() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    # The kop first: the letters signed while seeding are frozen with it.
    letter_settings.save_letter_settings(
        user_id=users["admin"], values={**asdict(letter_settings.LetterSettings()), **KOP}
    )
    with write_session() as session:
        seed_demo(session, count=COMPLAINTS, now=NOW, months=MONTHS)
    with read_session() as session:
        complaints = session.scalars(select(Complaint).order_by(Complaint.id)).all()
        approve_at = sop.action("approve").at
        draft = next(
            c.id for c in complaints if c.current_step == approve_at and c.reply_body and c.units
        )
        signed = next(c.id for c in reversed(complaints) if c.signed_at is not None)
        disposed = {d.complaint_id for d in session.scalars(select(Disposition))}
        # A letter, so that the sheet shows the incoming letter's own number and date.
        sheet = next(
            (
                c.id
                for c in reversed(complaints)
                if c.id in disposed and sop.Channel(c.channel) in sop.PAPER_CHANNELS
            ),
            next(c.id for c in reversed(complaints) if c.id in disposed),
        )
        intake = next(c.id for c in reversed(complaints) if not c.anonymous)
    start = (NOW - timedelta(days=30)).date()
    end = NOW.date()
    documents = [
        reply_letter.reply_letter(complaint_id=draft, user_id=users["kepala"]),
        # The .docx frozen at signing (its PDF below is converted as the others are).
        reply_letter.signed_docx(complaint_id=signed, user_id=users["sekretaris"]),
        disposition_sheet.disposition_sheet(complaint_id=sheet, user_id=users["kepala"]),
        receipt.receipt_download(complaint_id=intake, pin=PIN, client="render-samples"),
        receipt.receipt_for_staff(complaint_id=intake, user_id=users["petugas"]),
        register_book.register_word(user_id=users["subbag"], start=start, end=end),
        # Made by the Secretary, acknowledged by the Head: two signatures.
        recap.build_recap(
            user=auth.load_current_user(user_id=users["sekretaris"]),
            year=NOW.year,
            month=NOW.month,
            now=NOW,
        ).docx,
    ]
    # Named by what they are (the two receipts share the app's file name).
    written = []
    for name, document in zip(NAMES, documents, strict=True):
        path = out / f"{name}.docx"
        path.write_bytes(document.data)
        written.append(path)
    for name, document in zip(NAMES, documents, strict=True):
        if pdf is True or (pdf and name in pdf):
            # One at a time: LibreOffice's start-up is CPU-bound, side by side on two
            # cores each conversion took four times as long.
            path = out / f"{name}.pdf"
            path.write_bytes(document_files.as_pdf(document).data)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the documents into")
    parser.add_argument("--no-pdf", action="store_true", help="Word files only")
    parser.add_argument("--pdf", help="convert only these (comma-separated: " + ",".join(NAMES))
    args = parser.parse_args(argv)
    pdf: bool | set[str] = not args.no_pdf
    if args.pdf:
        pdf = set(args.pdf.split(","))
        if unknown := pdf - set(NAMES):
            parser.error(f"unknown document: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    _prepare_environment(args.out.resolve())
    from documents.pdf import pdf_unavailable_reason

    if not args.no_pdf and (reason := pdf_unavailable_reason()):
        print(reason, file=sys.stderr)
        return 1
    started = time.perf_counter()
    for path in render_samples(args.out, pdf=pdf):
        print(path)
    print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

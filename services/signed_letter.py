"""The signed reply letter as PDF, and its public verification (/verifikasi).

At signing (``services.reply_letter``'s ``sign`` hook, in the signing transaction) the
letter gets a verification code, printed with a QR code of
``PUBLIC_BASE_URL/verifikasi?kode=...`` in its signature block, and a ``SignedLetter``
row with what /verifikasi shows. The .docx is frozen then (``Document`` kind
reply_letter_signed); the PDF, which is what the office hands out, is converted from
exactly that .docx *after* commit, off the request path:

- in the app, this process's converter thread (``start_worker``) is woken by the
  commit and converts through the warm LibreOffice (``documents.converter``);
- where no thread runs here (scripts, tests, the external outbox worker's process),
  the commit converts at once in the committing thread, and ``convert_pending`` (run by
  every worker loop) catches up on anything a crash left unconverted.

The PDF is stored once (an update guarded by ``pdf_sha256 IS NULL``, so two converters
never replace each other's bytes) and never changes; its SHA-256 is what /verifikasi
shows and what an uploaded file is compared with. Until it exists, downloads and
deliveries say so (``NotReady``) instead of handing out the .docx.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import Complaint, Document, SignedLetter
from documents import converter
from layanan.errors import InvalidInput, NotFound, WorkflowError
from layanan.text import tanggal
from services import identity, ratelimit

log = logging.getLogger("layanan.signed_letter")

# No 0/O, 1/I/L: a code read off paper and typed in must not be ambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31**12 ~ 2**59: not guessable, and the lookups are throttled
RETRY_AFTER = timedelta(seconds=60)  # a failed or abandoned conversion is tried again
MAX_ATTEMPTS = 5
VERIFY_BUCKET = "verify-fail"
# ``session.info`` flag: the signings of this transaction are converted by the worker's
# next round, not by the commit (the demo seed signs hundreds of letters at once).
DEFER = "defer_signed_pdf"

# One answer for a code that is malformed and one that is unknown: nothing to enumerate.
UNKNOWN_CODE = (
    "Kode verifikasi tidak dikenal. Periksa kembali kode yang tercetak di bawah kode QR pada surat."
)
NOT_READY = (
    "Surat bertanda tangan sedang disiapkan sebagai PDF (biasanya beberapa detik setelah "
    "ditandatangani). Muat ulang halaman sebentar lagi."
)


class NotReady(WorkflowError):
    """The signed letter's PDF is not converted yet; the .docx is never handed out instead."""


class UnknownCode(NotFound):
    """The one answer for a malformed or unknown verification code."""


# --- codes ------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    """The code as printed: ``ABCD-EFGH-JKMN``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(raw: str | None) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one."""
    text = re.sub(r"[\s\-]", "", (raw or "")).upper()[:64]
    if len(text) != CODE_LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def verification_url(code: str) -> str:
    return f"{get_settings().public_base_url}/verifikasi?kode={code}"


# --- at signing -------------------------------------------------------------------------


def record(
    session: Session,
    complaint: Complaint,
    *,
    code: str,
    letter_number: str,
    signed_at: datetime,
    hal: str,
    signer: dict[str, str],
    docx: bytes,
) -> SignedLetter:
    """Write the verification record in the signing transaction; after its commit the
    PDF is converted (``_after_commit``)."""
    title = signer.get("jabatan", "").strip().rstrip(",")
    if signer.get("atas_nama"):
        title = f"{title}, a.n. {signer['atas_nama']}"
    row = SignedLetter(
        complaint_id=complaint.id,
        code=code,
        letter_number=letter_number,
        signed_at=signed_at,
        hal=hal[:300],
        signer_name=(signer.get("nama") or "")[:200],
        signer_title=title[:300],
        signer_nip=(signer.get("nip") or "")[:30],
        docx_sha256=hashlib.sha256(docx).hexdigest(),
        attempts=0,
    )
    session.add(row)
    if not session.info.get(DEFER):
        event.listen(session, "after_commit", _after_commit, once=True)
    return row


def _after_commit(_session: Session) -> None:
    if worker_running():
        _wake.set()
        return
    try:
        convert_pending()
    except Exception:  # the signing is committed; the worker loops catch up later
        log.exception("signed PDF: conversion after commit failed")


# --- conversion -------------------------------------------------------------------------


def _due(now: datetime):
    return (
        (SignedLetter.pdf_sha256.is_(None))
        & (SignedLetter.attempts < MAX_ATTEMPTS)
        & ((SignedLetter.attempted_at.is_(None)) | (SignedLetter.attempted_at < now - RETRY_AFTER))
    )


def _claim(now: datetime) -> tuple[int, bytes] | None:
    """The next letter to convert with its frozen .docx; marks the attempt, so another
    converter leaves it alone for ``RETRY_AFTER``."""
    with read_session() as session:
        if session.scalar(select(SignedLetter.id).where(_due(now)).limit(1)) is None:
            return None
    with write_session() as session:
        row = session.scalars(
            select(SignedLetter)
            .where(_due(now))
            .order_by(SignedLetter.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        row.attempts += 1
        row.attempted_at = now
        docx = session.scalar(
            select(Document.data)
            .where(
                Document.complaint_id == row.complaint_id,
                Document.kind == "reply_letter_signed",
                Document.sha256 == row.docx_sha256,
            )
            .limit(1)
        )
        if docx is None:
            row.last_error = "Berkas Word surat bertanda tangan tidak ditemukan."
            row.attempts = MAX_ATTEMPTS
            return None
        return row.id, docx


def _store(letter_id: int, data: bytes, now: datetime) -> None:
    with write_session() as session:
        session.execute(
            update(SignedLetter)
            .where(SignedLetter.id == letter_id, SignedLetter.pdf_sha256.is_(None))
            .values(
                pdf=data,
                pdf_sha256=hashlib.sha256(data).hexdigest(),
                pdf_ready_at=now,
                last_error=None,
            )
        )


def _failed(letter_id: int, message: str) -> None:
    with write_session() as session:
        session.execute(
            update(SignedLetter).where(SignedLetter.id == letter_id).values(last_error=message)
        )


def convert_pending(*, limit: int | None = None) -> int:
    """Convert the signed letters still without their PDF; how many were stored."""
    done = 0
    tried = 0
    while limit is None or tried < limit:
        tried += 1
        now = datetime.now(UTC)
        claimed = _claim(now)
        if claimed is None:
            break
        letter_id, docx = claimed
        try:
            data = converter.convert(docx)
        except WorkflowError as err:
            log.warning("signed PDF %s: %s", letter_id, err.message)
            _failed(letter_id, err.message)
            continue
        if not data.startswith(b"%PDF"):
            _failed(letter_id, "Konversi PDF gagal: hasilnya bukan berkas PDF.")
            continue
        _store(letter_id, data, datetime.now(UTC))
        done += 1
    return done


_wake = threading.Event()
_stop = threading.Event()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def worker_running() -> bool:
    return _worker is not None and _worker.is_alive()


def _loop() -> None:
    try:
        converter.warm_up()  # LibreOffice starts now, not at the first signing
    except Exception:
        log.exception("signed PDF: the warm converter did not start")
    while not _stop.is_set():
        try:
            convert_pending()
        except Exception:  # a database hiccup must not kill the converter
            log.exception("signed PDF: round failed")
        _wake.wait(get_settings().outbox_poll_seconds)
        _wake.clear()


def start_worker() -> bool:
    """Start this process's converter thread once (the app calls it on every run)."""
    global _worker
    with _worker_lock:
        if not worker_running():
            _stop.clear()
            _worker = threading.Thread(target=_loop, name="signed-pdf", daemon=True)
            _worker.start()
    return True


def stop_worker(timeout: float = 10) -> None:
    global _worker
    with _worker_lock:
        if _worker is not None:
            _stop.set()
            _wake.set()
            _worker.join(timeout)
            _worker = None


# --- reading ----------------------------------------------------------------------------


def latest(session: Session, complaint_id: int) -> SignedLetter | None:
    return session.scalars(
        select(SignedLetter)
        .where(SignedLetter.complaint_id == complaint_id)
        .order_by(SignedLetter.id.desc())
        .limit(1)
    ).first()


def pdf_of(session: Session, complaint_id: int) -> tuple[SignedLetter, bytes] | None:
    """The stored PDF of the complaint's signed letter, or None while it is not ready."""
    row = latest(session, complaint_id)
    if row is None or row.pdf_sha256 is None:
        return None
    return row, row.pdf


# --- /verifikasi ----------------------------------------------------------------------


def verify_policy() -> ratelimit.Policy:
    """Unknown codes per client: the tracking page's numbers (docs/portal.md), counted in
    their own bucket."""
    return dataclasses.replace(
        ratelimit.track_policy(),
        bucket=VERIFY_BUCKET,
        refusal="Terlalu banyak kode verifikasi yang tidak dikenal dari perangkat Anda.",
    )


@dataclass(frozen=True)
class Verified:
    """What anyone holding the code may read of the letter."""

    code: str  # as printed
    letter_number: str
    date: str  # "1 Desember 2026"
    hal: str
    signer_name: str
    signer_title: str
    signer_nip: str
    addressee: str | None  # None when the identity is not shown (rahasia, anonim)
    pdf_sha256: str | None  # None while the PDF is being prepared


def _lookup(code: str | None, client: str) -> tuple[SignedLetter, Complaint]:
    policy = verify_policy()
    ratelimit.check(policy=policy, client=client)
    normal = normalize_code(code)
    if normal is not None:
        with read_session() as session:
            row = session.scalars(select(SignedLetter).where(SignedLetter.code == normal)).first()
            if row is not None:
                complaint = session.get(Complaint, row.complaint_id)
                session.expunge_all()
                return row, complaint
    ratelimit.hit(policy=policy, client=client)
    raise UnknownCode(UNKNOWN_CODE)


def verify(*, code: str | None, client: str) -> Verified:
    """The letter of a verification code, or ``UnknownCode`` (one answer for every
    code that is not a letter's); unknown codes count against the client's budget."""
    row, complaint = _lookup(code, client)
    # The public has no role: services.identity decides what it gets (nothing of a
    # rahasia or anonim complaint's identity).
    shown = identity.disclosure(frozenset(), complaint)
    addressee = complaint.complainant_name if shown.name and complaint.complainant_name else None
    return Verified(
        code=show_code(row.code),
        letter_number=row.letter_number,
        date=tanggal(row.signed_at),
        hal=row.hal,
        signer_name=row.signer_name,
        signer_title=row.signer_title,
        signer_nip=row.signer_nip,
        addressee=addressee,
        pdf_sha256=row.pdf_sha256,
    )


@dataclass(frozen=True)
class FileCheck:
    original: bool
    sha256: str  # of the uploaded file
    text: str  # what the page says, in Indonesian


def check_file(*, code: str | None, data: bytes, client: str) -> FileCheck:
    """Whether ``data`` is byte for byte the signed PDF of ``code``."""
    row, _ = _lookup(code, client)
    limit_mb = get_settings().upload_max_mb
    if len(data) > limit_mb * 1024 * 1024:
        raise InvalidInput(f"Berkas terlalu besar (maksimal {limit_mb} MB).")
    digest = hashlib.sha256(data).hexdigest()
    if row.pdf_sha256 is None:
        raise NotReady(NOT_READY)
    if digest == row.pdf_sha256:
        return FileCheck(
            True,
            digest,
            f"Berkas ini asli: sama persis dengan surat nomor {row.letter_number} yang "
            "ditandatangani secara elektronik.",
        )
    return FileCheck(
        False,
        digest,
        "Berkas ini BUKAN surat asli: isinya berbeda dari surat yang ditandatangani "
        f"(nomor {row.letter_number}). Surat mungkin telah diubah setelah ditandatangani.",
    )

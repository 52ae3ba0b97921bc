"""The complaint register (Buku Pengaduan) of a period, in Word and Excel.

A month at a million complaints holds ~87,000 rows, so nothing here lists the period:
rows are read from the database in batches (``yield_per``: a server-side cursor on
PostgreSQL) and written as they come, to the Excel sheet in openpyxl's write-only mode
(``documents.spreadsheet``) or into the Word table (``documents.render.render_rows``).
A period of more than ``WORD_ROW_LIMIT`` rows is refused as Word, with the reason, and
offered as Excel (the limit and its measurement: docs/workspace.md, "Buku Pengaduan").
The name and subject of each row are what ``services.identity.disclosure`` gives the
viewer.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Complaint, ComplaintUnit, Unit
from db.queries import among
from documents.render import DOCX_MIME, RenderError, render_rows
from documents.spreadsheet import REGISTER_COLUMNS, XLSX_MIME, register_workbook
from layanan import sop
from layanan.calendar import day_bounds
from layanan.errors import InvalidInput
from layanan.text import tanggal
from services import authz, letter_settings
from services.authz import Actor
from services.document_files import (
    Download,
    complainant_name,
    shown_to,
    template_source,
)

# Rows per database round trip while streaming.
BATCH_ROWS = 1000
# Rows shown on the page (the files hold the whole period).
PREVIEW_ROWS = 200
# Above this, the register is offered as Excel only. Building the file is cheap (87,000
# rows in ~9 s); opening it is not: LibreOffice lays out a 1,000-row register (82
# landscape pages) in ~10 s of CPU and 290 MB, 2,000 rows in 55 s and 440 MB, 2,500 in
# minutes (docs/letters.md, "Word limit").
WORD_ROW_LIMIT = 1000
FIELDS = tuple(key for key, _, _ in REGISTER_COLUMNS)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RegisterBook:
    periode: str
    rows: list[dict]
    docx: Download
    xlsx: Download


@dataclass(frozen=True)
class RegisterPeriod:
    """What the page shows of a period before any file is built."""

    start: date
    end: date
    periode: str
    count: int
    preview: list[dict]  # the first PREVIEW_ROWS rows

    @property
    def word_refusal(self) -> str | None:
        """Why this period is not offered as Word (None when it is)."""
        return word_refusal(self.count)


def word_refusal(count: int) -> str | None:
    if count <= WORD_ROW_LIMIT:
        return None
    return (
        f"Periode ini berisi {_number(count)} pengaduan, lebih dari {_number(WORD_ROW_LIMIT)} "
        "baris: dokumen Word sebesar itu lambat dibuka dan dicetak. Unduh buku pengaduan "
        "dalam Excel, atau pilih periode yang lebih pendek untuk dokumen Word."
    )


def _number(value: int) -> str:
    """1.234 (Indonesian thousands separator)."""
    return f"{value:,}".replace(",", ".")


def _noop(_fraction: float, _text: str) -> None:
    return None


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("Tanggal akhir periode harus sama dengan atau setelah tanggal awal.")
    if (end - start).days > 366:
        raise InvalidInput("Periode buku pengaduan paling lama satu tahun.")


def _in_period(start: date, end: date, last_id: int | None = None):
    lo, hi = day_bounds(start, end)
    where = [Complaint.received_at >= lo, Complaint.received_at < hi]
    if last_id is not None:
        where.append(Complaint.id <= last_id)
    return where


def _snapshot(session: Session, start: date, end: date) -> tuple[int, int | None]:
    """(rows, highest id) of the period: the file lists exactly these rows, so its
    "Jumlah" stays true while new complaints arrive (ids only grow)."""
    count, last_id = session.execute(
        select(func.count(Complaint.id), func.max(Complaint.id)).where(*_in_period(start, end))
    ).one()
    return int(count), last_id


def iter_register_rows(
    session: Session,
    *,
    start: date,
    end: date,
    actor: Actor,
    last_id: int | None = None,
    limit: int | None = None,
) -> Iterator[dict]:
    """Complaints received in [start, end] (office dates) as register rows, oldest
    first, read ``BATCH_ROWS`` at a time (never the period as one list).

    Plain rows rather than ORM objects (building 87,000 ``Complaint`` instances cost
    more than writing the file); the units of each batch come in one query.
    """
    # Table columns, run on the session's connection: a Core query, so the rows skip
    # the ORM's loading layer (about half a second of a month's 87,000 rows at
    # 1,000,000 complaints).
    c = Complaint.__table__.c
    query = (
        select(
            c.id,
            c.ticket,
            c.received_at,
            c.agenda_number,
            c.letter_number,
            c.subject,
            c.current_step,
            c.confidential,
            c.anonymous,
            c.complainant_name,
            c.complainant_phone,
            c.complainant_email,
            c.complainant_address,
            c.channel,
            c.incoming_letter_number,
            c.incoming_letter_date,
            c.archive_code,
        )
        .where(*_in_period(start, end, last_id))
        .order_by(c.received_at, c.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    if limit is not None:
        query = query.limit(limit)
    statuses: dict[int | None, str] = {}
    # Kode klasifikasi: the archive code given at step 12, else the office's code for
    # complaint letters (letter settings).
    classification = letter_settings.load(session).klasifikasi
    number = 0
    for batch in session.connection().execute(query).partitions():
        units = _units_of(session, [complaint.id for complaint in batch])
        for complaint in batch:
            number += 1
            shown = shown_to(actor, complaint)
            notes = [complaint.ticket]
            if complaint.letter_number:
                notes.append(f"Surat jawaban {complaint.letter_number}")
            if complaint.confidential:
                notes.append("Rahasia")
            step = complaint.current_step
            if step not in statuses:
                statuses[step] = sop.step_short_label(step)
            yield {
                "no": number,
                "tanggal_terima": tanggal(complaint.received_at),
                "nomor_agenda": complaint.agenda_number or "-",
                "surat": incoming_letter_text(
                    complaint.incoming_letter_number, complaint.incoming_letter_date
                ),
                "saluran": sop.CHANNEL_LABELS[sop.Channel(complaint.channel)],
                "klasifikasi": complaint.archive_code or classification,
                "pengadu": complainant_name(complaint, masked=not shown.name),
                "isi_ringkas": shown.redact(complaint.subject),
                "diteruskan_ke": ", ".join(sorted(units.get(complaint.id, ()))) or "-",
                "status": statuses[step],
                "keterangan": "; ".join(notes),
            }


def incoming_letter_text(number: str | None, when: date | None) -> str:
    """ "12/KUD/XI/2026, 20 November 2026"; "-" for a complaint that came as no letter."""
    parts = [number or "", tanggal(when) if when else ""]
    return ", ".join(p for p in parts if p) or "-"


def _units_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """The names of the units each complaint is assigned to."""
    names: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(ComplaintUnit.complaint_id, Unit.name)
        .join(Unit, Unit.id == ComplaintUnit.unit_id)
        .where(among(session, ComplaintUnit.complaint_id, ids))
    )
    for complaint_id, name in rows:
        names[complaint_id].append(name)
    return names


def register_rows(session: Session, *, start: date, end: date, actor: Actor) -> list[dict]:
    """All the register rows of a period as a list (small periods and tests)."""
    return list(iter_register_rows(session, start=start, end=end, actor=actor))


def register_period(*, user_id: int, start: date, end: date) -> RegisterPeriod:
    """The period's row count and its first rows, for the page (no file is built)."""
    _check_period(start, end)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="print_register")
        count, last_id = _snapshot(session, start, end)
        preview = list(
            iter_register_rows(
                session, start=start, end=end, actor=actor, last_id=last_id, limit=PREVIEW_ROWS
            )
        )
    return RegisterPeriod(
        start=start, end=end, periode=_periode(start, end), count=count, preview=preview
    )


def _periode(start: date, end: date) -> str:
    return f"{tanggal(start)} s.d. {tanggal(end)}"


def _stem(start: date, end: date) -> str:
    return f"buku-pengaduan-{start.isoformat()}-sd-{end.isoformat()}"


def _counter(report: Progress, total: int, verb: str) -> Callable[[int], None]:
    def written(done: int) -> None:
        report(
            0.05 + 0.9 * min(done / max(total, 1), 1.0),
            f"{verb} {_number(done)} dari {_number(total)} baris…",
        )

    return written


def register_excel(
    *, user_id: int, start: date, end: date, progress: Progress | None = None
) -> Download:
    """The register of a period as .xlsx, streamed from the database to the sheet."""
    report = progress or _noop
    _check_period(start, end)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="print_register")
        report(0.02, "Menghitung pengaduan pada periode…")
        count, last_id = _snapshot(session, start, end)
        rows = iter_register_rows(session, start=start, end=end, actor=actor, last_id=last_id)
        data = register_workbook(
            title="BUKU PENGADUAN",
            periode=_periode(start, end),
            rows=rows,
            printed=f"{tanggal(datetime.now(UTC))} oleh {actor.name}",
            progress=_counter(report, count, "Menulis"),
        )
    report(1.0, "Berkas Excel siap diunduh.")
    return Download(f"{_stem(start, end)}.xlsx", data, XLSX_MIME)


def register_word(
    *, user_id: int, start: date, end: date, progress: Progress | None = None
) -> Download:
    """The register of a period as .docx (refused above ``WORD_ROW_LIMIT`` rows)."""
    report = progress or _noop
    _check_period(start, end)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="print_register")
        report(0.02, "Menghitung pengaduan pada periode…")
        count, last_id = _snapshot(session, start, end)
        refusal = word_refusal(count)
        if refusal is not None:
            raise InvalidInput(refusal)
        settings = letter_settings.load(session)
        context = {
            "kantor": settings.kantor(),
            "lambang": settings.lambang(),
            "periode": _periode(start, end),
            "jumlah": count,
            "dicetak_oleh": actor.name,
            "tanggal_cetak": tanggal(datetime.now(UTC)),
        }
        rows = iter_register_rows(session, start=start, end=end, actor=actor, last_id=last_id)
        try:
            data = render_rows(
                "buku_pengaduan",
                context,
                rows_key="baris",
                fields=FIELDS,
                rows=rows,
                template=template_source(session, "buku_pengaduan"),
                page=settings.page(),
                progress=_counter(report, count, "Menyusun"),
            )
        except RenderError as exc:
            raise InvalidInput(exc.message) from exc
    report(1.0, "Dokumen Word siap diunduh.")
    return Download(f"{_stem(start, end)}.docx", data, DOCX_MIME)


def register_book(*, user_id: int, start: date, end: date) -> RegisterBook:
    """Rows, Word and Excel of a period at once (small periods: tests, scripts)."""
    _check_period(start, end)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="print_register")
        rows = register_rows(session, start=start, end=end, actor=actor)
    return RegisterBook(
        periode=_periode(start, end),
        rows=rows,
        docx=register_word(user_id=user_id, start=start, end=end),
        xlsx=register_excel(user_id=user_id, start=start, end=end),
    )


__all__ = [
    "PREVIEW_ROWS",
    "WORD_ROW_LIMIT",
    "RegisterBook",
    "RegisterPeriod",
    "iter_register_rows",
    "register_book",
    "register_excel",
    "register_period",
    "register_rows",
    "register_word",
    "word_refusal",
]

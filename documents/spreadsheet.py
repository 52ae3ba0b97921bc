"""The complaint register (Buku Pengaduan) as an Excel workbook.

Written in openpyxl's write-only mode: each row goes to the file as it comes, so the
cost is linear in rows and memory does not grow with the period (the normal mode keeps
every cell in memory, and the old ``sheet[sheet.max_row]`` per row made it quadratic).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from documents.render import clean_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTER_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("no", "No", 6),
    ("tanggal_terima", "Tanggal terima", 18),
    ("nomor_agenda", "Nomor agenda", 20),
    ("surat", "Nomor dan tanggal surat", 26),
    ("saluran", "Saluran", 18),
    ("klasifikasi", "Kode klasifikasi", 14),
    ("pengadu", "Pengadu", 26),
    ("isi_ringkas", "Isi ringkas", 60),
    ("diteruskan_ke", "Diteruskan ke", 30),
    ("status", "Status", 24),
    ("keterangan", "Keterangan", 30),
)
HEADER_ROW = 4  # title, period, blank, then the column headers
_BODY = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)


def styled(
    sheet,
    value,
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    fill: PatternFill | None = None,
):
    """A write-only cell; a text stays text (openpyxl reads a leading "=" as a formula)."""
    if isinstance(value, str):
        value = clean_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if fill is not None:
        cell.fill = fill
    return cell


def register_workbook(
    *,
    title: str,
    periode: str,
    rows: Iterable[dict],
    printed: str,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The register rows (keys of ``REGISTER_COLUMNS``) as .xlsx bytes.

    ``rows`` may be a generator: it is read once, row by row. ``progress`` is called
    with the number of rows written so far, every 1,000 rows.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Buku Pengaduan")
    # Write-only sheets take widths, frozen panes and print titles before any row.
    for index, (_, _, width) in enumerate(REGISTER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.append([styled(sheet, title, font=_TITLE)])
    sheet.append([styled(sheet, f"Periode: {periode}")])
    sheet.append([])
    sheet.append([styled(sheet, label, font=_BOLD) for _, label, _ in REGISTER_COLUMNS])
    # One cell object per column, reused: its value and type change, its style stays
    # (a fresh styled cell per value costs more than the write itself).
    cells = [styled(sheet, None, alignment=_BODY) for _ in REGISTER_COLUMNS]
    count = 0
    for row in rows:
        for cell, (key, _, _) in zip(cells, REGISTER_COLUMNS, strict=True):
            value = row[key]
            if isinstance(value, str):
                cell.value = clean_text(value)
                cell.data_type = "s"
            else:
                cell.value = value
        sheet.append(cells)
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    sheet.append([])
    sheet.append([styled(sheet, f"Jumlah: {count} pengaduan. Dicetak {printed}.")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

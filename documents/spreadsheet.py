"""The complaint register (Buku Pengaduan) as an Excel workbook."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from documents.render import clean_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTER_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("no", "No", 6),
    ("tanggal_terima", "Tanggal terima", 18),
    ("nomor_agenda", "Nomor agenda", 20),
    ("pengadu", "Pengadu", 26),
    ("isi_ringkas", "Isi ringkas", 60),
    ("diteruskan_ke", "Diteruskan ke", 30),
    ("status", "Status", 24),
    ("keterangan", "Keterangan", 30),
)


def _cell_value(value):
    return clean_text(value) if isinstance(value, str) else value


def register_workbook(*, title: str, periode: str, rows: Sequence[dict], printed: str) -> bytes:
    """The register rows (keys of ``REGISTER_COLUMNS``) as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Buku Pengaduan"
    sheet.append([title])
    sheet.append([f"Periode: {periode}"])
    sheet.append([])
    sheet.append([label for _, label, _ in REGISTER_COLUMNS])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    for row in rows:
        sheet.append([_cell_value(row[key]) for key, _, _ in REGISTER_COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl reads a text starting with "=" as a formula: keep it text.
                cell.data_type = "s"
    sheet.append([])
    sheet.append([f"Jumlah: {len(rows)} pengaduan. Dicetak {printed}."])
    for index, (_, _, width) in enumerate(REGISTER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=5, max_row=4 + len(rows)):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A5"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""The monthly recapitulation: its Excel and Word files carry the expected numbers.

Uses the hand-built November 2026 data set of ``tests/test_stats.py``.
"""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from layanan import sop
from layanan.errors import NotAllowed
from services import recap
from tests.test_stats import NOW, data, manager  # noqa: F401  (fixture)


def build(staff, progress=None):
    return recap.build_recap(
        user=manager(staff.kepala), year=2026, month=11, now=NOW, progress=progress
    )


def test_recap_figures(staff, data):  # noqa: F811
    files = build(staff)
    r = files.recap
    assert r.periode == "November 2026"
    assert r.total == 5
    assert dict(r.per_channel)["Pos-el"] == 2
    assert dict(r.per_channel)["Surat"] == 0
    assert dict(r.per_category)["Lainnya"] == 3
    units = dict(r.per_unit)
    assert units[manager(staff.unit_kop).unit_name] == 2
    assert units["Belum ditetapkan"] == 3
    # Received in November, status now: A and B closed; C and E past their step's
    # due time; D still within it.
    assert dict(r.per_status) == {"Selesai": 2, "Dalam proses": 1, "Terlambat": 2}
    shares = {s.step: (s.count, s.on_time) for s in r.on_time}
    assert shares[5] == (1, 0) and shares[6] == (1, 0) and shares[3] == (4, 4)


def test_excel_contains_the_numbers(staff, data):  # noqa: F811
    files = build(staff)
    assert files.xlsx.filename == "rekapitulasi-pengaduan-2026-11.xlsx"
    ws = load_workbook(io.BytesIO(files.xlsx.data)).active
    rows = [tuple(c for c in row) for row in ws.iter_rows(values_only=True)]
    assert rows[1][0] == "Periode: November 2026"
    assert rows[2][0] == "Jumlah pengaduan diterima: 5"
    as_dict = {row[0]: row[1] for row in rows if row and row[0] is not None}
    assert as_dict["Pos-el"] == 2
    assert as_dict["Telepon"] == 1
    assert as_dict["Selesai"] == 2 and as_dict["Terlambat"] == 2
    steps = {row[0]: row[2:5] for row in rows if isinstance(row[0], int)}
    assert steps[5] == (1, 0, 0.0)
    assert steps[3] == (4, 4, 100.0)
    assert steps[9] == (2, 2, 100.0)


def test_word_contains_the_numbers(staff, data):  # noqa: F811
    files = build(staff)
    doc = Document(io.BytesIO(files.docx.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [
        tuple(cell.text.strip() for cell in row.cells) for table in doc.tables for row in table.rows
    ]
    everything = text + "\n" + "\n".join(" | ".join(c) for c in cells)
    assert "Periode: November 2026" in everything
    assert "Jumlah pengaduan: 5" in everything
    assert ("Pos-el", "2") in cells and ("Surat", "0") in cells
    assert ("Lainnya", "3") in cells
    assert ("Selesai", "2") in cells and ("Terlambat", "2") in cells
    assert ("Belum ditetapkan", "3") in cells
    steps = {c[0]: c[2] for c in cells if len(c) == 3 and c[0].isdigit()}
    assert steps["5"] == "0,0%" and steps["6"] == "0,0%"  # one done each, late
    assert steps["3"] == "100,0%" and steps["8"] == "100,0%"


def test_progress_is_reported_until_done(staff, data):  # noqa: F811
    seen = []
    build(staff, progress=lambda fraction, text: seen.append(fraction))
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_non_managers_get_no_recap(staff, data):  # noqa: F811
    with pytest.raises(NotAllowed):
        recap.build_recap(user=manager(staff.petugas), year=2026, month=11, now=NOW)


def test_each_step_is_named_by_the_sop_in_word_and_excel(staff, data):  # noqa: F811
    files = build(staff)
    assert [(s.step, s.name) for s in files.recap.on_time] == [
        (s.number, s.name) for s in sop.table().steps
    ]
    doc = Document(io.BytesIO(files.docx.data))
    kegiatan = {
        row.cells[0].text: row.cells[1].text
        for table in doc.tables
        for row in table.rows
        if len(row.cells) == 3 and row.cells[0].text.isdigit()
    }
    assert kegiatan == {str(s.number): s.name for s in sop.table().steps}
    ws = load_workbook(io.BytesIO(files.xlsx.data)).active
    names = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if isinstance(row[0], int)}
    assert names == {s.number: s.name for s in sop.table().steps}


def recap_text(files) -> list[str]:
    doc = Document(io.BytesIO(files.docx.data))
    return [p.text for p in doc.paragraphs] + [
        p.text for t in doc.tables for c in t._cells for p in c.paragraphs
    ]


def test_the_maker_signs_beside_the_head_who_falls_back_to_the_kepala_account(staff, data):  # noqa: F811
    """No Head in letter settings: the Kepala Dinas account's name, rank and NIP, never a
    blank name over "NIP. "; "Yang membuat" is the account that built the recap."""
    files = recap.build_recap(user=manager(staff.sekretaris), year=2026, month=11, now=NOW)
    texts = recap_text(files)
    kepala, maker = staff.kepala, staff.sekretaris
    assert "Mengetahui," in texts and "Kepala Dinas," in texts
    assert kepala.full_name in texts and kepala.rank in texts
    assert f"NIP. {kepala.nip}" in texts
    assert "NIP. " not in texts
    assert "Yang membuat," in texts and f"{maker.position}," in texts
    assert maker.full_name in texts and f"NIP. {maker.nip}" in texts

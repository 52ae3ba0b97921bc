"""Every template renders with a full context and with hostile text, and reopens.

The rendered file is read back with python-docx; each field's text must be present
exactly once, literally, at its place in the document.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from jinja2 import UndefinedError

from documents import render as render_module
from documents.contexts import KEYS, REQUIRED, recap_context, sample_context, terbilang
from documents.render import (
    Image,
    Paragraphs,
    RenderError,
    clean_text,
    render,
    template_file_bytes,
)
from layanan import sop
from services.document_files import qr_png

ROOT = Path(__file__).resolve().parents[1]
NO_PLACE_DATE = ("lembar_disposisi", "buku_pengaduan")
HOSTILE = "& < > \" ' {{ x }} {% if %} {_{ \U0001f600 \x00\x07\x0b\x0c\x1b\x7f"


def paragraphs(data: bytes) -> list:
    """Every paragraph of the document in reading order, table cells included."""
    doc = Document(io.BytesIO(data))
    found = []

    def walk(container) -> None:
        for block in container.iter_inner_content():
            if hasattr(block, "rows"):
                for row in block.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:  # merged cells repeat
                            seen.add(id(cell._tc))
                            walk(cell)
            else:
                found.append(block)

    walk(doc)
    for section in doc.sections:
        walk(section.header)
        walk(section.footer)
    return found


def text_of(data: bytes) -> str:
    return "\n".join(p.text for p in paragraphs(data))


def _marked(value, path: str, counter: list[int]):
    """The sample context with every text replaced by a unique, hostile marker."""
    if isinstance(value, dict):
        return {
            k: v if k == "kotak" else _marked(v, f"{path}.{k}", counter) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_marked(v, f"{path}[{i}]", counter) for i, v in enumerate(value)]
    if isinstance(value, Paragraphs):
        counter[0] += 1
        return Paragraphs(f"P{counter[0]}a {HOSTILE}\nline two\n\nP{counter[0]}b second para")
    if isinstance(value, str):
        counter[0] += 1
        return f"F{counter[0]}:{path} {HOSTILE}"
    return value


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [x for k, v in value.items() if k != "kotak" for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, str):
        return [value]
    return []


@pytest.mark.parametrize("key", sop.TEMPLATES)
def test_every_template_renders_the_full_sample_and_reopens(key):
    context = sample_context(key)
    if key == "surat_jawaban":
        context["draf"] = False  # signed: the electronic-signature block (tte) prints too
    data = render(key, context)
    text = text_of(data)
    for leaf in _leaves(context):
        if leaf:
            assert text.count(leaf) >= 1, (key, leaf)
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("key", sop.TEMPLATES)
def test_every_field_is_printed_once_and_literally_with_hostile_text(key):
    context = _marked(sample_context(key), key, [0])
    if key == "surat_jawaban":
        context["draf"] = False  # signed: the electronic-signature block (tte) prints too
    data = render(key, context)
    text = text_of(data)
    for leaf in _leaves(context):
        if key in NO_PLACE_DATE and ".kantor.kota" in leaf:
            assert clean_text(leaf) not in text  # a form and a register: no place-date line
            continue
        expected = clean_text(leaf)
        assert text.count(expected) == 1, (key, leaf, text.count(expected))
    # Control characters are gone, the rest came out literally.
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert "{{ x }} {% if %} {_{ \U0001f600" in text


def test_letter_fields_sit_where_tata_naskah_dinas_puts_them():
    context = sample_context("surat_jawaban")
    context["nomor_surat"] = "065/77/BKOP/2026"
    context["hal"] = "Jawaban <penting> & segera"
    data = render("surat_jawaban", context)
    paras = paragraphs(data)
    texts = [p.text for p in paras]
    date_line = next(p for p in paras if p.text == "Palu, 28 November 2026")
    assert date_line.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    doc = Document(io.BytesIO(data))
    rows = {
        row.cells[0].text: row.cells[2].text
        for table in doc.tables
        for row in table.rows
        if len(row.cells) == 3
    }
    assert rows["Nomor"] == "065/77/BKOP/2026"
    assert rows["Sifat"] == "Biasa"
    assert rows["Lampiran"] == "1 (satu) berkas"
    assert rows["Hal"] == "Jawaban <penting> & segera"
    yth = texts.index("Yth. Sdr. Siti Aminah")
    assert texts[yth + 1] == "Jalan Sisingamangaraja 5, Kelurahan Besusu Barat"
    assert texts[yth + 2 : yth + 4] == ["di", "Palu"]
    signer = texts.index("a.n. KEPALA DINAS KOPERASI DAN UKM PROVINSI SULAWESI TENGAH")
    assert texts[signer + 1] == "SEKRETARIS,"
    name = next(p for p in paras if p.text == "Nurhayati Lamadjido, S.H., M.H.")
    assert name.runs[0].bold and name.runs[0].underline
    assert "NIP. 19750214 200003 2 003" in texts
    assert texts.index("Tembusan:") > signer
    body = [t for t in texts if t and t != "- 2 -"]  # the page number is the header's
    assert body[-1:] == ["1. Kepala Dinas (sebagai laporan)"]
    # The kop surat heads the page, before the date.
    assert texts.index("PEMERINTAH PROVINSI SULAWESI TENGAH") < texts.index(date_line.text)


def test_draft_is_marked_and_the_final_letter_is_not():
    context = sample_context("surat_jawaban")
    draft = text_of(render("surat_jawaban", context))
    assert "DRAF \u2014 BELUM DITANDATANGANI" in draft
    assert "(DRAF \u2014 belum ditandatangani)" in draft
    final = text_of(render("surat_jawaban", {**context, "draf": False}))
    assert "DRAF" not in final


def test_body_keeps_its_paragraphs_and_line_breaks():
    body = "Paragraf satu baris 1\nbaris 2\n\n\nParagraf dua\r\n\r\nParagraf tiga\ttab"
    context = {**sample_context("surat_jawaban"), "isi_surat": Paragraphs(body)}
    paras = paragraphs(render("surat_jawaban", context))
    texts = [p.text for p in paras]
    first = texts.index("Paragraf satu baris 1\nbaris 2")
    assert texts[first + 1 : first + 3] == ["Paragraf dua", "Paragraf tiga\ttab"]
    # Each body paragraph keeps the template's style (justified, first-line indent).
    for p in paras[first : first + 3]:
        assert p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
        assert p.paragraph_format.first_line_indent is not None


def test_twenty_thousand_characters_come_out_whole():
    long_text = ("Kalimat panjang & <aman> " * 1000)[:20_000]
    context = {**sample_context("surat_jawaban"), "isi_surat": Paragraphs(long_text)}
    text = text_of(render("surat_jawaban", context))
    assert text.count(long_text.strip()) == 1


def test_an_undefined_name_is_an_error_not_an_empty_string():
    context = sample_context("surat_jawaban")
    del context["hal"]
    with pytest.raises(RenderError) as err:
        render("surat_jawaban", context)
    assert "hal" in err.value.message
    with pytest.raises(RenderError):
        render("surat_jawaban", {**sample_context("surat_jawaban"), "penerima": {}})
    assert issubclass(UndefinedError, Exception)


def test_each_render_uses_a_fresh_template(monkeypatch):
    created = []
    original = render_module.DocxTemplate

    def spy(source):
        created.append(source)
        return original(source)

    monkeypatch.setattr(render_module, "DocxTemplate", spy)
    first = text_of(render("tanda_terima", {**sample_context("tanda_terima"), "tiket": "T-1"}))
    second = text_of(render("tanda_terima", {**sample_context("tanda_terima"), "tiket": "T-2"}))
    assert len(created) == 2 and created[0] is not created[1]
    assert "T-1" in first and "T-2" not in first
    assert "T-2" in second and "T-1" not in second


def test_pictures_are_embedded():
    png = qr_png("http://localhost:8501/lacak?tiket=ADU-2026-000123")
    context = {**sample_context("tanda_terima"), "qr": Image(png, 30), "lambang": Image(png, 20)}
    doc = Document(io.BytesIO(render("tanda_terima", context)))
    images = [r for r in doc.part.rels.values() if r.reltype.endswith("/image")]
    assert len(images) >= 1
    assert len(doc.inline_shapes) == 2  # the emblem in the kop and the QR code
    assert png in [r.target_part.blob for r in images]


def test_receipt_without_pin_hides_the_pin_row():
    text = text_of(render("tanda_terima", {**sample_context("tanda_terima"), "pin": ""}))
    assert "PIN pelacakan" not in text
    text = text_of(render("tanda_terima", sample_context("tanda_terima")))
    assert "PIN pelacakan" in text and "123456" in text


def test_recap_context_formats_shares_for_the_dashboard():
    context = recap_context(
        kantor=sample_context("rekapitulasi")["kantor"],
        periode="Oktober 2026",
        jumlah_total=12,
        per_saluran=[("E-mail", 7), ("Surat", 5)],
        per_kategori=[("Lainnya", 12)],
        per_unit=[("Sekretariat", 12)],
        per_status=[("Selesai", 12)],
        ketepatan=[(2, "Menerima tamu", 0.5), (3, "Menyampaikan", 1.0), (4, "Menerima", None)],
        kepala={"nama": "Kepala", "pangkat": "IV/c", "nip": "19700707 199512 1 001"},
        tanggal_cetak="1 November 2026",
    )
    text = text_of(render("rekapitulasi", context))
    for expected in ("Oktober 2026", "E-mail", "50,0%", "100,0%", "Menerima tamu"):
        assert expected in text
    assert set(context) == set(KEYS["rekapitulasi"])


def test_keys_and_required_names_agree_with_the_templates():
    from documents.render import template_file_bytes, undeclared_variables

    for key in sop.TEMPLATES:
        used = undeclared_variables(template_file_bytes(key))
        assert used == set(KEYS[key]), key
        assert REQUIRED[key] <= used
        assert set(sample_context(key)) == set(KEYS[key])


def grid_problems(data: bytes) -> list[str]:
    """Where a table's cells disagree with its grid (``w:gridCol``), or its layout is
    left to the application: LibreOffice lays out from the grid, Word from the cells."""
    doc = Document(io.BytesIO(data))
    problems = []
    for index, tbl in enumerate(doc.element.body.iter(qn("w:tbl"))):
        grid = [int(c.get(qn("w:w"))) for c in tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol"))]
        tbl_pr = tbl.find(qn("w:tblPr"))
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is None or int(tbl_w.get(qn("w:w"))) != sum(grid):
            problems.append(f"table {index}: width is not the sum of its grid {grid}")
        layout = tbl_pr.find(qn("w:tblLayout"))
        if layout is None or layout.get(qn("w:type")) != "fixed":
            problems.append(f"table {index}: layout is not fixed")
        for tr in tbl.findall(qn("w:tr")):
            col = 0
            for tc in tr.findall(qn("w:tc")):
                span_el = tc.find(qn("w:tcPr") + "/" + qn("w:gridSpan"))
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                width = int(tc.find(qn("w:tcPr") + "/" + qn("w:tcW")).get(qn("w:w")))
                if width != sum(grid[col : col + span]):
                    problems.append(
                        f"table {index}: cell {width} over grid {grid[col : col + span]}"
                    )
                col += span
    return problems


def page_of(data: bytes) -> dict[str, int]:
    """Paper and margins of a .docx in twips."""
    sect = Document(io.BytesIO(data)).element.body.find(qn("w:sectPr"))
    size, margin = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
    values = {k: int(size.get(qn(f"w:{k}"))) for k in ("w", "h")}
    values.update({k: int(margin.get(qn(f"w:{k}"))) for k in ("top", "bottom", "left", "right")})
    return values


@pytest.mark.parametrize("key", sop.TEMPLATES)
def test_every_table_grid_equals_its_cell_widths(key):
    assert grid_problems(template_file_bytes(key)) == []
    assert grid_problems(render(key, sample_context(key))) == []


@pytest.mark.parametrize("key", sop.TEMPLATES)
def test_pages_are_numbered_from_page_two(key):
    doc = Document(io.BytesIO(render(key, sample_context(key))))
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    default = section.header._element.xml
    assert "PAGE" in "".join(section.header._element.itertext())
    assert default.count('w:fldCharType="begin"') == 1
    assert section.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" not in "".join(section.first_page_header._element.itertext())


def kop_rows(data: bytes) -> list:
    """The rows of the kop surat's table (the first table, holding the province)."""
    doc = Document(io.BytesIO(data))
    kop = doc.tables[0]
    assert "{{" not in kop._tbl.xml
    return kop.rows


def test_the_kop_is_centred_over_the_line_without_an_emblem():
    rows = kop_rows(render("surat_jawaban", {**sample_context("surat_jawaban"), "lambang": ""}))
    assert len(rows) == 1
    cells = rows[0]._tr.tc_lst
    assert len(cells) == 1 and cells[0].grid_span == 2  # one cell over the full width
    texts = [p.text for p in rows[0].cells[0].paragraphs]
    assert texts[0] == "PEMERINTAH PROVINSI SULAWESI TENGAH"
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in rows[0].cells[0].paragraphs)


def test_the_emblem_stands_left_of_the_kop_when_there_is_one():
    png = qr_png("lambang")
    rows = kop_rows(
        render("surat_jawaban", {**sample_context("surat_jawaban"), "lambang": Image(png, 22)})
    )
    assert len(rows) == 1
    emblem, text = rows[0].cells
    assert emblem._tc.xpath(".//pic:pic") and not text._tc.xpath(".//pic:pic")
    assert text.paragraphs[0].text == "PEMERINTAH PROVINSI SULAWESI TENGAH"


@pytest.mark.parametrize("key", ["buku_pengaduan", "rekapitulasi"])
def test_long_tables_repeat_their_header_keep_rows_whole_and_headings_with_them(key):
    context = sample_context(key)
    doc = Document(io.BytesIO(render(key, context)))
    body = list(doc.element.body.iterchildren())
    tables = [t for t in doc.tables if t.style is not None and t.style.name == "Table Grid"]
    assert tables
    for table in tables:
        header = table.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        assert all(p.paragraph_format.keep_with_next for c in header.cells for p in c.paragraphs)
        # The paragraph just before the table (its heading) keeps with it.
        before = body[body.index(table._tbl) - 1]
        assert before.tag == qn("w:p")
        assert before.pPr is not None and before.pPr.keepNext is not None, before.xpath("string()")


def test_the_sample_receipt_writes_the_time_as_the_real_one():
    """The admin's filled example ("Unduh contoh terisi") prints the time as the receipt
    does (``layanan.text.tanggal_jam``, EYD V: "pukul 09.15 WITA", not "09:15")."""
    from datetime import UTC, datetime

    from layanan.text import tanggal_jam

    real = tanggal_jam(datetime(2026, 11, 27, 1, 15, tzinfo=UTC))
    assert real == "27 November 2026 pukul 09.15 WITA"
    assert sample_context("tanda_terima")["tanggal_jam"] == real


def test_terbilang():
    assert [terbilang(n) for n in (1, 2, 11, 12, 20, 35)] == [
        "satu",
        "dua",
        "sebelas",
        "dua belas",
        "dua puluh",
        "tiga puluh lima",
    ]


def test_committed_templates_are_what_the_generator_builds(tmp_path):
    script = ROOT / "scripts" / "make_templates.py"
    code = (
        "import sys, runpy; sys.argv = ['x']; "
        f"mod = runpy.run_path({str(script)!r}); "
        "import pathlib; "
        f"out = pathlib.Path({str(tmp_path)!r}); "
        "[(out / f'{k}.docx').write_bytes(mod['build'](k)) for k in mod['BUILDERS']]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    for key in sop.TEMPLATES:
        built = (tmp_path / f"{key}.docx").read_bytes()
        assert built == (ROOT / "letter_templates" / f"{key}.docx").read_bytes(), key

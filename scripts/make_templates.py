"""Build the Word templates in ``letter_templates/`` (run after changing this script).

    python scripts/make_templates.py

The layout follows Tata Naskah Dinas (Permendagri 1/2023): F4 paper, Arial 12, a kop
surat with the province and the office, place and date on the right, Nomor / Sifat /
Lampiran / Hal, "Yth." with "di Tempat", the signature block "a.n. KEPALA DINAS ...,
SEKRETARIS," with name, rank and NIP, and Tembusan. The Jinja tags written here are the
context keys documented in ``documents/contexts.py`` and ``docs/letters.md``.
The generated files are committed; the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: documents/ is beside scripts/
    sys.path.insert(0, str(ROOT))

from documents.page import DEFAULT as PAGE  # noqa: E402  (needs ROOT on the path)

OUT = ROOT / "letter_templates"
FONT = "Arial"
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


def text_width(doc) -> float:
    """The width of the line in mm (the page less its margins)."""
    section = doc.sections[0]
    return round((section.page_width - section.left_margin - section.right_margin) / Mm(1), 1)


def new_document(*, landscape: bool = False):
    """A page of the default paper and margins (``documents.page``; the letter settings
    change them at render), numbered from page 2 in the header."""
    doc = Document()
    section = doc.sections[0]
    width, height = PAGE.size(landscape=landscape)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(width), Mm(height)
    top, bottom, left, right = PAGE.margins()
    section.top_margin = Mm(top)
    section.bottom_margin = Mm(bottom)
    section.left_margin = Mm(left)
    section.right_margin = Mm(right)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)
    page_numbers(section)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12 if not landscape else 10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    no_stretched_line_breaks(doc)
    props = doc.core_properties
    props.author = "Layanan Pengaduan"
    props.title = ""
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.last_modified_by = ""
    props.revision = 1
    return doc


def no_stretched_line_breaks(doc) -> None:
    """A line ended by a line break (Shift+Enter, a single newline in a typed text) is
    not stretched across a justified paragraph: Word's compat option
    ``doNotExpandShiftReturn``, which LibreOffice imports as "do not justify lines with
    manual breaks"."""
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        settings.append(compat)
    if compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))


def para(
    container,
    text: str = "",
    *,
    align=None,
    bold: bool = False,
    size: float | None = None,
    indent_mm: float | None = None,
    first_line_mm: float | None = None,
    underline: bool = False,
    color: RGBColor | None = None,
    space_before: float | None = None,
    space_after: float | None = None,
):
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        run.underline = underline
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    if indent_mm is not None:
        fmt.left_indent = Mm(indent_mm)
    if first_line_mm is not None:
        fmt.first_line_indent = Mm(first_line_mm)
    if space_before is not None:
        fmt.space_before = Pt(space_before)
    if space_after is not None:
        fmt.space_after = Pt(space_after)
    return p


def cell_text(cell, text: str, **kwargs):
    """Write into a table cell's first (empty) paragraph, then add more with para()."""
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.bold = kwargs.get("bold", False)
    if kwargs.get("size"):
        run.font.size = Pt(kwargs["size"])
    if kwargs.get("align") is not None:
        p.alignment = kwargs["align"]
    return p


def set_widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths, written where Word and LibreOffice each read them: the grid
    (``w:gridCol``, what LibreOffice lays out from), every cell (``w:tcW``, Word) and
    the table (``w:tblW``), with a fixed layout so neither re-flows the columns to the
    text. Merged cells get their spanned width again in ``fix_cell_widths``."""
    table.autofit = False
    tbl = table._tbl
    for col, width in zip(tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        col.w = Mm(width)
    tbl_pr = tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblW")) + tbl_pr.findall(qn("w:tblLayout")):
        tbl_pr.remove(old)
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:w"), str(sum(int(c.get(qn("w:w"))) for c in tbl.tblGrid.gridCol_lst)))
    tbl_w.set(qn("w:type"), "dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    # CT_TblPr's child order: tblStyle, ..., tblW, jc, ..., tblLayout, tblCellMar, tblLook.
    anchor = tbl_pr.find(qn("w:jc"))
    if anchor is None:
        anchor = tbl_pr.find(qn("w:tblLook"))
    if anchor is None:
        tbl_pr.append(tbl_w)
    else:
        anchor.addprevious(tbl_w)
    look = tbl_pr.find(qn("w:tblLook"))
    if look is None:
        tbl_pr.append(layout)
    else:
        look.addprevious(layout)
    fix_cell_widths(table)


def fix_cell_widths(table) -> None:
    """Every cell's ``w:tcW`` = the grid columns it spans (run again after merging)."""
    grid = [col.w for col in table._tbl.tblGrid.gridCol_lst]
    for tr in table._tbl.tr_lst:
        index = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.width = sum(grid[index : index + span])
            index += span


def row_property(row, name: str) -> None:
    """Set an on/off row property (``w:tblHeader``, ``w:cantSplit``)."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(name)) is None:
        element = OxmlElement(name)
        # CT_TrPr: cantSplit comes before tblHeader.
        if name == "w:cantSplit" and tr_pr.find(qn("w:tblHeader")) is not None:
            tr_pr.find(qn("w:tblHeader")).addprevious(element)
        else:
            tr_pr.append(element)


def keep_with_next(paragraphs) -> None:
    for p in paragraphs:
        p.paragraph_format.keep_with_next = True


def page_numbers(section) -> None:
    """ "- 2 -" centred at the top from page 2 on; the first page (with the kop) has none."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    p = section.header.paragraphs[0]
    p.alignment = CENTER
    p.add_run("- ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2")):
        run = p.add_run()
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    end = p.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)
    p.add_run(" -")


def bottom_rule(paragraph) -> None:
    """The thick-thin line under the kop surat."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), "24")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    ppr.append(borders)


EMBLEM_CELL_MM = 28


def kop_text(cell) -> None:
    cell_text(cell, "{{ kantor.provinsi }}", bold=True, size=14, align=CENTER)
    para(cell, "{{ kantor.nama }}", bold=True, size=14, align=CENTER)
    para(cell, "{{ kantor.alamat }}", size=11, align=CENTER)
    para(cell, "{{ kantor.kontak }}", size=10, align=CENTER)


def kop(doc) -> None:
    """The kop surat over the whole line: with an uploaded emblem, the emblem on the left
    and the text centred beside it; without one, the text centred over the full width
    (no empty emblem cell pushing it aside)."""
    table = doc.add_table(rows=5, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    width = text_width(doc)
    set_widths(table, [EMBLEM_CELL_MM, width - EMBLEM_CELL_MM])
    rows = table.rows
    cell_text(rows[0].cells[0], "{%tr if lambang %}")
    logo, text = rows[1].cells
    cell_text(logo, "{{ lambang }}", align=CENTER)
    logo.vertical_alignment = 1  # centre
    kop_text(text)
    cell_text(rows[2].cells[0], "{%tr else %}")
    kop_text(rows[3].cells[0].merge(rows[3].cells[1]))
    cell_text(rows[4].cells[0], "{%tr endif %}")
    fix_cell_widths(table)
    rule = para(doc, space_after=10)
    bottom_rule(rule)


def label_table(doc, rows: list[tuple[str, str]], label_mm: float = 30):
    """Label, colon and value columns (Nomor / Sifat / Lampiran / Hal), the value
    column filling the rest of the line."""
    table = doc.add_table(rows=len(rows), cols=3)
    set_widths(table, [label_mm, 4, text_width(doc) - label_mm - 4])
    for row, (label, value) in zip(table.rows, rows, strict=True):
        cell_text(row.cells[0], label)
        cell_text(row.cells[1], ":")
        cell_text(row.cells[2], value)
    return table


def loop_table(doc, headers: list[str], loop: str, cells: list[str], widths: list[float]):
    """A bordered table: a header row, repeated at the top of every page, then one row
    per item of ``loop``; no row is split across pages, and the header row keeps with
    the first item (``widths`` are shares of the line)."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    line = text_width(doc)
    total = sum(widths)
    set_widths(table, [round(line * w / total, 1) for w in widths])
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell_text(cell, header, bold=True, align=CENTER)
        keep_with_next(cell.paragraphs)
    row_property(table.rows[0], "w:cantSplit")
    row_property(table.rows[0], "w:tblHeader")
    cell_text(table.rows[1].cells[0], "{%tr for " + loop + " %}")
    for cell, value in zip(table.rows[2].cells, cells, strict=True):
        cell_text(cell, value)
    row_property(table.rows[2], "w:cantSplit")
    cell_text(table.rows[3].cells[0], "{%tr endfor %}")
    return table


def heading(doc, text: str, **kwargs):
    """A section heading that stays on the page of what follows it."""
    p = para(doc, text, **kwargs)
    p.paragraph_format.keep_with_next = True
    return p


def signature(doc, lines: list[tuple[str, dict]], indent_mm: float = 85) -> None:
    """The signature block, kept on one page (every line keeps with the next)."""
    written = [para(doc, text, indent_mm=indent_mm, **style) for text, style in lines]
    keep_with_next(written[:-1])


# --- the documents ---------------------------------------------------------------------


def surat_jawaban():
    doc = new_document()
    kop(doc)
    para(doc, "{%p if draf %}")
    para(
        doc,
        "DRAF \u2014 BELUM DITANDATANGANI",
        align=CENTER,
        bold=True,
        color=RGBColor(0xC0, 0x00, 0x00),
        space_after=6,
    )
    para(doc, "{%p endif %}")
    para(doc, "{{ kantor.kota }}, {{ tanggal_surat }}", align=RIGHT, space_after=6)
    label_table(
        doc,
        [
            ("Nomor", "{{ nomor_surat }}"),
            ("Sifat", "{{ sifat }}"),
            ("Lampiran", "{{ lampiran }}"),
            ("Hal", "{{ hal }}"),
        ],
    )
    para(doc, "Yth. {{ penerima.nama }}", space_before=12)
    para(doc, "{%p if penerima.alamat %}")  # no blank line for an empty address
    para(doc, "{{ penerima.alamat }}")
    para(doc, "{%p endif %}")
    para(doc, "di")
    para(doc, "{{ penerima.tempat }}", indent_mm=10, space_after=12)
    # The unit's draft: text paragraphs justified with a first-line indent; numbered
    # and bulleted lines as items with a hanging indent (marker, tab, text).
    para(doc, "{%p for b in isi_surat.blocks %}")
    para(doc, "{%p if b.butir %}")
    item = para(doc, "{{ b.penanda }}\t{{ b.teks }}", align=JUSTIFY, space_after=3)
    item.paragraph_format.left_indent = Mm(20)
    item.paragraph_format.first_line_indent = Mm(-7.5)
    item.paragraph_format.tab_stops.add_tab_stop(Mm(20))
    para(doc, "{%p else %}")
    para(doc, "{{ b.teks }}", align=JUSTIFY, first_line_mm=12.5, space_after=6)
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    signature(
        doc,
        [
            ("a.n. {{ penandatangan.atas_nama }}", {"space_before": 12}),
            ("{{ penandatangan.jabatan }},", {}),
            ("{%p if draf %}", {}),
            ("(DRAF \u2014 belum ditandatangani)", {"space_before": 18, "space_after": 18}),
            ("{%p else %}", {}),
            # The electronic-signature block (services.signed_letter): the QR code of
            # the /verifikasi address, the statement, the date and the code.
            ("{{ tte.qr }}", {"space_before": 6}),
            ("Ditandatangani secara elektronik", {"size": 9, "bold": True}),
            ("pada {{ tte.tanggal }}", {"size": 9}),
            ("Kode verifikasi: {{ tte.kode }}", {"size": 9}),
            ("Periksa keaslian di {{ tte.alamat }}", {"size": 9, "space_after": 6}),
            ("{%p endif %}", {}),
            ("{{ penandatangan.nama }}", {"bold": True, "underline": True}),
            ("{{ penandatangan.pangkat }}", {}),
            ("NIP. {{ penandatangan.nip }}", {}),
        ],
    )
    para(doc, "{%p if tembusan %}")
    para(doc, "Tembusan:", space_before=18, size=10)
    para(doc, "{%p for t in tembusan %}")
    para(doc, "{{ loop.index }}. {{ t }}", size=10)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    return doc


def lembar_disposisi():
    doc = new_document()
    kop(doc)
    para(doc, "LEMBAR DISPOSISI", align=CENTER, bold=True, size=14, space_after=8)
    table = doc.add_table(rows=5, cols=2)
    table.style = doc.styles["Table Grid"]
    half = text_width(doc) / 2
    set_widths(table, [half, half])
    cells = table.rows
    cell_text(cells[0].cells[0], "Surat dari: {{ surat_dari }}")
    para(cells[0].cells[0], "Nomor surat: {{ nomor_surat }}")
    para(cells[0].cells[0], "Tanggal surat: {{ tanggal_surat }}")
    cell_text(cells[0].cells[1], "Diterima tanggal: {{ diterima_tanggal }}")
    para(cells[0].cells[1], "Nomor agenda: {{ nomor_agenda }}")
    para(cells[0].cells[1], "Klasifikasi: {{ klasifikasi }}")
    para(cells[0].cells[1], "Sifat:")
    para(cells[0].cells[1], "{%p for s in sifat_pilihan %}")
    para(cells[0].cells[1], "{{ s.kotak }} {{ s.label }}")
    para(cells[0].cells[1], "{%p endfor %}")
    hal = cells[1].cells[0].merge(cells[1].cells[1])
    cell_text(hal, "Hal: {{ hal }}")
    cell_text(cells[2].cells[0], "Diteruskan kepada:", bold=True)
    para(cells[2].cells[0], "{%p for u in diteruskan_kepada %}")
    para(cells[2].cells[0], "{{ u.kotak }} {{ u.label }}")
    para(cells[2].cells[0], "{%p endfor %}")
    cell_text(cells[2].cells[1], "Dengan hormat harap:", bold=True)
    para(cells[2].cells[1], "{%p for i in instruksi %}")
    para(cells[2].cells[1], "{{ i.kotak }} {{ i.label }}")
    para(cells[2].cells[1], "{%p endfor %}")
    para(cells[2].cells[1], "Batas waktu: {{ batas_waktu }}")
    note = cells[3].cells[0].merge(cells[3].cells[1])
    cell_text(note, "Catatan:", bold=True)
    para(note, "{{ catatan }}")
    # The Head initials this box by hand on the printed sheet: a box, not a name.
    cell_text(cells[4].cells[0], "Paraf Kepala Dinas:")
    para(cells[4].cells[0], "", space_before=30)
    cell_text(cells[4].cells[1], "Tanggal: {{ paraf_tanggal }}")
    fix_cell_widths(table)  # the merged rows span both columns
    return doc


def tanda_terima():
    doc = new_document()
    kop(doc)
    para(doc, "TANDA TERIMA PENGADUAN", align=CENTER, bold=True, size=14, space_after=8)
    rows = [
        ("Nomor tiket", "{{ tiket }}"),
        ("{%tr if pin %}", None),
        ("PIN pelacakan", "{{ pin }}"),
        ("{%tr endif %}", None),
        ("Diterima", "{{ tanggal_jam }}"),
        ("Saluran", "{{ saluran }}"),
        ("Pengadu", "{{ pengadu }}"),
        ("Perihal", "{{ perihal }}"),
        ("Ringkasan", "{{ ringkasan }}"),
    ]
    table = doc.add_table(rows=len(rows), cols=3)
    set_widths(table, [35, 4, text_width(doc) - 39])
    for row, (label, value) in zip(table.rows, rows, strict=True):
        cell_text(row.cells[0], label)
        if value is not None:
            cell_text(row.cells[1], ":")
            cell_text(row.cells[2], value)
    para(doc, "{{ qr }}", align=CENTER, space_before=12)
    # The complainant's copy (with PIN) tells how to track; the staff copy (no PIN)
    # says what it is for.
    para(doc, "{%p if pin %}")
    para(
        doc,
        "Lacak pengaduan Anda dengan nomor tiket dan PIN di: {{ alamat_lacak }}",
        align=CENTER,
        size=10,
        space_after=6,
    )
    para(
        doc,
        "Simpan tanda terima ini. PIN hanya dicetak sekali dan tidak dapat dilihat kembali "
        "oleh petugas.",
        align=CENTER,
        size=9,
    )
    para(doc, "{%p else %}")
    para(
        doc,
        "SALINAN UNTUK PETUGAS: bukti penerimaan pengaduan untuk arsip dan pencatatan "
        "kantor. Salinan ini bukan tanda terima pengadu dan tidak memuat PIN; PIN hanya "
        "tercantum pada tanda terima yang diserahkan kepada pengadu.",
        align=CENTER,
        size=9,
        space_after=6,
    )
    para(doc, "Halaman pelacakan: {{ alamat_lacak }}", align=CENTER, size=9)
    para(doc, "{%p endif %}")
    signature(
        doc,
        [
            ("{{ kantor.kota }}, {{ tanggal_cetak }}", {"space_before": 18}),
            ("Petugas Pelayanan,", {}),
            ("", {"space_before": 36}),
            ("{{ petugas.nama }}", {"bold": True, "underline": True}),
            ("NIP. {{ petugas.nip }}", {}),
        ],
    )
    return doc


def buku_pengaduan():
    doc = new_document(landscape=True)
    kop(doc)
    heading(doc, "BUKU PENGADUAN", align=CENTER, bold=True, size=14)
    heading(doc, "Periode: {{ periode }}", align=CENTER, space_after=8)
    loop_table(
        doc,
        [
            "No",
            "Tanggal terima",
            "Nomor agenda",
            "Nomor dan tanggal surat",
            "Saluran",
            "Kode klasifikasi",
            "Pengadu",
            "Isi ringkas",
            "Diteruskan ke",
            "Status",
            "Keterangan",
        ],
        "b in baris",
        [
            "{{ b.no }}",
            "{{ b.tanggal_terima }}",
            "{{ b.nomor_agenda }}",
            "{{ b.surat }}",
            "{{ b.saluran }}",
            "{{ b.klasifikasi }}",
            "{{ b.pengadu }}",
            "{{ b.isi_ringkas }}",
            "{{ b.diteruskan_ke }}",
            "{{ b.status }}",
            "{{ b.keterangan }}",
        ],
        [10, 21, 23, 27, 22, 24, 26, 42, 28, 26, 27],
    )
    para(doc, "Jumlah: {{ jumlah }} pengaduan", space_before=8)
    para(doc, "Dicetak pada {{ tanggal_cetak }} oleh {{ dicetak_oleh }}", size=9)
    return doc


def rekapitulasi():
    doc = new_document()
    kop(doc)
    para(doc, "REKAPITULASI LAYANAN PENGADUAN", align=CENTER, bold=True, size=14)
    para(doc, "Periode: {{ periode }}", align=CENTER)
    para(doc, "Jumlah pengaduan: {{ jumlah_total }}", align=CENTER, space_after=8)
    for title, name in (
        ("Menurut saluran", "per_saluran"),
        ("Menurut kategori", "per_kategori"),
        ("Menurut unit", "per_unit"),
        ("Menurut status", "per_status"),
    ):
        heading(doc, title, bold=True, space_before=8, space_after=2)
        loop_table(
            doc,
            ["Uraian", "Jumlah"],
            f"r in {name}",
            ["{{ r.label }}", "{{ r.count }}"],
            [130, 35],
        )
    heading(doc, "Ketepatan waktu per langkah SOP", bold=True, space_before=8, space_after=2)
    loop_table(
        doc,
        ["Langkah", "Kegiatan", "Tepat waktu"],
        "k in ketepatan",
        ["{{ k.step }}", "{{ k.name }}", "{{ k.share }}"],
        [25, 110, 30],
    )
    # Two signatures side by side: the Head acknowledges ("Mengetahui") on the left,
    # the one who made the recap signs on the right under the place and date.
    date = para(doc, "{{ kantor.kota }}, {{ tanggal_cetak }}", indent_mm=95, space_before=18)
    date.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=2)
    line = text_width(doc)
    set_widths(table, [95, line - 95])
    row_property(table.rows[0], "w:cantSplit")
    for cell, (title, who) in zip(
        table.rows[0].cells,
        (
            ("Mengetahui,\nKepala Dinas,", "kepala"),
            ("Yang membuat,\n{{ pembuat.jabatan }},", "pembuat"),
        ),
        strict=True,
    ):
        first, second = title.split("\n")
        cell_text(cell, first)
        if who == "pembuat":  # an account without a jabatan prints no lone comma
            para(cell, "{%p if pembuat.jabatan %}")
            para(cell, second)
            para(cell, "{%p endif %}")
        else:
            para(cell, second)
        para(cell, "", space_before=36)
        para(cell, "{{ " + who + ".nama }}", bold=True, underline=True)
        para(cell, "{%p if " + who + ".pangkat %}")
        para(cell, "{{ " + who + ".pangkat }}")
        para(cell, "{%p endif %}")
        para(cell, "{%p if " + who + ".nip %}")
        para(cell, "NIP. {{ " + who + ".nip }}")
        para(cell, "{%p endif %}")
    return doc


BUILDERS = {
    "surat_jawaban": surat_jawaban,
    "lembar_disposisi": lembar_disposisi,
    "tanda_terima": tanda_terima,
    "buku_pengaduan": buku_pengaduan,
    "rekapitulasi": rekapitulasi,
}

# A fixed timestamp for every zip entry and for the document's core properties, so
# that running the script again gives the same bytes (and a clean git diff).
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def reproducible(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                import re

                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2026-01-01T00:00:00Z",
                    content,
                )
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content)
    return out.getvalue()


def build(key: str) -> bytes:
    doc = BUILDERS[key]()
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible(buffer.getvalue())


def main(argv: list[str]) -> int:
    OUT.mkdir(exist_ok=True)
    keys = argv or list(BUILDERS)
    for key in keys:
        path = OUT / f"{key}.docx"
        path.write_bytes(build(key))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))

"""The documents as LibreOffice prints them: text positions read back from the PDFs.

``scripts.render_samples`` builds the documents from sample data through the app's own
services and converts them as the PDF button does; pdfplumber gives each word's box.
Rendered once for the module (about 20 s: seeding and three conversions).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest

from documents.page import DEFAULT as PAGE

ROOT = Path(__file__).resolve().parents[1]
PT_PER_MM = 72 / 25.4
CONVERTED = ("surat-jawaban-ditandatangani", "buku-pengaduan", "rekapitulasi")
RECAP_HEADINGS = (
    "Menurut saluran",
    "Menurut kategori",
    "Menurut unit",
    "Menurut status",
    "Ketepatan waktu per langkah SOP",
)


def mm(points: float) -> float:
    return points / PT_PER_MM


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    subprocess.run(
        [sys.executable, "-m", "scripts.render_samples", str(out), "--pdf", ",".join(CONVERTED)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=240,
    )
    return out


def lines(page) -> list[list[dict]]:
    """The page's words grouped into lines (top to bottom, each left to right)."""
    words = sorted(page.extract_words(keep_blank_chars=False), key=lambda w: (w["top"], w["x0"]))
    grouped: list[list[dict]] = []
    for word in words:
        if grouped and abs(grouped[-1][0]["top"] - word["top"]) < 2:
            grouped[-1].append(word)
        else:
            grouped.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in grouped]


def text(line: list[dict]) -> str:
    return " ".join(w["text"] for w in line)


def test_the_nomor_block_keeps_label_colon_and_value_columns(samples):
    with pdfplumber.open(samples / "surat-jawaban-ditandatangani.pdf") as pdf:
        page_lines = lines(pdf.pages[0])
    left = PAGE.left
    rows = {
        line[0]["text"]: line
        for line in page_lines
        if line[0]["text"] in ("Nomor", "Sifat", "Lampiran", "Hal")
    }
    assert set(rows) == {"Nomor", "Sifat", "Lampiran", "Hal"}
    colons, values = [], []
    for label, line in rows.items():
        assert abs(mm(line[0]["x0"]) - left) < 3, (label, mm(line[0]["x0"]))
        colon, value = line[1], line[2]
        assert colon["text"] == ":", text(line)
        # Label column 30 mm, colon column 4 mm, then the value (generator's widths).
        assert mm(line[0]["x1"]) < left + 30
        assert left + 28 <= mm(colon["x0"]) < left + 34, (label, mm(colon["x0"]) - left)
        assert mm(value["x0"]) - left <= 45, (label, mm(value["x0"]) - left)
        colons.append(colon["x0"])
        values.append(value["x0"])
    assert max(colons) - min(colons) < 1 and max(values) - min(values) < 1
    # Hal fits its line: "Jawaban atas Pengaduan Nomor ADU-..." is not wrapped.
    assert "ADU-" in text(rows["Hal"])
    after_hal = page_lines[page_lines.index(rows["Hal"]) + 1]
    assert after_hal[0]["text"] == "Yth.", text(after_hal)


def test_the_kop_prints_the_province_on_one_centred_line(samples):
    with pdfplumber.open(samples / "surat-jawaban-ditandatangani.pdf") as pdf:
        page = pdf.pages[0]
        page_lines = lines(page)
        width = mm(page.width)
    province = next(line for line in page_lines if line[0]["text"] == "PEMERINTAH")
    assert text(province) == "PEMERINTAH PROVINSI SULAWESI TENGAH"
    # No emblem in the sample settings: centred over the line, not pushed aside.
    middle = mm(province[0]["x0"] + province[-1]["x1"]) / 2
    centre = PAGE.left + (width - PAGE.left - PAGE.right) / 2
    assert abs(middle - centre) < 3, (middle, centre)


def test_the_register_is_numbered_from_page_two_and_repeats_its_header(samples):
    with pdfplumber.open(samples / "buku-pengaduan.pdf") as pdf:
        pages = [lines(page) for page in pdf.pages]
        top_margin = PAGE.top * PT_PER_MM
        heads = [[line for line in page if line[0]["bottom"] < top_margin] for page in pages]
    assert len(pages) >= 3
    assert heads[0] == []  # the first page (with the kop) has no number
    for number, head in enumerate(heads[1:], start=2):
        assert [text(line) for line in head] == [f"- {number} -"], head
    numbers: list[int] = []
    for index, page in enumerate(pages, start=1):
        header = [i for i, line in enumerate(page) if text(line).startswith("No Tanggal")]
        assert header, f"no header row on page {index}"
        body = page[header[0] + 1 :]
        if body and text(body[0]).startswith("terima"):  # the header's second line
            body = body[1:]
        # A row split across pages would start the page with an empty "No" cell.
        first = body[0][0]
        assert first["text"].isdigit() and mm(first["x0"]) < PAGE.left + 10, text(body[0])
        numbers += [
            int(line[0]["text"])
            for line in body
            if line[0]["text"].isdigit() and mm(line[0]["x0"]) < PAGE.left + 10
        ]
    assert numbers == list(range(1, len(numbers) + 1))


def test_no_heading_is_left_alone_at_the_foot_of_a_page(samples):
    with pdfplumber.open(samples / "rekapitulasi.pdf") as pdf:
        pages = [lines(page) for page in pdf.pages]
    assert len(pages) >= 2  # the sample recap runs over a page break
    seen = set()
    for page in pages:
        texts = [text(line) for line in page]
        for heading in RECAP_HEADINGS:
            if heading in texts:
                seen.add(heading)
                after = texts[texts.index(heading) + 1 :]
                assert after and after[0].split()[0] in ("Uraian", "Langkah"), (heading, after)
    assert seen == set(RECAP_HEADINGS)

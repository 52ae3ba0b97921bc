"""Paper size and margins of the office's documents (letter settings), applied at render.

The templates in ``letter_templates/`` are built for the defaults (F4, the margins
below); the admin may choose A4 and other margins on "Templat Surat". ``apply`` writes
the chosen page into a rendered .docx: the section's ``w:pgSz`` and ``w:pgMar`` (a
landscape template stays landscape), and every table of the body scaled to the new text
width (its ``w:gridCol``, cell and table widths alike), so that a table built to fill the
line still fills it, and the grid Word and LibreOffice lay out from stays equal to the
cells. Defaults and where they come from: docs/letters.md, "Page".
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

# (width, height) in mm, portrait.
PAPERS: dict[str, tuple[float, float]] = {"F4": (215.0, 330.0), "A4": (210.0, 297.0)}
DEFAULT_PAPER = "F4"
# Top, bottom, left, right in mm (docs/letters.md, "Page", for the source and its limits).
DEFAULT_MARGINS = (20.0, 25.0, 25.0, 20.0)
MARGIN_RANGE = (10.0, 50.0)
TWIPS_PER_MM = 1440 / 25.4


def twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


@dataclass(frozen=True)
class PageSetup:
    paper: str = DEFAULT_PAPER
    top: float = DEFAULT_MARGINS[0]
    bottom: float = DEFAULT_MARGINS[1]
    left: float = DEFAULT_MARGINS[2]
    right: float = DEFAULT_MARGINS[3]

    def size(self, *, landscape: bool = False) -> tuple[float, float]:
        width, height = PAPERS[self.paper]
        return (height, width) if landscape else (width, height)

    def margins(self) -> tuple[float, float, float, float]:
        """(top, bottom, left, right): the same on a landscape page (the register)."""
        return (self.top, self.bottom, self.left, self.right)

    def text_width(self, *, landscape: bool = False) -> float:
        width, _ = self.size(landscape=landscape)
        return width - self.left - self.right


DEFAULT = PageSetup()

_SECT = re.compile(r"<w:sectPr\b.*?</w:sectPr>", re.S)
_PGSZ = re.compile(r"<w:pgSz\b[^>]*/>")
_PGMAR = re.compile(r"<w:pgMar\b[^>]*/>")
_ATTR = re.compile(r'\bw:(\w+)="([^"]*)"')
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag))


def _set_attr(tag: str, name: str, value: int) -> str:
    pattern = re.compile(rf'\bw:{name}="[^"]*"')
    if pattern.search(tag):
        return pattern.sub(f'w:{name}="{value}"', tag)
    return tag.replace("/>", f' w:{name}="{value}"/>')


def _scaled(xml: str, factor: float) -> str:
    """Every table's grid scaled by ``factor``; cell and table widths then set to the
    grid columns they span, so rounding never leaves a cell off its grid."""
    root = etree.fromstring(xml.encode("utf-8"))
    for tbl in root.iter(f"{_W}tbl"):
        grid_el = tbl.find(f"{_W}tblGrid")
        if grid_el is None:
            continue
        cols = grid_el.findall(f"{_W}gridCol")
        grid = [round(int(c.get(f"{_W}w", "0")) * factor) for c in cols]
        for col, width in zip(cols, grid, strict=True):
            col.set(f"{_W}w", str(width))
        tbl_w = tbl.find(f"{_W}tblPr/{_W}tblW")
        if tbl_w is not None and tbl_w.get(f"{_W}type") == "dxa":
            tbl_w.set(f"{_W}w", str(sum(grid)))
        for tr in tbl.findall(f"{_W}tr"):
            index = 0
            for tc in tr.findall(f"{_W}tc"):
                span_el = tc.find(f"{_W}tcPr/{_W}gridSpan")
                span = int(span_el.get(f"{_W}val", "1")) if span_el is not None else 1
                tc_w = tc.find(f"{_W}tcPr/{_W}tcW")
                if tc_w is not None and tc_w.get(f"{_W}type") == "dxa":
                    tc_w.set(f"{_W}w", str(sum(grid[index : index + span])))
                index += span
    head = xml[: xml.find("?>") + 2] if xml.startswith("<?xml") else ""
    body = etree.tostring(root, encoding="unicode")
    return f"{head}\n{body}" if head else body


def apply_to_xml(document: str, setup: PageSetup) -> str:
    """``word/document.xml`` with the page of ``setup`` (see the module's docstring)."""
    sections = list(_SECT.finditer(document))
    if not sections:
        return document
    section = sections[-1].group(0)
    size_tag = _PGSZ.search(section)
    margin_tag = _PGMAR.search(section)
    if size_tag is None or margin_tag is None:
        return document
    size = _attrs(size_tag.group(0))
    margin = _attrs(margin_tag.group(0))
    old_w, old_h = int(size.get("w", 0)), int(size.get("h", 0))
    landscape = old_w > old_h
    old_text = old_w - int(margin.get("left", 0)) - int(margin.get("right", 0))
    width, height = setup.size(landscape=landscape)
    top, bottom, left, right = setup.margins()
    new_size = _set_attr(_set_attr(size_tag.group(0), "w", twips(width)), "h", twips(height))
    new_margin = margin_tag.group(0)
    for name, value in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        new_margin = _set_attr(new_margin, name, twips(value))
    new_section = section.replace(size_tag.group(0), new_size).replace(
        margin_tag.group(0), new_margin
    )
    new_text = twips(width) - twips(left) - twips(right)
    document = document[: sections[-1].start()] + new_section + document[sections[-1].end() :]
    if old_text > 0 and new_text != old_text:
        document = _scaled(document, new_text / old_text)
    return document


def apply(docx: bytes, setup: PageSetup | None) -> bytes:
    """``docx`` laid out on ``setup``'s paper and margins (unchanged for None)."""
    if setup is None:
        return docx
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = apply_to_xml(data.decode("utf-8"), setup).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()

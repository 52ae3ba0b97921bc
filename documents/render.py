"""Render a Word template from ``letter_templates/`` with a context, safely.

Safety rules (the traps of docxtpl with user text):

- Jinja autoescape is on and every printed value passes ``_finalize``: control
  characters are dropped (they are invalid in XML, and docxtpl turns \\a and \\f into
  paragraph and page breaks), ``& < > " '`` are escaped, and ``{`` / ``}`` are written as
  character references so that a complainant's ``{{ x }}`` or ``{% if %}`` can never be
  read as template syntax by docxtpl's post-processing (it rewrites ``{_{`` to ``{{``).
- Undefined names are an error (``StrictUndefined``), never an empty string.
- A line break in user text stays a line break (docxtpl turns ``\\n`` inside a text run
  into ``<w:br/>``); ``Paragraphs`` keeps blank-line-separated paragraphs as paragraphs.
- A fresh ``DocxTemplate`` per render: the object keeps state after rendering, so only
  the template's bytes are cached.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from documents import page as page_setup
from layanan import sop

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "letter_templates"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Every C0/C1 control character except tab and line feed, plus the Unicode
# non-characters XML 1.0 forbids. \r is folded into \n before this runs.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


class RenderError(Exception):
    """A template could not be rendered; ``message`` is Indonesian, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_text(value: str) -> str:
    """User text without control characters; line ends normalised to ``\\n``."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _literal_braces(markup: str) -> Markup:
    return Markup(markup.replace("{", "&#123;").replace("}", "&#125;"))


# A numbered or bulleted item at the start of a line: "1.", "2)", "a.", "b)", "-", "•".
LIST_ITEM = re.compile(r"^[ \t]*(\d{1,3}[.)]|[a-zA-Z][.)]|[-\u2022*])[ \t]+(\S.*)$")


@dataclass(frozen=True)
class Block:
    """One paragraph of a letter body: text, or a list item with its marker."""

    teks: str
    penanda: str = ""  # "1.", "a.", "-": a list item, printed with a hanging indent

    @property
    def butir(self) -> bool:
        return bool(self.penanda)


class Paragraphs:
    """Multi-line text printed as paragraphs (blank line) and line breaks (single \\n).

    Put it alone in a paragraph of the template: docxtpl splits that paragraph at each
    ``\\a`` into paragraphs with the same style. ``blocks`` gives the same text with
    its numbered and bulleted lines as list items, for a template that prints them
    with a hanging indent (the reply letter).
    """

    def __init__(self, text: str | None) -> None:
        cleaned = clean_text(text or "").strip("\n")
        parts = [p.strip("\n") for p in re.split(r"\n[ \t]*\n+", cleaned)]
        self.paragraphs = [p for p in parts if p.strip()] or [""]
        self.blocks = [block for p in self.paragraphs for block in _blocks(p)]

    def __html__(self) -> str:
        return "\a".join(str(escape(p)) for p in self.paragraphs)

    def __str__(self) -> str:
        return "\n\n".join(self.paragraphs)


def _blocks(paragraph: str) -> list[Block]:
    """A paragraph's lines as blocks: a line with a list marker starts an item, the
    lines after it (until the next marker) continue that item; lines before the first
    item stay one text paragraph (kept with their line breaks)."""
    blocks: list[Block] = []
    lines: list[str] = []
    marker = ""

    def flush() -> None:
        if lines:
            blocks.append(Block("\n".join(lines), marker))

    for line in paragraph.split("\n"):
        item = LIST_ITEM.match(line)
        if item:
            flush()
            marker, lines = item.group(1), [item.group(2).rstrip()]
        else:
            lines.append(line.strip() if marker else line.rstrip())
    flush()
    return blocks or [Block("")]


@dataclass(frozen=True)
class Image:
    """A picture for the context (emblem, QR code); made an ``InlineImage`` per render."""

    data: bytes
    width_mm: float


def _finalize(value: Any) -> Markup:
    """Every ``{{ value }}`` ends up here: escaped, cleaned and with literal braces."""
    if value is None:
        return Markup("")
    if isinstance(value, Paragraphs):
        return _literal_braces(value.__html__())
    if isinstance(value, InlineImage):
        return Markup(value.__html__())
    if isinstance(value, bool):
        value = "Ya" if value else "Tidak"
    if hasattr(value, "__html__"):
        # Any other markup object is not trusted: print its text.
        value = str(value)
    return _literal_braces(str(escape(clean_text(str(value)))))


def _environment() -> Environment:
    return Environment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)


@lru_cache(maxsize=16)
def template_file_bytes(key: str) -> bytes:
    """The bytes of ``letter_templates/<key>.docx`` (cached: only bytes, never objects)."""
    if key not in sop.TEMPLATES:
        raise RenderError("Templat tidak dikenal; pilih templat dari daftar.")
    path = TEMPLATE_DIR / f"{key}.docx"
    if not path.exists():
        raise RenderError(
            f"Berkas templat bawaan {path.name} tidak ditemukan. Hubungi administrator."
        )
    return path.read_bytes()


def _resolve_images(tpl: DocxTemplate, value: Any) -> Any:
    if isinstance(value, Image):
        return InlineImage(tpl, io.BytesIO(value.data), width=Mm(value.width_mm))
    if isinstance(value, Mapping):
        return {k: _resolve_images(tpl, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve_images(tpl, v) for v in value]
    return value


def render(
    template_key: str,
    context: Mapping[str, Any],
    *,
    template: bytes | None = None,
    page: page_setup.PageSetup | None = None,
) -> bytes:
    """The .docx bytes of ``template_key`` rendered with ``context``.

    ``template`` replaces the file in ``letter_templates/`` (an admin-uploaded
    replacement, see ``services.letter_templates``); ``page`` is the paper and margins
    of the letter settings (``documents.page``; None keeps the template's).
    """
    source = template if template is not None else template_file_bytes(template_key)
    tpl = DocxTemplate(io.BytesIO(source))
    try:
        tpl.render(_resolve_images(tpl, dict(context)), _environment(), autoescape=True)
    except TemplateError as exc:
        raise RenderError(f"Templat {template_key} tidak dapat diisi: {exc}") from exc
    out = io.BytesIO()
    tpl.save(out)
    return page_setup.apply(out.getvalue(), page)


def undeclared_variables(template: bytes) -> set[str]:
    """Top-level names a template uses (raises RenderError when it is not a valid template)."""
    try:
        tpl = DocxTemplate(io.BytesIO(template))
        return set(tpl.get_undeclared_template_variables(_environment()))
    except TemplateError as exc:
        raise RenderError(f"Templat tidak valid: {exc}") from exc
    except Exception as exc:  # not a zip / not a Word document
        raise RenderError("Berkas bukan dokumen Word (.docx) yang valid.") from exc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- long tables, streamed -----------------------------------------------------------

_MARK = "LAYANANROWFIELD{}X"
_MARK_RE = re.compile(r"LAYANANROWFIELD(\d+)X")
_ROW_START = re.compile(r"<w:tr[ >]")


def _row_text(value: Any) -> str:
    """A table cell's value as WordprocessingML text (escaped; line breaks kept)."""
    if value is None:
        return ""
    # As lxml writes text (python-docx saves docxtpl's output through it): & < > only.
    text = html.escape(clean_text(str(value)), quote=False)
    return text.replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')


def _split_row(xml: str, fields: tuple[str, ...]) -> tuple[str, list, str] | None:
    """``xml`` cut around the one table row that holds the markers of ``fields``:
    (before, the row as [literal, field index, literal, ...], after), or None when the
    markers are not all inside one ``<w:tr>`` (a replacement template that lists the
    rows otherwise)."""
    marks = list(_MARK_RE.finditer(xml))
    if not marks:
        return None
    starts = list(_ROW_START.finditer(xml, 0, marks[0].start()))
    if not starts:
        return None
    start = starts[-1].start()
    end = xml.find("</w:tr>", marks[-1].end())
    if end < 0 or "</w:tr>" in xml[start : marks[-1].start()]:
        return None
    end += len("</w:tr>")
    pieces: list = []
    cursor = start
    for mark in marks:
        pieces.append(xml[cursor : mark.start()])
        pieces.append(int(mark.group(1)))
        cursor = mark.end()
    pieces.append(xml[cursor:end])
    if any(isinstance(p, int) and p >= len(fields) for p in pieces):
        return None
    return xml[:start], pieces, xml[end:]


def render_rows(
    template_key: str,
    context: Mapping[str, Any],
    *,
    rows_key: str,
    fields: tuple[str, ...],
    rows: Iterable[Mapping[str, Any]],
    template: bytes | None = None,
    page: page_setup.PageSetup | None = None,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """``render`` for a template whose ``rows_key`` table can be very long.

    docxtpl renders a list by building the whole document as one Jinja string and
    parsing it back with python-docx: a month at a million complaints (87,000 rows) took
    133 s and 2 GB. Here docxtpl renders the document once with a single row of markers;
    that row's XML is then repeated for each row of ``rows`` (an iterator, read once),
    escaped like ``_finalize`` does, straight into the zip. Memory is one row plus the
    compressed output. A replacement template that does not put the rows in one table
    row is rendered the ordinary way.
    """
    marker_row = {field: _MARK.format(i) for i, field in enumerate(fields)}
    skeleton = render(
        template_key, {**context, rows_key: [marker_row]}, template=template, page=page
    )
    source = zipfile.ZipFile(io.BytesIO(skeleton))
    document = source.read("word/document.xml").decode("utf-8")
    cut = _split_row(document, fields)
    if cut is None:
        listed = list(rows)
        return render(template_key, {**context, rows_key: listed}, template=template, page=page)
    before, pieces, after = cut
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(item.filename, "w") as stream:
                stream.write(before.encode("utf-8"))
                chunk: list[str] = []
                for count, row in enumerate(rows, start=1):
                    chunk.extend(
                        _row_text(row[fields[p]]) if isinstance(p, int) else p for p in pieces
                    )
                    if count % 500 == 0:
                        stream.write("".join(chunk).encode("utf-8"))
                        chunk.clear()
                        if progress is not None:
                            progress(count)
                stream.write("".join(chunk).encode("utf-8"))
                stream.write(after.encode("utf-8"))
    return out.getvalue()

"""User text is never interpreted: ``layanan.markup.md`` and the rule that pages use it.

Two halves. (1) The helper, over hostile payloads: the escaped source, rendered by a
CommonMark renderer, is the payload as typed (no image, link, HTML, emphasis, heading,
list, quote or code), and none of Streamlit's own text plugins (emoji and material-icon
shortcodes, colour directives, bare-URL autolinks, typographic arrows) can match it.
(2) An AST scan of ``app.py``, ``pages/`` and ``ui/``: every argument that Streamlit renders as
Markdown (bodies, labels, ``help=``, tab and radio labels, dialog titles, metric values)
is a constant, an ``md(...)`` call, or built only from those; a short allow-list names
the few variables that hold already-escaped Markdown, each with the reason.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from layanan.markup import WORD_JOINER, md

ROOT = Path(__file__).resolve().parents[1]

PAYLOADS = [
    "![p](http://x/y)",
    "[a](http://x)",
    "<img src=x>",
    "<script>alert(1)</script>",
    "**b**",
    "_i_ ~~s~~ __b__ x_y_ _z",
    "$x^2$",
    "$$\n\\int x\n$$",
    ":red[x]",
    ":blue-background[x] :small[y] :help[z]",
    ":material/home:",
    ":streamlit: :tada: :+1:",
    "# h",
    "h\n===",
    "1. x",
    "- x\n+ y",
    "> q",
    "`code`",
    "```\nfence\n```",
    "    indented code",
    "\\",
    "a \\*b\\* c",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "<http://x/auto>",
    "see http://x/y and www.example.com",
    "&lt;b&gt; &#91;x&#93;",
    "a -> b <- c -- d >= e",
    "![p](http://127.0.0.1:8729/phone)",
    "Catatan:ada x:abbr",
    "2) kedua",
    "***\n---\n___",
]

_RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# What Streamlit's plugins match in parsed text (escapes already removed), as they write
# it: remark-emoji and the logo (``:tada:``), material icons (after Streamlit rewrites
# ``:material/`` in the source), GFM autolink literals, typographic replacements.
_STREAMLIT_TEXT_PATTERNS = {
    "shortcode": re.compile(r":[\w+-]+:"),
    "autolink": re.compile(r"(?i)(https?://|\bwww\.)"),
    "arrow": re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
}


def rendered(source: str) -> str:
    return _RENDERER.render(source)


def visible_text(source: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, word joiners removed."""
    out = re.sub(r"<br\s*/?>\n?", "\n", rendered(source))
    out = re.sub(r"</?p>\n?", "", out)
    return html.unescape(out).replace(WORD_JOINER, "").replace("\u00a0", " ").strip()


def assert_literal(source: str) -> None:
    """``source`` renders as plain text: no element but paragraphs and line breaks, and
    nothing Streamlit's text plugins would turn into an icon, link or symbol."""
    out = rendered(source)
    tags = set(re.findall(r"<([a-z0-9]+)", out)) - {"p", "br"}
    assert not tags, (source, out)
    assert "$" not in source.replace("\\$", ""), source  # remark-math needs a bare $
    assert ":material/" not in source, source  # rewritten in the raw source
    assert not re.search(r"(?<!\\):[\w-]+\[", source), source  # directive
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    for name, pattern in _STREAMLIT_TEXT_PATTERNS.items():
        assert not pattern.search(text), (name, source, text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_renders_every_payload_as_the_literal_text(payload):
    source = md(payload)
    assert_literal(source)
    # Shown as typed: the same characters line by line (blank lines and the blanks at
    # either end of a line aside).
    typed = [line.strip() for line in payload.split("\n") if line.strip()]
    shown = [line.strip() for line in visible_text(source).split("\n") if line.strip()]
    assert shown == typed


def test_md_of_plain_indonesian_text_is_unchanged_but_for_line_breaks():
    text = "Bapak Rahmat, S.Sos. mengadu tentang dana bergulir (tahap 2) pada 10:30 WITA"
    assert visible_text(md(text)) == text
    assert md("a\nb") == "a  \nb"
    # Tickets, phone numbers, dates and addresses read the same in the source.
    for plain in (
        "ADU-2026-000123",
        "0812-3456-7890",
        "+62 812 3456",
        "Jl. Sudirman No. 5",
        "unit_kop",
        "budi.santoso@example.co.id",
    ):
        assert md(plain) == plain
    assert md(None) == "-"


def test_md_leaves_an_email_address_copyable():
    # No word joiner inside an address staff copy into their mail client.
    assert WORD_JOINER not in md("budi.santoso@example.co.id")


def test_the_checker_sees_what_unescaped_text_would_render():
    # The assertions above can fail: the same payloads unescaped are caught.
    for payload in ("![p](http://x/y)", ":red[x]", ":material/home:", ":tada:", "$x$", "# h"):
        with pytest.raises(AssertionError):
            assert_literal(payload)


# --- (2) the rule in pages/ and ui/ ------------------------------------------------------

FOLDERS = ("pages", "ui")


def rendering_modules() -> list[Path]:
    """Every module that renders: app.py, pages/ and ui/."""
    return [ROOT / "app.py", *(p for f in FOLDERS for p in sorted((ROOT / f).rglob("*.py")))]


ESCAPERS = {"md", "esc"}  # esc: ui.complaint_view's name for layanan.markup.md
# ui.complaint_view.snippet_markdown: esc() around every piece of a search snippet, then
# its own highlight directive around a match (tests/test_text_search.py checks it).
ESCAPERS |= {"snippet_markdown"}
# Calls whose result holds no user text: formatting of dates, durations, counts, and
# the SOP table's own labels.
SAFE_CALLS = {
    "tanggal",
    "tanggal_jam",
    "durasi",
    "angka",
    "len",
    "int",
    "step_label",
    "role_label",
    "format_decimal",
    "quote",
    "_percent",
    "_days",
    "_size",
    "time_left",
    "status_mark",
    "role_labels",
    "arrival_label",
    "page_caption",
    "days_left",
}
# Tables of the SOP and the code whose entries are constant text (``ROLE_LABELS[role]``).
SAFE_TABLES = {"sop.ROLE_LABELS", "ROLE_LABELS", "sop.CHANNEL_LABELS"}
# First argument (or ``body=``) is Markdown.
BODY_CALLS = {
    "markdown",
    "write",
    "caption",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "title",
    "header",
    "subheader",
    "badge",
}
# First argument (or ``label=``) is a Markdown label.
LABEL_CALLS = {
    "expander",
    "popover",
    "button",
    "download_button",
    "link_button",
    "form_submit_button",
    "checkbox",
    "toggle",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "time_input",
    "selectbox",
    "multiselect",
    "radio",
    "slider",
    "select_slider",
    "file_uploader",
    "segmented_control",
    "pills",
    "color_picker",
    "metric",
    "dialog",
}
# Calls whose options are shown as Markdown (through ``format_func`` when given).
OPTION_CALLS = {"radio", "segmented_control", "pills"}
KEYWORDS = {"body", "label", "help", "title"}
METRIC_KEYWORDS = {"value", "delta"}  # shown as Markdown by st.metric only
# Values the application makes, never text anyone typed: counters, generated ticket
# numbers and PINs, step numbers, page numbers, and labels of the SOP table and of the
# code's own forms and document kinds. Matched on the last name of an expression
# (``count.total``, ``detail.ticket``). A field holding typed text must not be added.
SAFE_NAMES = {
    "ticket",
    "pin",
    "step",
    "current_step",
    "number",
    "total",
    "count",
    "overdue",
    "overdue_total",
    "page",
    "pages",
    "draft_round",
    "year",
    "received",
    "closed",
    "open_now",
    "overdue_now",
    "steps_on_time",
    "steps_done",
    "ratings",
    "shown",
    "step_label",
    "to_label",
    "kind_label",
    "form_label",
    "action_label",
    "role_label",
    "channel_label",
    "upload_label",
    "label",
    "seq",
    "hidden_documents",
    "key",
    "sha256",
    "state",
    "rating_avg",
    "periode",
    "page_count",
}

# Variables that hold Markdown built from md() parts (or constants) a few lines above,
# keyed by file and expression: each names why it is safe. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {
    ("pages/admin.py", "counted[0]"): "not st.success: act()'s own parameter, a count",
    ("ui/action_form.py", "_diff_markdown(detail.draft_changes)"): (
        "Markdown built there with md() around every piece of draft text"
    ),
    ("ui/complaint_view.py", "empty"): "render_list(empty=...): constant text of each caller",
    ("ui/dashboard.py", "f'**{title}**'"): "the column titles of LIST_COLUMNS",
}


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return getattr(func, "id", "")


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def walk_unit(unit: ast.AST):
    """The nodes of a module or function, without the bodies of functions inside it
    (each function is a unit of its own, with its own names)."""
    todo = [unit]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, FUNCTIONS):
                todo.extend(child.args.defaults + child.decorator_list)
            else:
                todo.append(child)


class Scope:
    """What each plain name of a module is bound to: the values assigned to it
    (``x = ...``, ``x += ...``, ``x.append(...)``), or None when bound otherwise (a loop
    variable, a parameter, an unpacked tuple) and so of unknown origin. Names are
    pooled per module: a name is safe only if every value it is ever given is safe."""

    def __init__(self, unit: ast.AST, outer: Scope | None = None):
        self.outer = outer
        self.values: dict[str, list[ast.AST] | None] = {}
        for node in walk_unit(unit):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._bind(target, node.value)
            elif isinstance(node, ast.For | ast.comprehension):
                # A loop variable is as safe as what it iterates over
                # (``for day, name in enumerate(DAY_NAMES)``: constant text).
                self._bind(node.target, node.iter)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._bind(node.optional_vars, None)
            elif isinstance(node, ast.arg):
                self.values[node.arg] = None
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"append", "extend", "insert"}
                and isinstance(node.func.value, ast.Name)
            ):
                self._add(node.func.value.id, node.args[-1] if node.args else None)

    def _bind(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self._add(target.id, value)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:  # each part is as safe as the whole
                self._bind(elt, value)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value)

    def _add(self, name: str, value: ast.AST | None) -> None:
        known = self.values.setdefault(name, [])
        if value is None or known is None:
            self.values[name] = None
        else:
            known.append(value)

    def is_safe_name(self, name: str, seen: frozenset[str]) -> bool:
        if name not in self.values and self.outer is not None:
            return self.outer.is_safe_name(name, seen)  # a module-level name
        values = self.values.get(name)
        if not values or name in seen:
            return name in seen  # a cycle adds nothing unsafe; unbound or unknown is unsafe
        return all(is_safe(v, self, seen | {name}) for v in values)


def _constant(node: ast.AST) -> bool:
    """A module constant (``DAY_NAMES``, ``numbering.PLACEHOLDERS``, ``KEYS[key]``)."""
    if isinstance(node, ast.Subscript):
        return _constant(node.value)
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name.isupper()


ITERATORS = {"enumerate", "sorted", "list", "zip", "reversed"}
VIEWS = {"items", "values", "keys"}
STRING_METHODS = {"replace", "lower", "upper", "strip", "capitalize"}


def is_safe(node: ast.AST | None, scope: Scope | None = None, seen=frozenset()) -> bool:
    """An expression whose text is constant, escaped by md(), or built only from those."""

    def safe(sub: ast.AST | None) -> bool:
        return is_safe(sub, scope, seen)

    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name) and node.id.isupper():
        return True  # a module constant (DATE_HELP, HIDDEN)
    if isinstance(node, ast.Name | ast.Attribute):
        last = node.id if isinstance(node, ast.Name) else node.attr
        if last in SAFE_NAMES or last.isupper():
            return True
        if isinstance(node, ast.Attribute):
            # SCORES.get: a method of a module constant
            return isinstance(node.value, ast.Name) and node.value.id.isupper()
        return scope is not None and scope.is_safe_name(node.id, seen)
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and key.value in SAFE_NAMES:
            return True  # created["ticket"], row["count"]
        base = node.value
        if _constant(base) or ast.unparse(base) in SAFE_TABLES:
            return True  # SCORES[rating]: an entry of a module constant
        return safe(base)  # a slice of safe text
    if isinstance(node, ast.JoinedStr):
        return all(safe(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.BinOp):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(safe(v) for v in node.values)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(safe(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(safe(k) for k in node.keys) and all(safe(v) for v in node.values)
    if isinstance(node, ast.GeneratorExp | ast.ListComp):
        return safe(node.elt)
    if isinstance(node, ast.Call):
        name = _callee(node)
        if name in ESCAPERS or name in SAFE_CALLS:
            return True
        func = node.func
        if name == "join" and isinstance(func, ast.Attribute):
            return safe(func.value) and all(safe(a) for a in node.args)
        if name in ITERATORS and isinstance(func, ast.Name):
            return all(safe(a) for a in node.args)
        if name in VIEWS and isinstance(func, ast.Attribute):
            return safe(func.value)
        if name in STRING_METHODS and isinstance(func, ast.Attribute):
            return safe(func.value) and all(safe(a) for a in node.args)
        # ALLOWED_TYPES.values(): a method of a module constant
        return isinstance(func, ast.Attribute) and _constant(func.value)
    return False


def markdown_arguments(node: ast.Call) -> list[ast.AST]:
    """The arguments of a Streamlit call that its frontend renders as Markdown."""
    name = _callee(node)
    found: list[ast.AST] = []
    if name in BODY_CALLS:
        found += node.args if name == "write" else node.args[:1]
    elif name in LABEL_CALLS:
        found += node.args[:1]
        if name == "metric":
            found += node.args[1:3]
    elif name == "tabs":
        found += node.args[:1]
    elif name == "page_link":
        pass  # first argument is the page; the label is a keyword
    else:
        found += [kw.value for kw in node.keywords if kw.arg == "help"]
        return found
    if name == "page_link" or name in BODY_CALLS or name in LABEL_CALLS or name == "tabs":
        names = KEYWORDS | (METRIC_KEYWORDS if name == "metric" else set())
        found += [kw.value for kw in node.keywords if kw.arg in names]
    if name in OPTION_CALLS:
        fmt = next((kw.value for kw in node.keywords if kw.arg == "format_func"), None)
        if fmt is None:
            options = next((kw.value for kw in node.keywords if kw.arg == "options"), None)
            found.append(options if options is not None else (node.args[1:2] or [None])[0])
        elif isinstance(fmt, ast.Lambda):
            found.append(fmt.body)
        else:
            found.append(fmt)  # a named function: allow-list it after checking its body
    return found


def unescaped(source: str, path: str, allowed=ALLOWED) -> list[str]:
    """``path:line: expression`` of each Markdown argument that is not provably escaped."""
    out = []
    tree = ast.parse(source)
    module = Scope(tree)
    units = [(tree, module)] + [
        (f, Scope(f, outer=module)) for f in ast.walk(tree) if isinstance(f, FUNCTIONS)
    ]
    for unit, scope in units:
        for node in walk_unit(unit):
            if not isinstance(node, ast.Call):
                continue
            for arg in markdown_arguments(node):
                if is_safe(arg, scope):
                    continue
                code = ast.unparse(arg)
                if (path, code) in allowed:
                    continue
                out.append((arg.lineno, f"{path}:{arg.lineno}: {_callee(node)}({code})"))
    return [hit for _, hit in sorted(out)]


def test_the_scan_finds_the_shapes_it_is_meant_to_find():
    source = "\n".join(
        (
            "st.warning(err.message)",  # 1 a service message: may carry user input
            "st.markdown(f'**{user.full_name}**')",  # 2
            "st.caption(f'Unit: {md(user.unit_name)}')",  # safe
            "st.tabs([name for name in names])",  # 4
            "st.expander(f'{doc.filename}')",  # 5
            "st.radio('Pilih', options, format_func=lambda o: o.name)",  # 6
            "st.button('Simpan', help=template.name)",  # 7
            "st.metric(unit.name, value)",  # 8 (both)
            "st.success(f'Masuk pada {tanggal_jam(at)}')",  # safe
            "st.text(user.full_name)",  # st.text is plain: safe
        )
    )
    lines = [int(hit.split(":")[1]) for hit in unescaped(source, "x.py")]
    assert lines == sorted([1, 2, 4, 5, 6, 7, 8, 8])


def test_no_page_shows_user_text_through_markdown_unescaped():
    offenders = []
    for path in rendering_modules():
        offenders += unescaped(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_allow_list_has_no_stale_entries():
    # Every entry still excuses a call the scan would otherwise report.
    found = set()
    for path in rendering_modules():
        rel = str(path.relative_to(ROOT))
        for hit in unescaped(path.read_text(encoding="utf-8"), rel, allowed={}):
            found.add((rel, hit.split("(", 1)[1][:-1]))
    assert set(ALLOWED) <= found, set(ALLOWED) - found


def test_ui_escaper_is_the_one_helper():
    from ui import complaint_view

    assert complaint_view.esc is md

"""Everything a user sees is Indonesian (EYD V), one word per notion (docs/glossary.md).

An AST scan of the modules whose strings reach a user (``app.py``, ``pages/``, ``ui/``,
``services/``, and ``layanan/``'s SOP table, permissions, clocks, checks and formatting):
every string literal that is text (not a docstring, not an identifier, URL or pattern, not a
log line, a command-line help or a programmer's exception) is checked against a short
denylist of English words and of spellings EYD V replaced, the ones an issue found in the
UI, e-mail texts and refusals. A short allow-list names the few literals that are for
developers only, each with the reason. The denylist is also run on the SOP table's labels
as the app shows them, so a label built from parts is caught too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from layanan import sop

ROOT = Path(__file__).resolve().parents[1]

# A word, not a piece of an identifier, path or address ("layanan-login-note", "/login",
# "login.py", "x@email.com").
_B = r"(?<![\w/.@-])"
_E = r"(?![\w/@-])"
# Each entry: the pattern, and what the glossary says instead.
DENYLIST: dict[str, str] = {
    rf"(?i){_B}online{_E}": "daring",
    rf"(?i){_B}offline{_E}": "luring",
    rf"(?i){_B}drafts?{_E}": "draf",
    rf"(?i){_B}log-?(in|out){_E}": "masuk / keluar",
    rf"(?i){_B}cookies?{_E}": "(name what it does: sesi, izin peramban)",
    rf"(?i){_B}e-?mails?{_E}": "pos-el",
    rf"(?i){_B}dashboard{_E}": "dasbor",
    rf"(?i){_B}(up|down)loads?{_E}": "unggah / unduh",
    rf"(?i){_B}files?{_E}": "berkas",
    rf"(?i){_B}templates?{_E}": "templat",
    rf"(?i){_B}(password|username){_E}": "kata sandi / nama pengguna",
    r"(?i)\bsub\.? bagian\b": "Subbagian",
    r"(?i)\bdidisposisi\b": "didisposisikan",
    r"(?i)\bpemohon\b": "Pengadu",
    r"(?i)\bpelapor\b": "Pengadu",
    r" & ": "dan",
    # A folder of the code ("bawaan (letter_templates/)"): say what it is instead.
    r"\b[a-z]+_[a-z_]+/": "(what it is, not where the code keeps it)",
}
_DENIED = [(re.compile(p), instead) for p, instead in DENYLIST.items()]

# Modules whose strings reach a user. layanan/markup.py (escaping patterns) and
# layanan/calendar.py (programmer errors only) hold none.
LAYANAN = ("sop.py", "permissions.py", "clocks.py", "validate.py", "text.py", "errors.py")


def scanned_modules() -> list[Path]:
    modules = [ROOT / "app.py"]
    for folder in ("pages", "ui", "services", "documents"):
        modules += sorted((ROOT / folder).rglob("*.py"))
    modules += [ROOT / "layanan" / name for name in LAYANAN]
    return modules


# Text no user sees: an identifier, a key, a path, a MIME type, a pattern of few symbols
# (lower case: "Pemohon" or "E-mail" alone is a label).
_IDENTIFIER = re.compile(r"^[a-z0-9_./:%+\-]*$")
_HYPHENATED_WORD = re.compile(r"(?i)\be-mails?\b")
# Exceptions a programmer meets (a bad SOP table, a wrong call): never shown to a user,
# who only sees layanan.errors.WorkflowError messages.
DEVELOPER_ERRORS = {
    "ValueError",
    "KeyError",
    "TypeError",
    "RuntimeError",
    "AssertionError",
    "LookupError",
    "NotImplementedError",
    "InvalidTable",
}
# Calls whose string arguments are for programmers or operators: regular expressions, SQL,
# log lines and the command-line help of ``python -m services.outbox``.
DEVELOPER_CALLS = {
    "compile",
    "match",
    "fullmatch",
    "search",
    "sub",
    "split",
    "findall",
    "text",
    "ArgumentParser",
    "add_argument",
    "basicConfig",
}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}

# Functions whose strings go to a programmer, by file: each with the reason.
DEVELOPER_FUNCTIONS: dict[tuple[str, str], str] = {
    ("layanan/sop.py", "validate"): "the SOP table's own check, raised as InvalidTable",
}
# Literals for developers only, by file and the literal's start: each with the reason.
ALLOWED: dict[tuple[str, str], str] = {
    # English originals of zxcvbn's feedback, the keys of their Indonesian translations.
    ("services/passwords.py", ""): "zxcvbn's English messages, keys of the translation table",
    ("services/identity.py", "files the complainant gave"): "why= of a document class",
    ("services/identity.py", "the sheet names the sender"): "why= of a document class",
    ("services/identity.py", "the sent e-mail"): "why= of a document class",
    ("services/identity.py", "services.reply_letter: the draft"): "a RENDERED entry's reason",
}


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in LOG_METHODS):
        return False
    receiver = func.value
    name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
    return "log" in name.lower()


DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _skipped_nodes(tree: ast.Module, relative: str = "") -> set[int]:
    """ids of the nodes whose strings are for programmers: docstrings, programmer
    exceptions, log calls, patterns and SQL, ``__all__``, ``key=`` arguments."""
    skipped: set[int] = set()

    def skip(node: ast.AST) -> None:
        skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, DOCUMENTED) and ast.get_docstring(node, clean=False) is not None:
            skip(node.body[0])
        if isinstance(node, ast.FunctionDef) and (relative, node.name) in DEVELOPER_FUNCTIONS:
            skip(node)
        exc = node.exc if isinstance(node, ast.Raise) else None
        if isinstance(exc, ast.Call) and _callee(exc) in DEVELOPER_ERRORS:
            skip(exc)
        if isinstance(node, ast.Call):
            if _callee(node) in DEVELOPER_CALLS or _is_log_call(node):
                skip(node)
            for keyword in node.keywords:
                if keyword.arg == "key":
                    skip(keyword.value)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip(node)
        if isinstance(node, ast.Subscript):
            skip(node.slice)  # st.session_state["..."], row["..."]
    return skipped


def visible_literals(path: Path, relative: str = "") -> list[tuple[int, str, bool]]:
    """(line, text, is_repr) of every string a user may see in ``path``; ``is_repr``
    marks an f-string part formatted with ``!r`` (Python's quoting, never Indonesian)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _skipped_nodes(tree, relative)
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # "e-mail" alone is a word shown to a user, not an identifier (those say "email").
            if not _IDENTIFIER.match(node.value) or _HYPHENATED_WORD.search(node.value):
                found.append((node.lineno, node.value, False))
        elif isinstance(node, ast.FormattedValue) and node.conversion == ord("r"):
            found.append((node.lineno, ast.unparse(node.value), True))
    return found


def _allowed(relative: str, text: str) -> bool:
    return any(relative == f and text.startswith(start) for f, start in ALLOWED)


def problems_in(text: str) -> list[str]:
    return [f"{p.pattern!s} -> {instead}" for p, instead in _DENIED if p.search(text)]


def test_no_english_or_outdated_word_reaches_a_user():
    found = []
    for path in scanned_modules():
        relative = path.relative_to(ROOT).as_posix()
        for line, text, is_repr in visible_literals(path, relative):
            if _allowed(relative, text):
                continue
            if is_repr:
                found.append(f"{relative}:{line}: {{{text}!r}} shows Python's quoting")
            for problem in problems_in(text):
                found.append(f"{relative}:{line}: {text[:80]!r}: {problem}")
    assert not found, "\n".join(found)


def test_sop_labels_as_shown_use_the_glossary_words():
    shown = [
        *sop.ROLE_LABELS.values(),
        *sop.CHANNEL_LABELS.values(),
        *(sop.step_label(step.number) for step in sop.STEPS),
        *(step.output for step in sop.STEPS),
        *(action.label for action in sop.ACTIONS),
    ]
    assert [(s, problems_in(s)) for s in shown if problems_in(s)] == []
    assert sop.CHANNEL_LABELS[sop.Channel.ONLINE] == "Daring (portal)"
    assert sop.ROLE_LABELS[sop.Role.PEMOHON] == "Pengadu"


@pytest.mark.parametrize(
    "text",
    [
        "Online (portal)",
        "Kirim pengaduan online",
        "Draft surat jawaban",
        "Login berhasil, tetapi peramban menolak cookie sesi",
        "Keluar dari penyedia login",
        "Alamat e-mail pemohon",
        "E-mail: ",
        "Sub Bagian Umum",
        "untuk didisposisi oleh Kepala Dinas",
        "Nama Pelapor",
        "Antrean & keterlambatan",
        "bawaan (letter_templates/)",
    ],
)
def test_the_denylist_catches_the_words_the_issue_found(text):
    assert problems_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Daring (portal)",
        "Alamat pos-el pengadu",
        "Subbagian Umum",
        "untuk didisposisikan oleh Kepala Dinas",
        '<p id="layanan-login-note">',
        "budi@email.com",
        "/login",
        "Antrean dan keterlambatan",
        "Pengadu hadir",
    ],
)
def test_the_denylist_leaves_glossary_words_and_identifiers_alone(text):
    assert not problems_in(text)


def test_the_scan_sees_a_repr_and_skips_programmer_errors(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        '"""Docstring about the draft."""\n'
        "def f(key):\n"
        '    raise ValueError(f"unknown template {key!r}")\n'
        "def g(key):\n"
        '    raise InvalidInput(f"Templat {key!r} tidak dikenal.")\n'
        "def h(st):\n"
        '    st.button("Kirim e-mail", key="send email now")\n'
        'CHANNELS = ("e-mail", "email")\n',
        encoding="utf-8",
    )
    found = visible_literals(module)
    assert (5, "key", True) in found
    assert (7, "Kirim e-mail", False) in found
    assert (8, "e-mail", False) in found and (8, "email", False) not in found
    texts = [text for _line, text, _r in found]
    assert not any("draft" in t or "unknown" in t or "send email" in t for t in texts)


# --- the timeline names a hook's values by their label, never by their key -------------


def _keys_hooks_write() -> set[str]:
    """Every ``data["key"] = ...`` / ``ctx.data["key"] = ...`` in the modules that register
    a workflow hook: the values a hook adds to its step event beside the SOP fields."""
    keys = set()
    for path in sorted((ROOT / "services").glob("*.py")):
        if not re.search(r"@(workflow\.)?hook\(", path.read_text(encoding="utf-8")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and ast.unparse(target.value) in {"data", "ctx.data"}
                    and isinstance(target.slice, ast.Constant)
                ):
                    keys.add(target.slice.value)
    return keys


def test_every_value_a_hook_adds_to_an_event_has_an_indonesian_label():
    from services.complaint_detail import HOOK_LABELS, _payload_items

    keys = _keys_hooks_write()
    assert {"received_by", "phone", "message_id"} <= keys  # the scan sees the hooks
    payload = {key: "x" for key in keys}
    items = _payload_items(payload, units={}, filenames={}, redact=lambda text: text)
    labels = {item.label for item in items}
    # No label is a key made readable ("Received by", "Message id"): each is declared.
    column_names = {key.replace("_", " ").capitalize() for key in keys}
    assert labels & column_names == set()
    assert set(keys) <= set(sop.FIELDS) | set(HOOK_LABELS) | {"letter_number"}
    assert {"Nama penerima surat", "Nomor WhatsApp"} <= labels

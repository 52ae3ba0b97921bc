"""User text shown literally by Streamlit elements that interpret Markdown.

Streamlit renders ``st.markdown``, ``st.write``, ``st.caption``, the alerts, ``st.toast``,
headings, ``st.table`` cells, metric labels and values, ``help=`` tooltips, dialog titles,
and the labels of widgets, tabs, expanders, radio and pill options as its own Markdown
dialect (react-markdown with remark-gfm, remark-math, remark-directive and remark-emoji,
plus Streamlit's text plugins). Text typed by the public or by staff must never be
interpreted there: ``![p](http://host/x)`` in a phone number would make every staff
browser fetch ``http://host/x``. ``md`` is the one function that makes such text literal;
docs/architecture.md ("User text is never interpreted") says where it is applied.

What the dialect interprets, and how ``md`` neutralises it (a backslash escape is valid
before any ASCII punctuation in CommonMark; only characters that can open a construct
where they stand are escaped, so tickets, dates, phone numbers and addresses read the
same in the Markdown source as on screen):

- Anywhere in a line: emphasis and strikethrough (``*`` ``~``, and ``_`` unless between
  two letters or digits), code (`````),
  links and images (``[`` ``]``; ``!`` and ``(`` then open nothing), raw HTML and
  autolinks (``<``), quotes (``>``), tables (``|``), remark-math (``$``), entities
  (``&`` before a name or ``#``), and the backslash itself.
- At the start of a line: headings (``#``), list items (``-`` ``+`` and ``1.`` ``1)``),
  thematic breaks and setext underlines (``-`` ``=``); leading spaces and tabs become
  no-break spaces, which CommonMark does not count as indentation (no code block).
- remark-directive's ``:red[...]``, ``:small[...]``, ``:help[...]`` and bare ``:name``:
  a colon before a letter is escaped.
- ``:material/icon:``: Streamlit rewrites the raw source ``:material/`` before parsing;
  ``:material\\/`` no longer matches.
- Emoji and ``:streamlit:`` shortcodes and GFM's bare ``http://`` / ``www.`` autolinks
  are found in the *parsed* text, after escapes are gone, so a backslash cannot stop
  them: a word joiner (U+2060, invisible, zero width) after the opening colon, after
  ``http:``/``https:`` and after ``www`` breaks the pattern. E-mail addresses are left
  linkable (``mailto:``): the address is what staff need to copy, and it fetches nothing.
- Streamlit's typographic replacements (``->`` becomes an arrow): a word joiner between
  the two characters.
- Line breaks: a newline becomes a Markdown hard break, so text keeps its lines without
  a blank line ever starting a new block.
"""

from __future__ import annotations

import re

# "_" between two letters or digits opens no emphasis (CommonMark's flanking rule), so
# usernames and addresses such as unit_kop keep their underscore unescaped.
_ANYWHERE = re.compile(r"([\\`*\[\]<>~$|])|(?<![^\W_])_|_(?![^\W_])|&(?=[#A-Za-z])|:(?=[A-Za-z])")
# At a line's start: a heading ("# "), a list item ("- ", "+ "), a thematic break or a
# setext underline (a line of "-" or "=" only). "-5" or "+62 812" open nothing.
_LINE_START = re.compile(r"^(?:#{1,6}(?=[ \t]|$)|[+-](?=[ \t]|$)|[=-](?=[=\- \t]*$))", re.MULTILINE)
_ORDERED = re.compile(r"^(\d{1,9})([.)])", re.MULTILINE)  # "1." / "1)" list item
_MATERIAL = re.compile(r"(?i)(?<=material)/")
WORD_JOINER = "\u2060"
# Shortcodes (``:tada:``, ``:+1:``, ``:streamlit:``) as remark-emoji and Streamlit match them.
_SHORTCODE = re.compile(r":(?=[\w+-]+:)")
# GFM autolink literals: ``http://``, ``https://``, ``www.`` (case-insensitive, as GFM).
_URL_SCHEME = re.compile(r"(?i)\b(https?:)(?=//)")
_WWW = re.compile(r"(?i)\b(www)(?=\.)")
# Streamlit's typographic symbols: <-> -> <- -- >= <= ~=
_SYMBOL_PAIR = re.compile(r"(?<=[<>~-])(?=[>=-])")
_LEADING_BLANKS = re.compile(r"^[ \t]+", re.MULTILINE)


def _escape_char(match: re.Match) -> str:
    return "\\" + match.group()


def md(text: object) -> str:
    """``text`` as Markdown source that Streamlit renders as exactly that text.

    ``None`` shows as "-" (an empty field in a listing); anything else is ``str()``-ed.
    """
    if text is None:
        return "-"
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    # Word joiners first, on the raw text, where the patterns are still visible.
    value = _SHORTCODE.sub(":" + WORD_JOINER, value)
    value = _URL_SCHEME.sub(r"\1" + WORD_JOINER, value)
    value = _WWW.sub(r"\1" + WORD_JOINER, value)
    value = _SYMBOL_PAIR.sub(WORD_JOINER, value)
    value = _ANYWHERE.sub(_escape_char, value)
    value = _MATERIAL.sub(r"\/", value)
    value = _LEADING_BLANKS.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), value)
    value = _LINE_START.sub(lambda m: "\\" + m.group(), value)
    value = _ORDERED.sub(r"\1\\\2", value)
    return value.replace("\n", "  \n")

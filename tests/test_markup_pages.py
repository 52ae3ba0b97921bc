"""Pages fed Markdown/HTML payloads in every field that reaches a Markdown element.

Each AppTest run puts the payload into complainant fields (name, address, subject,
text), staff notes, an uploaded file's name, the WhatsApp number and e-mail address
typed at step 11, a staff member's full name and unit name; then every string the page
hands to Streamlit's Markdown renderer (bodies, labels, help texts, tab labels, metric
values) is rendered with markdown-it: the payload must come out as text, never as an
image, a link, HTML or formatting.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from db.engine import write_session
from db.models import User
from services import workflow
from services.seed import DEMO_PASSWORD, DEMO_PDF
from tests.apptest_helpers import ROOT, open_page
from tests.factories import bring_to, do, state

HOST = "x.test"
PAYLOAD = (
    f"![p](http://{HOST}/img) [a](http://{HOST}/a) <img src=http://{HOST}/h> "
    ":red[merah] $m^2$ **tebal** :material/home:"
)
_RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Proto fields that Streamlit's frontend renders as Markdown, and the elements whose
# text is plain (st.text, st.code) or whose "value" is a widget's value, not Markdown.
MARKDOWN_FIELDS = ("body", "label", "help", "title", "options")
METRIC_FIELDS = ("value", "delta")
PLAIN_ELEMENTS = {"text", "code", "json", "exception"}


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown string of the page: element bodies, labels, help, options."""
    found: list[str] = []

    def visit(node) -> None:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is not None and hasattr(proto, "ListFields") and kind not in PLAIN_ELEMENTS:
            names = MARKDOWN_FIELDS + (METRIC_FIELDS if kind == "metric" else ())
            for field, value in proto.ListFields():
                if field.name in names:
                    values = [value] if isinstance(value, str) else list(value)
                    found.extend(v for v in values if isinstance(v, str))
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    return found


def interpreted(source: str) -> list[str]:
    """What of the payload a Markdown renderer would turn into markup."""
    html = _RENDERER.render(source)
    problems = []
    if re.search(rf"<[^>]*{re.escape(HOST)}", html):
        problems.append("an image, link or HTML pointing at the payload host")
    if "<strong>tebal</strong>" in html:
        problems.append("bold text")
    if re.search(r"(?<!\\):red\[", source):
        problems.append("a colour directive")
    if "$m^2$" in source:
        problems.append("LaTeX")
    if ":material/home" in source:
        problems.append("a material icon")
    return problems


def assert_payload_shown_as_text(at: AppTest, *, expected: int = 1) -> None:
    assert not at.exception, [e.value for e in at.exception]
    # Found through escapes and word joiners, whichever the page used.
    carrying = [s for s in markdown_sources(at) if HOST in re.sub(r"[\\\u2060]", "", s)]
    assert len(carrying) >= expected, carrying  # the payload did reach Markdown elements
    bad = {s: interpreted(s) for s in carrying if interpreted(s)}
    assert not bad, bad


def test_the_complaint_page_at_step_eleven_shows_every_payload_as_text(staff):
    cid = bring_to(
        staff,
        8,
        complainant_name="Nama " + PAYLOAD,
        complainant_address="Alamat " + PAYLOAD,
        subject="Perihal " + PAYLOAD,
        body="Isi " + PAYLOAD,
    )
    hostile_file = workflow.NewDocument("supporting", PAYLOAD + ".pdf", "application/pdf", DEMO_PDF)
    do(
        staff.unit_kop,
        cid,
        "submit_draft",
        {"reply_body": "Jawaban " + PAYLOAD},
        documents=[hostile_file],
        note="Catatan " + PAYLOAD,
    )
    do(staff.kepala, cid, "approve", {"paraf": True})
    do(staff.sekretaris, cid, "sign")
    ticket = state(cid).ticket
    at = open_page("complaint", staff.petugas, tiket=ticket)
    # Name, address, subject, text, reply, note, file name: each reaches Markdown.
    assert_payload_shown_as_text(at, expected=6)

    base = f"deliver:{ticket}:{state(cid).version}"
    at.text_input(key=f"{base}:wa-phone").set_value(PAYLOAD).run()
    assert any("tidak valid" in w.value for w in at.warning)  # the refusal repeats it
    assert_payload_shown_as_text(at)

    email = next(t for t in at.text_input if t.label == "Alamat pos-el pengadu")
    email.set_value(PAYLOAD)
    at.button(key=f"FormSubmitter:{base}:email-Kirim pos-el dengan surat terlampir").click()
    at.run()
    # The refusal names the field and no longer repeats a long value (issue 10, item 4);
    # whatever it shows is still escaped.
    assert any("Alamat pos-el pengadu tidak valid" in e.value for e in at.error)
    assert_payload_shown_as_text(at)


def _sidebar(full_name: str, unit_name: str) -> None:
    from layanan.sop import Role
    from services.auth import CurrentUser
    from ui.sidebar import render_user

    render_user(CurrentUser(1, "petugas", full_name, frozenset({Role.PETUGAS}), 1, unit_name))


def test_the_sidebar_shows_an_admin_entered_full_name_and_unit_as_text():
    at = AppTest.from_function(_sidebar, args=("Staf " + PAYLOAD, "Unit " + PAYLOAD)).run()
    assert_payload_shown_as_text(at, expected=2)


def test_logging_in_greets_a_hostile_full_name_as_text(staff):
    with write_session() as session:
        session.get(User, staff.petugas.id).full_name = "Staf " + PAYLOAD
    at = AppTest.from_file(str(ROOT / "pages" / "login.py"), default_timeout=60).run()
    at.text_input[0].set_value("petugas")
    at.text_input[1].set_value(DEMO_PASSWORD)
    at.button[0].click().run()
    assert any("Berhasil masuk" in s.value for s in at.success)
    assert_payload_shown_as_text(at)


def test_the_queue_shows_a_hostile_unit_name_as_text(staff):
    from db.models import Unit

    with write_session() as session:
        unit = session.get(Unit, staff.unit_kop.unit_id)
        unit.name = "Bidang " + PAYLOAD
    assert_payload_shown_as_text(open_page("queue", staff.unit_kop))  # "Peran · unit"

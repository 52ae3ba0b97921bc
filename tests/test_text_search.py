"""Text search from an index (issue 14, item 2): pg_trgm on PostgreSQL, FTS5 on SQLite.

The same substring semantics as before (ticket, name, subject, body contain the text,
case-insensitive), now ranked (best match first), highlighted (a snippet with the
matches marked, escaped, redacted for the viewer) and paginated, with the identity
rule of issue 10 kept (a complaint whose identity the viewer may not see matches by
ticket only), and answered from the index, not by reading every complaint.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, inspect, text

from db import engine as db_engine
from db import queries
from db.engine import read_session
from db.models import Complaint
from layanan.errors import InvalidInput
from services import complaint_lists
from services.complaint_lists import ComplaintFilter
from tests.apptest_helpers import open_page, tickets
from tests.databases import statements_run
from tests.factories import new_complaint, state
from ui.complaint_view import page_caption

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
SEARCHED = ("ticket", "complainant_name", "subject", "body")
TRIGRAM_INDEXES = {f"ix_complaints_{c}_trgm" for c in SEARCHED}


def _search(user, query, **kw):
    return complaint_lists.search(user_id=user.id, filters=ComplaintFilter(text=query), **kw)


def _tickets(page) -> list[str]:
    return [item.ticket for item in page.items]


def _corpus(staff):
    """A few complaints, oldest first, each one (ticket, name, subject, body, flags)."""
    specs = [
        dict(complainant_name="Budi Santoso", subject="Koperasi tidak RAT", body="Rapat batal."),
        dict(subject="Bantuan UMKM", body="Bantuan modal usaha."),
        dict(subject="Jalan rusak", body="Dana bantuan UMKM belum cair sejak Maret."),
        dict(complainant_name="Rahmat Hidayat", confidential=True, body="Bantuan ditahan."),
        dict(complainant_name=None, anonymous=True, body="Pungutan liar bantuan UMKM."),
        dict(complainant_name="Dewi Lestari", subject="Pelatihan ekspor", body="Kuota 100%_ penuh"),
    ]
    made = []
    for n, spec in enumerate(specs):
        created = new_complaint(staff, now=NOW - timedelta(days=10 - n), **spec)
        made.append(state(created.complaint_id))
    return made


def _reference(complaints, query: str, *, identity_visible: bool) -> set[str]:
    """The old ILIKE semantics, computed in Python (with Unicode case folding)."""
    needle = query.strip().casefold()
    found = set()
    for c in complaints:
        hidden = c.anonymous or (c.confidential and not identity_visible)
        fields = [c.ticket] if hidden else [c.ticket, c.complainant_name, c.subject, c.body]
        if any(needle in (f or "").casefold() for f in fields):
            found.add(c.ticket)
    return found


def test_search_finds_what_the_substring_search_found_best_match_first(staff):
    made = _corpus(staff)
    for user, visible in ((staff.subbag, True), (staff.sekretaris, False)):
        for query in ("bantuan", "umkm", "BUDI", " tidak rat ", "100%_", "EKSPOR", made[2].ticket):
            page = _search(user, query)
            assert set(_tickets(page)) == _reference(made, query, identity_visible=visible), (
                user.username,
                query,
            )
    # Ranked: the subject "Bantuan UMKM" beats a body-only mention, although that one
    # is newer (newest first was the old order).
    ranked = _tickets(_search(staff.subbag, "bantuan umkm"))
    assert ranked == [made[1].ticket, made[2].ticket]


def test_a_name_or_subject_hit_ranks_above_a_body_hit(staff):
    body_hit = new_complaint(staff, now=NOW, subject="Lain", body="Surat dari Kartini").complaint_id
    older = NOW - timedelta(days=3)
    name_hit = new_complaint(staff, now=older, complainant_name="Kartini Wulandari").complaint_id
    subject_hit = new_complaint(staff, now=older, subject="Hari Kartini").complaint_id
    ranked = [item.id for item in _search(staff.subbag, "kartini").items]
    assert ranked == [name_hit, subject_hit, body_hit]
    # A ticket hit comes before a newer complaint whose text quotes that ticket.
    quoted = state(name_hit).ticket
    quoting = new_complaint(staff, now=NOW, body=f"Lanjutan dari {quoted}").complaint_id
    assert [item.id for item in _search(staff.subbag, quoted).items] == [name_hit, quoting]


def test_matches_are_marked_in_an_escaped_snippet(staff):
    body = (
        "x" * 200
        + " Tolong **cek** [dana](http://e.id) bantuan :red[UMKM] kami, BANTUAN. "
        + "y" * 200
    )
    ticket = state(new_complaint(staff, body=body).complaint_id).ticket
    item = _search(staff.subbag, "bantuan").items[0]
    assert item.ticket == ticket
    marked = [piece for piece, match in item.snippet if match]
    assert marked == ["bantuan", "BANTUAN"]  # every occurrence in the window, as written
    text_ = "".join(piece for piece, _ in item.snippet)
    assert text_.startswith("…") and text_.endswith("…") and len(text_) < 200
    at = open_page("search", staff.subbag)
    at.text_input(key="s_text").input("bantuan").run()
    assert tickets(at) == [ticket]
    source = "\n".join(m.value for m in at.markdown)
    assert ":orange-background[bantuan]" in source
    assert ":orange-background[BANTUAN]" in source
    # The user's own Markdown stays text: escaped, no link, no colour directive.
    assert "\\*\\*cek\\*\\*" in source and "\\[dana\\]" in source and "\\:red\\[UMKM\\]" in source


def test_text_search_pages_through_every_match_once(staff):
    made = [
        new_complaint(staff, now=NOW - timedelta(hours=n), body=f"Bantuan ke-{n}").complaint_id
        for n in range(5)
    ]
    new_complaint(staff, now=NOW, body="Tidak terkait")
    pages = [_search(staff.subbag, "bantuan", page=p, page_size=2) for p in (1, 2, 3)]
    assert [p.total for p in pages] == [5, 5, 5] and pages[0].pages == 3
    seen = [item.id for p in pages for item in p.items]
    assert sorted(seen) == sorted(made) and [len(p.items) for p in pages] == [2, 2, 1]
    assert all(item.snippet for p in pages for item in p.items)


def test_a_hidden_identity_matches_by_ticket_only_and_shows_no_snippet(staff):
    secret = state(
        new_complaint(
            staff, confidential=True, complainant_name="Rahmat Hidayat", body="Bantuan Rahmat"
        ).complaint_id
    )
    anonim = state(new_complaint(staff, anonymous=True, complainant_name=None).complaint_id)
    for user in (staff.sekretaris, staff.unit_kop, staff.kepala, staff.subbag):
        assert _tickets(_search(user, secret.ticket.lower())) == [secret.ticket]
        assert _tickets(_search(user, anonim.ticket)) == [anonim.ticket]
        assert _search(user, anonim.ticket).items[0].snippet == ()
    for user in (staff.sekretaris, staff.unit_kop):  # may not see a rahasia identity
        assert _tickets(_search(user, "Rahmat")) == []
        assert _tickets(_search(user, "bantuan")) == []
        assert _search(user, secret.ticket).items[0].snippet == ()
    # A role that sees the identity finds it by name, and its snippet shows it.
    item = _search(staff.subbag, "bantuan").items[0]
    assert item.ticket == secret.ticket and ("Bantuan", True) in item.snippet


def test_a_text_shorter_than_three_characters_says_so_instead_of_scanning(staff):
    new_complaint(staff, subject="Ab")
    for query in ("a", "ab", " ab "):
        page = _search(staff.subbag, query)
        assert page.items == () and page.total == 0
        assert page.notice and "3 karakter" in page.notice
    assert _search(staff.subbag, "abc").notice is None
    at = open_page("search", staff.subbag)
    at.text_input(key="s_text").input("ab").run()
    assert any("3 karakter" in i.value for i in at.info)


HOSTILE = st.one_of(
    st.sampled_from(
        [
            '"',
            '""',
            'a"b"c',
            "*",
            "bant*",
            "NEAR(bantuan umkm)",
            "bantuan AND umkm",
            "bantuan OR x",
            "NOT bantuan",
            "-bantuan",
            "^bantuan",
            "ticket: ADU",
            "{ticket subject}: bantuan",
            "subject:bantuan",
            "(bantuan",
            "bantuan)",
            "'; DROP TABLE complaints; --",
            "%_%",
            "\\",
            "\u200b\u200b\u200b",
            "ÉÉÉ",
            "🙂🙂🙂",
            "   ",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)


def test_hostile_search_text_never_errors_and_matches_literally(staff):
    bodies = [
        'Kata "bantuan" AND umkm: NEAR(bantuan umkm) {ticket subject}: bant*',
        "'; DROP TABLE complaints; -- 🙂🙂🙂 ÉÉÉ 100%_% \\ (bantuan) ^bantuan -bantuan",
    ]
    made = [state(new_complaint(staff, body=b).complaint_id) for b in bodies]

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(query=HOSTILE)
    def check(query):
        try:
            page = _search(staff.subbag, query)
        except InvalidInput as refusal:  # a control character: refused like a stored value
            assert "karakter yang tidak diizinkan" in refusal.message
            return
        needle = " ".join(query.split())
        if not needle:  # nothing to look for: the whole list, newest first
            assert page.total == len(made) and page.notice is None
            return
        if len(query.strip()) < queries.TEXT_MIN:
            assert page.total == 0 and page.notice is not None
            return
        assert set(_tickets(page)) == _reference(made, query, identity_visible=True), query
        for item in page.items:
            marked = [piece.casefold() for piece, match in item.snippet if match]
            assert marked and set(marked) == {needle.casefold()}, (query, item.snippet)

    check()


# --- the index answers, not a scan ------------------------------------------------------


BULK = 500


def _bulk_rows(count: int) -> list[dict]:
    words = ["koperasi", "pelatihan", "sertifikat", "modal", "pasar", "izin", "rapat"]
    rows = []
    for n in range(count):
        rows.append(
            {
                "ticket": f"ADU-2025-{n:06d}",
                "channel": "datang_langsung",
                "complainant_name": f"Pemohon {n}",
                "anonymous": False,
                "confidential": n % 7 == 0,
                "supervisory": False,
                "subject": f"{words[n % 7]} {words[(n * 3) % 7]} nomor {n}",
                "body": f"Isi aduan {n} tentang {words[(n * 5) % 7]} dan {words[n % 5]}.",
                "category": "Lainnya",
                "step_entered_at": NOW,
                "arrived_at": NOW,
                "received_at": NOW - timedelta(minutes=n),
                "draft_rounds": 0,
                "version": 1,
                "created_at": NOW,
            }
        )
    return rows


def _plans(db, query: str, *, identity_visible: bool) -> list[str]:
    """The query plan of each statement a search page and its count run."""
    engine = db_engine.get_engine(db)
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "complaints" in statement and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with read_session() as session:
            scope = dict(
                now=NOW, filters=ComplaintFilter(text=query), identity_visible=identity_visible
            )
            queries.search_page(session, **scope)
            queries.search_bound(session, **scope)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # On a table of a few hundred rows a sequential scan is rightly cheapest; off,
            # the planner still reads the text by an index if the query lets it (on main
            # it could not: no index serves ILIKE '%...%'). At 100,000 rows it picks the
            # index on its own (BENCHMARKS.md, the search figures).
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            # Likewise the bounded query (the newest matches, by id): walking the primary
            # key of a few hundred rows beats any index; at 1,000,000 rows the planner
            # takes the text index for a rare text and the walk only for a common one.
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        for statement, parameters in captured:
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            plans.append("\n".join(" ".join(str(v) for v in row) for row in rows))
    assert len(plans) == 2
    return plans


def test_the_search_reads_the_text_index_not_every_complaint(db, backend):
    engine = db_engine.get_engine(db)
    with engine.begin() as conn:
        conn.execute(insert(Complaint), _bulk_rows(BULK))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    # Selective texts, as a search is meant to be: a word in half the rows is rightly
    # read by a sequential scan (the planner decides on its statistics).
    for query, visible in (
        ("nomor 123", False),
        ("tidak ada kata ini", True),
        ("ADU-2025-0001", False),
    ):
        for plan in _plans(db, query, identity_visible=visible):
            if backend == "postgresql":
                assert "Bitmap Index Scan on ix_complaints_" in plan and "_trgm" in plan, plan
                assert "Seq Scan on complaints" not in plan, plan
            else:
                assert "complaints_fts VIRTUAL TABLE INDEX" in plan, plan
                assert "SCAN complaints" not in plan.replace("SCAN complaints_fts", ""), plan
    with read_session() as session:
        total = queries.search_bound(
            session, now=NOW, filters=ComplaintFilter(text="sertifikat"), identity_visible=True
        ).matches
    expected = [r for r in _bulk_rows(BULK) if "sertifikat" in r["subject"] + r["body"]]
    assert total == len(expected) > 0


def test_the_index_follows_inserts_updates_and_deletes(db, backend):
    engine = db_engine.get_engine(db)
    with engine.begin() as conn:
        if backend == "postgresql":  # PostgreSQL maintains the trigram indexes itself
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("complaints")}
            assert indexes >= TRIGRAM_INDEXES
        conn.execute(insert(Complaint), _bulk_rows(3))
        conn.execute(
            text("UPDATE complaints SET subject = 'Atap bocor' WHERE ticket = 'ADU-2025-000001'")
        )
        conn.execute(text("DELETE FROM complaints WHERE ticket = 'ADU-2025-000002'"))

    def found(query):
        with read_session() as session:
            rows = queries.search_page(
                session, now=NOW, filters=ComplaintFilter(text=query), identity_visible=True
            )
        return [r.ticket for r in rows]

    assert found("atap bocor") == ["ADU-2025-000001"]
    assert found("nomor 1") == []  # the old subject is gone from the index
    assert sorted(found("ADU-2025-00000")) == ["ADU-2025-000000", "ADU-2025-000001"]
    if backend == "sqlite":  # the FTS5 index agrees with its content table
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO complaints_fts(complaints_fts) VALUES ('integrity-check')")
            )


def test_a_common_text_stops_counting_at_the_cap_and_ranks_only_the_newest_matches(
    staff, monkeypatch
):
    monkeypatch.setattr(queries, "SEARCH_CAP", 3)

    def made(days, **spec):
        return new_complaint(staff, now=NOW - timedelta(days=days), **spec).complaint_id

    oldest_best = made(9, subject="Tenun ikat", body="Tenun ikat Donggala.")
    body_a = made(8, body="Pelatihan tenun pertama.")
    body_b = made(7, body="Pelatihan tenun kedua.")
    subject_hit = made(6, subject="Tenun", body="Pameran.")
    body_c = made(5, body="Kain tenun ketiga.")
    # The newest: a rahasia complaint matching by name only, for whoever may see it.
    secret = made(4, complainant_name="Tenun Rahasia", confidential=True, body="Lain.")
    made(3, body="Tidak terkait.")

    # The Secretary may not see a rahasia identity: the name match neither counts nor
    # takes a place among the three newest matches.
    pages = [_search(staff.sekretaris, "tenun", page=p, page_size=2) for p in (1, 2, 9)]
    assert all(p.capped and p.total == 3 and p.pages == 2 for p in pages)
    listed = [item.id for p in pages[:2] for item in p.items]
    # Ranked among the newest three: the subject hit first, then newest first; the older
    # (better ranked) subject hit is beyond the cap.
    assert listed == [subject_hit, body_c, body_b]
    assert [item.id for item in pages[2].items] == [body_b]  # clamped to the last page
    assert all(item.snippet for p in pages for item in p.items)
    caption = page_caption(pages[0])
    assert "lebih dari 3 pengaduan" in caption and "halaman 1 dari 2" in caption
    assert "persempit" in caption

    # Subbag sees the identity: the rahasia complaint matches (by name, ranked first).
    assert [i.id for i in _search(staff.subbag, "tenun", page_size=5).items] == [
        secret,
        subject_hit,
        body_c,
    ]
    # At or under the cap the count is exact and nothing is left out.
    monkeypatch.setattr(queries, "SEARCH_CAP", 6)
    page = _search(staff.sekretaris, "tenun", page_size=10)
    assert not page.capped and page.total == 5
    assert {i.id for i in page.items} == {oldest_best, body_a, body_b, subject_hit, body_c}
    assert "lebih dari" not in page_caption(page)
    # Without a text: newest first, counted up to the cap.
    monkeypatch.setattr(queries, "SEARCH_CAP", 4)
    everything = complaint_lists.search(user_id=staff.sekretaris.id, page_size=10)
    assert everything.capped and everything.total == 4 and len(everything.items) == 4


def test_the_newest_matches_of_a_common_text_come_from_the_text_index_in_its_order(
    db, backend, monkeypatch
):
    """A capped search reads the ids of its newest matches (``search_bound``). For a
    text alone on SQLite they come from the FTS5 index in rowid order, newest first, and
    the read stops at the cap: no sort of every match (a common word at 100,000
    complaints: 126 ms -> 11 ms). With another filter, or on PostgreSQL, the same ids."""
    monkeypatch.setattr(queries, "SEARCH_CAP", 20)
    engine = db_engine.get_engine(db)
    rows = _bulk_rows(BULK)
    for n, row in enumerate(rows):
        if n % 3 == 0:
            row["channel"] = "surat"
    with engine.begin() as conn:
        conn.execute(insert(Complaint), rows)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        ids = dict(conn.execute(text("SELECT ticket, id FROM complaints")).all())

    def newest_matches(*, channel=None, visible):
        found = [
            ids[r["ticket"]]
            for r in rows
            if "sertifikat" in r["subject"] + r["body"]
            and (visible or not r["confidential"])
            and channel in (None, r["channel"])
        ]
        return sorted(found, reverse=True)[: queries.SEARCH_CAP]

    for channel in (None, "surat"):
        for visible in (True, False):
            scope = dict(
                now=NOW,
                filters=ComplaintFilter(text="sertifikat", channel=channel),
                identity_visible=visible,
            )
            with read_session() as session:
                bound = queries.search_bound(session, **scope)
            expected = newest_matches(channel=channel, visible=visible)
            assert bound.capped and list(bound.ids) == expected, (channel, visible)
            assert bound.floor == expected[-1]

    if backend == "sqlite":
        with statements_run() as run, read_session() as session:
            queries.search_bound(session, now=NOW, filters=ComplaintFilter(text="sertifikat"))
        statements = [(s, p) for s, p in run if "complaints_fts" in s]
        ((statement, parameters),) = statements
        with engine.connect() as conn:
            plan = " / ".join(
                str(row[-1])
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        assert "complaints_fts VIRTUAL TABLE" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_whole_ticket_is_found_by_its_unique_index_with_every_ticket_containing_it(db, backend):
    """Every ticket shares the trigrams of "ADU-2026-": as a substring, a whole ticket
    walked the trigram index over all of them (54 ms at 1,000,000 complaints, 5 ms at
    1,000). A whole ticket is a prefix of the tickets containing it, which the unique
    index lists: itself, and a longer sequence of the same year (a seventh digit)."""
    engine = db_engine.get_engine(db)
    rows = _bulk_rows(BULK)
    rows[1]["ticket"] = "ADU-2026-123456"
    rows[2]["ticket"] = "ADU-2026-1234567"  # a year past ten million complaints
    rows[4]["ticket"] = "ADU-2026-012345"
    rows[5]["subject"] = "Lanjutan pengaduan ADU-2026-123456 yang belum dijawab"
    with engine.begin() as conn:
        conn.execute(insert(Complaint), rows)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()

    def found(query: str) -> set[str]:
        with read_session() as session:
            page = queries.search_page(
                session,
                now=NOW,
                filters=ComplaintFilter(text=query),
                identity_visible=True,
                limit=50,
            )
        return {row.ticket for row in page}

    expected = {"ADU-2026-123456", "ADU-2026-1234567", rows[5]["ticket"]}
    assert found("adu-2026-123456") == expected
    assert found(" ADU-2026-123456 ") == expected
    # A sequence with a leading zero is never the start of a longer one.
    assert found("ADU-2026-012345") == {"ADU-2026-012345"}
    for plan in _plans(db, "ADU-2026-123456", identity_visible=True):
        if backend == "postgresql":
            # An equality (which the unique index answers at 1,000,000 complaints:
            # 0.7 ms), not a substring test; on this small table the planner may read
            # the equality from the trigram index, which supports it too.
            assert "(ticket)::text ~~*" not in plan, plan
            assert "(ticket)::text = ANY" in plan, plan

"""Long id lists go to PostgreSQL as one array (issue 14).

The register reads the units of each 1,000-row batch, the notification check the
events of every open complaint (14,758 at 1,000,000 complaints) and the capped
search its 1,000 newest matches, each by a list of ids. As ``IN (...)`` every id was
a parameter that psycopg spliced into the statement: 17-30 ms per thousand, more than
the query itself (7 ms). ``db.queries.among`` sends ``= ANY(array)`` instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from db.engine import read_session
from db.models import StepEvent
from db.queries import among
from services import notifications, register_book
from tests.databases import statements_run
from tests.factories import new_complaint


def _statements(db: str, run) -> list[tuple[str, object]]:
    with statements_run(db) as seen:
        run()
    return seen


def _parameters(parameters) -> int:
    return len(parameters) if parameters else 0


def test_the_units_of_a_register_batch_and_the_open_complaints_are_one_parameter(
    staff, db, backend
):
    ids = [new_complaint(staff, subject=f"Pengaduan {n}").complaint_id for n in range(30)]
    now = datetime.now(UTC)

    def run():
        with read_session() as session:
            notifications.due_notifications(session, now=now)
            register_book._units_of(session, ids)

    seen = _statements(db, run)
    by_ids = [(s, p) for s, p in seen if "complaint_units" in s or "FROM step_events" in s]
    assert by_ids, seen
    for statement, parameters in by_ids:
        if backend == "postgresql":
            assert "= ANY (" in statement, statement
            assert _parameters(parameters) <= 3, (statement, parameters)
        else:
            assert _parameters(parameters) >= 30  # SQLite: the plain IN list
    # The same rows either way.
    with read_session() as session:

        def events(condition) -> set[tuple[int, int]]:
            query = select(StepEvent.complaint_id, StepEvent.id).where(condition)
            return set(session.execute(query).tuples())

        plain = events(StepEvent.complaint_id.in_(ids))
        assert plain and events(among(session, StepEvent.complaint_id, ids)) == plain

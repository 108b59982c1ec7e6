"""Rows sent to the API, through a file import's own checks and writing, answered as the API
answers: a problem naming each row at fault (422) or each stored value it would replace
without ``replace=true`` (409), and then nothing written."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, g

from qa_app.domain.files.tables import Table
from qa_app.web.database import get_session
from qa_app.web.problems import problem

SHOWN = 100  # problems listed at most; the count of all is said


def imported(kind: str, table: Table, replace: bool, field_of: Callable = lambda e: "body"):
    """The import's result, or the problem Response to answer with (the work rolled back).
    ``field_of`` names where a row error is (``body``, or ``line.N`` for NDJSON)."""
    from qa_app.store.imports.service import import_rows

    caller = g.api_caller
    db = get_session()
    result = import_rows(db, kind, table, actor=caller.user, replace=replace,
                         source=f"API {caller.via}",
                         rubric_id=current_app.config["RUBRIC_ID"])  # fmt: skip
    if result.report.errors:
        db.rollback()
        errors = result.report.errors
        return problem(422, "Some of what was sent needs fixing",
                       f"{len(errors)} problem(s); nothing was written.",
                       errors=[{"field": field_of(e), "message": e.message}
                               for e in errors[:SHOWN]])  # fmt: skip
    if result.refused_changes:
        db.rollback()
        return problem(409, "Stored values differ",
                       "Send replace=true to change them (the old values go in the audit "
                       "trail); nothing was written.",
                       changes=result.refused_changes[:SHOWN])  # fmt: skip
    return result


def is_answer(value) -> bool:
    """Whether :func:`imported` answered with a problem instead of a result."""
    return isinstance(value, Response)

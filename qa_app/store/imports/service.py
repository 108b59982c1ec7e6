"""Imports of calls, outcomes and reviews, shared by ``qa-app import`` and the web upload page.

All-or-nothing: if any row is invalid nothing is written, unless ``skip_invalid``
asks for the valid rows to be written and the others reported.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.db import transaction
from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, file_format, read_table
from qa_app.domain.imports.calls import validate_calls
from qa_app.domain.imports.customers import validate_customers, validate_events
from qa_app.domain.imports.outcomes import reject_unknown_calls, validate_outcomes
from qa_app.domain.imports.reviews import ReviewRecord, validate_reviews
from qa_app.models import RubricVersion, User
from qa_app.store import audit
from qa_app.store import calls as call_store
from qa_app.store import customers as customer_store
from qa_app.store import outcomes as outcome_store
from qa_app.store.imports.memory import cycle_collector_paused
from qa_app.store.imports.pieces import import_calls_in_pieces
from qa_app.store.imports.reviews import write_imported_reviews
from qa_app.store.rubrics import DEFAULT_RUBRIC_ID, current_rubric_row, rubric_from_row
from qa_app.store.users import create_imported_reviewer, email_problem, normalise_email

KINDS = ("calls", "outcomes", "reviews", "customers", "events", "survey")
# What one valid record of each kind is: a call is one row, an outcome value one cell of a
# row, a review the rows of one call, reviewer and rubric. Counts of records use these words.
RECORD_NOUNS = {
    "calls": "call",
    "outcomes": "outcome value",
    "reviews": "review",
    "customers": "customer",
    "events": "event",
    "survey": "survey answer",
}
Progress = Callable[[int], None]


def count(number: int, noun: str) -> str:
    """``1 row``, ``2 rows``: a number with its noun, plural when it is not one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass
class ImportResult:
    kind: str
    table: Table
    report: ImportReport
    written: call_store.WriteResult | None = None
    dry_run: bool = False
    existing_calls: int = 0  # calls: how many valid rows update a call already stored
    # Stored values the file would replace, each naming its rows; refused without --replace.
    refused_changes: list[str] = field(default_factory=list)
    # Valid records of an import checked a piece at a time (store/imports/pieces.py), which
    # keeps none of them in report.records.
    records_seen: int | None = None

    @property
    def record_count(self) -> int:
        """How many valid records the file held."""
        if self.records_seen is not None:
            return self.records_seen
        return len(self.report.records)

    @property
    def valid_rows(self) -> int:
        """Rows of the file that passed validation (whatever number of records they hold)."""
        records = self.report.records
        if self.kind == "calls":
            return self.record_count
        if self.kind == "outcomes":
            return len({record.row for record in records})
        if self.kind == "reviews":
            return sum(len(record.rows) for record in records)
        return len(records)

    @property
    def contents(self) -> str:
        """What the valid rows hold, e.g. ``8 outcome values`` or ``2 reviews``.

        The created/updated/unchanged counts of :attr:`written` count these, not rows.
        """
        return count(self.record_count, RECORD_NOUNS[self.kind])

    @property
    def blocked(self) -> bool:
        """Invalid rows and no permission to skip them, or stored values the file would
        replace without ``replace``: nothing was written."""
        if self.refused_changes:
            return True
        return self.written is None and not self.report.ok and not self.dry_run


def run_import(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    create_reviewers: bool = False,
    actor: User | None = None,
    progress_factory=None,
    rubric_id: str = DEFAULT_RUBRIC_ID,
    replace: bool = False,
) -> ImportResult:
    """Read, validate and (unless blocked or a dry run) write one import file.

    Stored values the file changes (a call's fields, outcome values, customers, events, review
    points, survey answers) are replaced only with ``replace`` (the old values go in the audit
    trail); otherwise the import is refused whole with :attr:`ImportResult.refused_changes`
    naming them. A changed call transcript needs no ``replace``: the old one is kept as a
    numbered transcript version.

    Raises :class:`qa_app.domain.files.tables.FileProblem` when the file as a whole is unreadable.
    """
    allowed = {"csv", "xlsx", "jsonl"} if kind == "calls" else {"csv", "xlsx"}
    with cycle_collector_paused():
        return _run_import(
            engine,
            kind,
            path,
            allowed,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            create_reviewers=create_reviewers,
            actor=actor,
            progress_factory=progress_factory,
            rubric_id=rubric_id,
            replace=replace,
        )


def _run_import(
    engine: Engine,
    kind: str,
    path: Path,
    allowed: set[str],
    *,
    skip_invalid: bool,
    dry_run: bool,
    create_reviewers: bool,
    actor: User | None,
    progress_factory,
    rubric_id: str,
    replace: bool,
) -> ImportResult:
    if kind == "calls" and file_format(path) == "csv":
        result = ImportResult(kind, Table([], []), ImportReport(), dry_run=dry_run)
        options = SimpleNamespace(
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            replace=replace,
            source=path.name,
            who=(actor.id, actor.email) if actor else (None, command_line_user()),
            progress_factory=progress_factory,
        )
        import_calls_in_pieces(
            engine, path, result, options, lambda db, done: _record(db, done, actor, path.name)
        )
        return result
    table = read_table(path, allowed)
    result = ImportResult(kind, table, ImportReport(), dry_run=dry_run)
    try:
        with transaction(engine) as db:
            _import(
                db,
                result,
                skip_invalid,
                create_reviewers,
                actor,
                progress_factory,
                rubric_id,
                replace,
                path.name,
            )
    except call_store.ChangesRefused as exc:
        # Raised inside the transaction: everything the import had written is rolled back.
        result.written = None
        result.refused_changes = exc.changes
    return result


def import_rows(
    db: Session,
    kind: str,
    table: Table,
    *,
    actor: User,
    replace: bool,
    source: str,
    rubric_id: str = DEFAULT_RUBRIC_ID,
) -> ImportResult:
    """Rows that did not come from a file (the HTTP API), through the file import's own
    validation and writing in the caller's transaction: the same checks, the same refusal
    to replace stored values without ``replace``. Nothing is written when a row is
    invalid or a change is refused (a savepoint undoes the part written)."""
    result = ImportResult(kind, table, ImportReport())
    try:
        with db.begin_nested():
            _import(db, result, False, False, actor, None, rubric_id, replace, source)
    except call_store.ChangesRefused as exc:
        result.written = None
        result.refused_changes = exc.changes
    return result


def _import(
    db: Session,
    result: ImportResult,
    skip_invalid: bool,
    create_reviewers: bool,
    actor: User | None,
    progress_factory,
    rubric_id: str,
    replace: bool,
    source: str,
) -> None:
    """Validate ``result.table`` into ``result.report`` and, unless blocked, write it."""
    kind, table = result.kind, result.table
    report = result.report = _validate(db, kind, table, create_reviewers, rubric_id)
    if result.dry_run or (report.errors and not skip_invalid):
        if kind == "calls":
            result.existing_calls = len(
                call_store.existing_call_ids(db, [r.call_id for r in report.records])
            )
        return
    progress = progress_factory(len(report.records)) if progress_factory else None
    try:
        result.written = _write(
            db,
            kind,
            report,
            table,
            actor,
            progress.update if progress else None,
            replace=replace,
            source=source,
        )
    finally:
        if progress:
            progress.close()
    if kind == "calls":
        # Each record (call_ids are unique) updated or left a stored call, or created one:
        # the count without looking every call_id up a second time.
        result.existing_calls = result.written.updated + result.written.unchanged
    _record(db, result, actor, source)


def _record(db: Session, result: ImportResult, actor: User | None, source: str) -> None:
    """The import in the audit trail: its file and what it created, updated and rejected."""
    kind, report = result.kind, result.report
    counts = {
        "rows": result.valid_rows,
        "created": result.written.created,
        "updated": result.written.updated,
        "unchanged": result.written.unchanged,
        "rejected": len(report.rejected_rows),
    }
    if kind == "calls":
        counts["transcripts_kept"] = result.written.transcripts_kept
    # From the shell there is no account: the trail names the operating-system user, as it
    # does for the values the same run replaces.
    audit.record(
        db, actor, f"import.{kind}", "file", source, after=counts, label=command_line_user()
    )


def _validate(
    db: Session, kind: str, table: Table, create_reviewers: bool, rubric_id: str
) -> ImportReport:
    if kind == "calls":
        return validate_calls(table)
    if kind == "outcomes":
        report = validate_outcomes(table, outcome_store.stored_outcome_kinds(db))
        known = call_store.existing_call_ids(db, [r.call_id for r in report.records])
        reject_unknown_calls(report, table, set(known))
        return report
    if kind == "customers":
        return validate_customers(table)
    if kind == "survey":
        from qa_app.domain.surveys.responses import validate_survey_answers
        from qa_app.store.surveys.files import find_survey, load_surveys

        report = validate_survey_answers(table, load_surveys(), find_survey())
        known = call_store.existing_call_ids(db, [r.call_id for r in report.records])
        reject_unknown_calls(report, table, set(known))
        return report
    if kind == "events":
        report = validate_events(table)
        known = customer_store.existing_customer_ids(db, [r.customer_id for r in report.records])
        customer_store.reject_unknown_customers(report, table, set(known))
        return report
    rubrics = {row.key: rubric_from_row(row) for row in db.exec(select(RubricVersion))}
    current = current_rubric_row(db, rubric_id)
    report = validate_reviews(table, rubrics, current.key if current else "")
    _reject_unknown_references(db, report, table, create_reviewers)
    return report


def _reject_unknown_references(
    db: Session, report: ImportReport, table: Table, create_reviewers: bool
) -> None:
    """Reviews of calls not in the database, or by reviewers without an account, are errors."""
    raw_by_row = dict(table.rows)
    known_calls = call_store.existing_call_ids(db, [r.call_id for r in report.records])
    known_reviewers = reviewer_ids(db, {r.reviewer for r in report.records})
    kept = []
    for record in report.records:
        problem = None
        if record.call_id not in known_calls:
            problem = f"unknown call_id '{record.call_id}' (import the call first)"
        elif normalise_email(record.reviewer) not in known_reviewers:
            if not create_reviewers:
                problem = f"no user '{record.reviewer}'; add them first or use --create-reviewers"
            elif bad_email := email_problem(record.reviewer):
                problem = f"reviewer: {bad_email}"
        if problem is None:
            kept.append(record)
            continue
        for row in record.rows:
            report.reject(row, raw_by_row[row], problem, table.row_unit)
    report.records = kept
    report.errors.sort(key=lambda e: e.row)


def reviewer_ids(db: Session, emails: set[str]) -> dict[str, int]:
    """Normalised email -> user id for those of ``emails`` that have an account."""
    wanted = sorted({normalise_email(e) for e in emails})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), call_store.BATCH_SIZE):
        batch = wanted[start : start + call_store.BATCH_SIZE]
        found.update(db.exec(select(User.email, User.id).where(User.email.in_(batch))).all())
    return found


def _write(
    db: Session,
    kind: str,
    report: ImportReport,
    table: Table,
    actor: User | None,
    progress: Progress | None,
    *,
    replace: bool,
    source: str,
) -> call_store.WriteResult:
    who = (actor.id, actor.email) if actor else (None, command_line_user())
    if kind == "calls":
        present = [f for f in call_store.CALL_FIELDS if f in table.columns]
        return call_store.upsert_calls(
            db,
            report.records,
            progress=progress,
            fields=present,
            source=source,
            replace=replace,
            actor=who,
        )
    if kind == "outcomes":
        call_pks = call_store.existing_call_ids(db, [r.call_id for r in report.records])
        return outcome_store.upsert_outcomes(
            db, report.records, call_pks, progress, replace=replace, source=source, actor=who
        )
    if kind == "survey":
        from qa_app.store.surveys.responses import write_answers

        return write_answers(
            db, report.records, progress, replace=replace, source=source, actor=who
        )
    if kind in ("customers", "events"):
        write = (
            customer_store.upsert_customers if kind == "customers" else customer_store.upsert_events
        )
        return write(db, report.records, progress, replace=replace, source=source, actor=who)
    return _write_reviews(db, report.records, who, progress, replace, source)


def command_line_user() -> str:
    """How the audit trail names an import run from the shell: there is no account, so the
    operating-system user is the best answer to "who"."""
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "command line"


def _write_reviews(
    db: Session,
    records: list[ReviewRecord],
    who: tuple[int | None, str],
    progress: Progress | None,
    replace: bool,
    source: str,
) -> call_store.WriteResult:
    """Each record becomes (or updates) a submitted review; changes are audited."""
    call_pks = call_store.existing_call_ids(db, [r.call_id for r in records])
    rubric_pks = {row.key: row.id for row in db.exec(select(RubricVersion))}
    emails = {r.reviewer for r in records}
    people = reviewer_ids(db, emails)
    for email in sorted(emails):
        if normalise_email(email) not in people:  # validation allowed it: --create-reviewers
            people[normalise_email(email)] = create_imported_reviewer(db, email).id
    by_record = {r.reviewer: people[normalise_email(r.reviewer)] for r in records}
    return write_imported_reviews(
        db, records, call_pks, by_record, rubric_pks, who, progress, replace=replace, source=source
    )

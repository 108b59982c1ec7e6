"""``qa-app session report`` and ``qa-app import ratings``: calibration sessions from the shell."""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.cli.support import check_output_path, command_app

# The storage and domain modules below load SQLAlchemy, NumPy and openpyxl; each command
# imports them when it runs, so `qa-app --help` does not.


@click.group("session")
def session_group() -> None:
    """Calibration session reports."""


@session_group.command("report")
@click.argument("name")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
def session_report(name: str, out: Path) -> None:
    """Write a revealed (or closed) session's report workbook.

    Sheets: Summary (agreement per dimension and group), Ratings (long form),
    Per call, Per rater and About (session, rubric, methods). Text cells are
    formula-safe.
    """
    from qa_app import db
    from qa_app.models import SessionState
    from qa_app.store.calibration import results as result_store
    from qa_app.store.calibration import sessions as store

    check_output_path(out)
    _app, engine = command_app()
    with db.transaction(engine) as session_db:
        session = store.find_session(session_db, name)
        if session is None:
            raise click.ClickException(f"no calibration session named '{name}'")
        if session.state not in (SessionState.REVEALED, SessionState.CLOSED):
            raise click.ClickException(
                f"session '{name}' is {session.state}: scores stay hidden until it is revealed"
            )
        result_store.write_report(session_db, session, out)
    click.echo(f"Wrote the report of '{name}' to {out}.")


def import_ratings_command(
    file: Path,
    session_name: str,
    create_reviewers: bool,
    by: str | None,
    rubric_key: str | None,
    replace: bool = False,
) -> None:
    """Validate a ratings file and add it to a session (created when new); all-or-nothing.

    Stored ratings the file changes are replaced only with ``replace``."""
    from sqlmodel import select

    from qa_app import db
    from qa_app.domain.calibration.sessions import CalibrationError
    from qa_app.domain.files.tables import FileProblem, read_table
    from qa_app.domain.imports.ratings import skipped_summary, validate_ratings
    from qa_app.models import Role, RubricVersion
    from qa_app.store.calibration import sessions as store
    from qa_app.store.imports import ratings as ratings_store
    from qa_app.store.imports.service import command_line_user, count
    from qa_app.store.rubrics import current_rubric_row, rubric_from_row
    from qa_app.store.users import find_user

    app, engine = command_app()
    try:
        table = read_table(file, {"csv", "xlsx"})
    except FileProblem as exc:
        raise click.ClickException(str(exc)) from None
    with db.transaction(engine) as session_db:
        existing = store.find_session(session_db, session_name)
        if existing is not None:
            rubric_row = session_db.get(RubricVersion, existing.rubric_pk)
        elif rubric_key:
            rubric_row = next(
                (r for r in session_db.exec(select(RubricVersion)) if r.key == rubric_key), None
            )
        else:
            rubric_row = current_rubric_row(session_db, app.config["RUBRIC_ID"])
        if rubric_row is None:
            raise click.ClickException("no such rubric version is loaded")
        report = validate_ratings(table, rubric_from_row(rubric_row))
        if report.errors:
            for error in report.errors:
                click.echo(f"{file.name}: {error}", err=True)
            raise click.ClickException(
                f"{len(report.rejected_rows)} invalid row(s); nothing was imported."
            )
        lead = find_user(session_db, by) if by else None
        if by and (lead is None or lead.role not in (Role.LEAD, Role.ADMIN)):
            raise click.ClickException(f"--by {by} is not a lead or admin account")
        try:
            session, written = ratings_store.import_ratings(
                session_db,
                existing,
                session_name,
                rubric_row,
                report.records,
                lead,
                create_reviewers,
                replace=replace,
                source=file.name,
                who=command_line_user(),
            )
        except CalibrationError as exc:
            session_db.rollback()
            raise click.ClickException(str(exc)) from None
        state = session.state
    # Rows first, then what they held, as the other imports say it.
    rows = count(sum(len(record.rows) for record in report.records), "row")
    raters = count(len({(record.role, record.rater) for record in report.records}), "rater")
    calls = count(len({record.call_id for record in report.records}), "call")
    click.echo(
        f"Imported {rows} ({count(written, 'rating')} by {raters} on {calls}) "
        f"into '{session_name}' ({state})."
    )
    if skipped := skipped_summary(report.records):
        click.echo(skipped)


def register(main: click.Group, import_group: click.Group) -> None:
    """Add ``session report`` to ``main`` and ``ratings`` to ``import``."""
    main.add_command(session_group)

    @import_group.command("ratings")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--session",
        "session_name",
        required=True,
        help="Session name; a new one is created, already revealed.",
    )
    @click.option(
        "--by",
        default=None,
        help="Email of the lead a new session belongs to (required for a new one).",
    )
    @click.option(
        "--rubric",
        "rubric_key",
        default=None,
        help="Rubric version (ID@VERSION) of a new session; default the current one.",
    )
    @click.option(
        "--create-reviewers",
        is_flag=True,
        help="Create unknown QA raters as deactivated reviewer accounts.",
    )
    @click.option(
        "--replace",
        is_flag=True,
        help="Replace a rater's stored ratings or comment the file changes (without it such "
        "a file is refused); the old values are kept in the audit trail.",
    )
    def import_ratings(file, session_name, by, rubric_key, create_reviewers, replace):
        """Import calibration ratings collected on paper or in another tool (CSV or XLSX).

        Columns: call_id, rater (a reviewer's email for QA, a name or alias for a
        panelist), role (qa or panel), dimension, score (blank or N/A for not
        applicable), optional comment. Each rater's rows for a call cover every
        dimension. All-or-nothing: any bad row is reported and nothing is written. A
        rater's stored ratings of a call that the file changes are refused, with the
        rows named, unless --replace.
        """
        import_ratings_command(file, session_name, create_reviewers, by, rubric_key, replace)

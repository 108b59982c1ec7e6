"""The ``qa-app`` command line: schema, demo data, server, users, rubrics and imports.

Every module this file imports at the top is light: `qa-app --help` and `qa-app COMMAND
--help` must start in a blink, so Flask, SQLAlchemy, Alembic, NumPy and openpyxl are imported
inside the commands that use them (tests/cli/test_cli_imports.py keeps it so).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_app.cli.support import DatabaseAwareGroup, check_output_path, command_app

if TYPE_CHECKING:
    from qa_app.store.imports.service import ImportResult

MAX_ERRORS_SHOWN = 200
PROGRESS_DELAY_SECONDS = 1.5


def _app(check_schema: bool = True):
    """The app for this command; its connections close when the command ends."""
    return command_app(check_schema)[0]


def _engine(app):
    from qa_app import db

    return db.get_engine_for(app)


@click.group(cls=DatabaseAwareGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="qa_app",
    prog_name="qa-app",
    message="%(prog)s %(version)s",
    help="Show the installed qa_app version and exit.",
)
def main() -> None:
    """qa_app: score calls against the empathy rubric, calibrate, export behaviour flags.

    Settings come from QA_APP_* environment variables (see docs/admins.md, "Configuration").
    """


# --- database -----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Create or migrate the database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create the schema on an empty database or migrate it to the newest revision, then
    register the rubric files (the shipped ones, or those in QA_APP_RUBRICS_DIR).

    A fresh database is ready for imports and scoring after this command alone.
    """
    from qa_app import db

    app = _app(check_schema=False)
    engine = _engine(app)
    before, after = db.upgrade(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"Schema already up to date at revision {after} ({url}).")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after} ({url}).")
    _load_rubrics(app, ())


@db_group.command("status")
def db_status() -> None:
    """Show the schema revision of the database and the one this code needs.

    Exit code 0 when the database is up to date, 1 when it is empty or behind (run
    `qa-app db upgrade`), so scripts can check before starting the app.
    """
    from qa_app import db

    engine = _engine(_app(check_schema=False))
    current, head = db.current_revision(engine), db.head_revision()
    verdict = "up to date" if current == head else f"run `{db.UPGRADE_COMMAND}`"
    click.echo(f"database: {current or 'empty'}  code: {head}  ({verdict})")
    if current != head:
        sys.exit(1)


# --- demo and server --------------------------------------------------------------------


@main.command("demo")
def demo() -> None:
    """Load the demo data set (calls, outcomes, reviews, a sampling plan, customers and their
    events, a user per role). Safe to run again."""
    from qa_app.domain.demo.calls import DEMO_USERS
    from qa_app.store.demo import load_demo

    app = _app()
    result = load_demo(_engine(app), Path(app.config["RUBRICS_DIR"]))
    if result.changed:
        click.echo(
            f"Demo data loaded: {result.users_created} users, {result.calls_created} calls, "
            f"{result.outcomes_created} outcomes, {result.reviews_created} reviews, "
            f"{result.assignments_created} queue assignments"
            + (", a drawn sampling plan" if result.plans_drawn else "")
            + (f", {result.customers_created} customers" if result.customers_created else "")
            + "."
        )
    else:
        click.echo("Demo data already loaded; nothing changed.")
    click.echo("Demo logins (password after the email):")
    for user in DEMO_USERS:
        click.echo(f"  {user.role:<9} {user.email:<24} {user.password}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads."
)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app with waitress, a production WSGI server."""
    from waitress import serve as waitress_serve

    app = _app()
    click.echo(f"qa_app serving on http://{host}:{port}  (Ctrl+C stops it)")
    waitress_serve(app, host=host, port=port, threads=threads)


# --- rubrics ----------------------------------------------------------------------------


@main.group("rubric")
def rubric() -> None:
    """Check and load rubric files."""


def _rubrics_dir() -> Path:
    """The configured rubric folder (QA_APP_RUBRICS_DIR), else the shipped rubrics; no app."""
    import os

    from qa_app.resources import shipped_rubrics_dir

    configured = os.environ.get("QA_APP_RUBRICS_DIR")
    return Path(configured) if configured else shipped_rubrics_dir()


@rubric.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rubric_check(paths: tuple[Path, ...]) -> None:
    """Validate rubric files; print one line per problem and exit 1 if any.

    Without PATHS, checks the rubric files qa_app uses: those in QA_APP_RUBRICS_DIR, or the
    ones shipped with qa_app.
    """
    from qa_app.domain.rubrics.definitions import check_rubric_file
    from qa_app.store.rubrics import rubric_files

    paths = paths or tuple(rubric_files(_rubrics_dir()))
    if not paths:
        raise click.ClickException(f"no rubric files (*.toml) in {_rubrics_dir()}")
    problems = [problem for path in paths for problem in check_rubric_file(path)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(paths)} file(s).", err=True)
        sys.exit(1)
    click.echo(f"{len(paths)} rubric file(s) OK.")


@rubric.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def rubric_load(paths: tuple[Path, ...]) -> None:
    """Register rubric versions in the database (a changed file needs a version bump).

    Without PATHS, loads the rubric files in QA_APP_RUBRICS_DIR, or the ones shipped with
    qa_app (`qa-app db upgrade` does this too).
    """
    _load_rubrics(_app(), paths)


def _load_rubrics(app, paths: tuple[Path, ...]) -> None:
    """Register ``paths`` (default: the app's rubric folder) in one transaction; report each."""
    from qa_app import db
    from qa_app.domain.rubrics.definitions import RubricError
    from qa_app.store.rubrics import RubricVersionConflict, register_rubric_files, rubric_files

    paths = paths or tuple(rubric_files(Path(app.config["RUBRICS_DIR"])))
    if not paths:
        raise click.ClickException(f"no rubric files (*.toml) in {app.config['RUBRICS_DIR']}")
    try:
        with db.transaction(_engine(app)) as session:
            results = register_rubric_files(session, list(paths))
    except (RubricError, RubricVersionConflict) as exc:
        raise click.ClickException(str(exc)) from None
    for row, created in results:
        click.echo(f"rubric {row.key}: {'loaded' if created else 'already loaded, unchanged'}")


# --- imports ----------------------------------------------------------------------------


@main.group("import")
def import_group() -> None:
    """Import calls, outcomes, reviews, calibration ratings, customers, customer events and
    customer survey answers (CSV, XLSX; calls also JSONL).

    All-or-nothing: if any row is invalid, every invalid row is listed and nothing is
    written (exit 1), unless --skip-invalid. The formats are in docs/file-formats.md, "Import file
    formats".
    """


def _import_options(command):
    command = click.option(
        "--dry-run",
        is_flag=True,
        help="Validate and report only; write nothing (exit 1 if rows are invalid).",
    )(command)
    command = click.option(
        "--rejects",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where --skip-invalid writes rejected rows (default: FILE.rejects.csv).",
    )(command)
    command = click.option(
        "--skip-invalid",
        is_flag=True,
        help="Write the valid rows and put the invalid ones, with reasons, in a rejects file.",
    )(command)
    return click.argument("file", type=click.Path(dir_okay=False, path_type=Path))(command)


def _echo_some(file: Path, problems: list) -> None:
    """The first MAX_ERRORS_SHOWN problems on stderr, each naming the file, then how many more."""
    for problem in problems[:MAX_ERRORS_SHOWN]:
        click.echo(f"{file.name}: {problem}", err=True)
    hidden = len(problems) - MAX_ERRORS_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more.", err=True)


def _report_problems(result: ImportResult, file: Path, rejects: Path | None) -> None:
    """Print warnings and row errors; exit 1 when they blocked the import."""
    from qa_app.domain.files.tables import write_rejects
    from qa_app.store.imports.service import count

    report = result.report
    if result.refused_changes:
        _echo_some(file, result.refused_changes)
        changes = count(len(result.refused_changes), "stored value")
        click.echo(
            f"{changes} would be replaced; nothing was imported. Use --replace to replace "
            "them; the audit trail keeps the old ones.",
            err=True,
        )
        sys.exit(1)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    _echo_some(file, report.errors)
    invalid = count(len(report.rejected_rows), "invalid row")
    if result.blocked:
        click.echo(
            f"{invalid}; nothing was imported. Fix them, or use --skip-invalid to import the "
            "valid rows.",
            err=True,
        )
        sys.exit(1)
    if report.errors and not result.dry_run:
        rejects = rejects or file.with_name(f"{file.stem}.rejects.csv")
        write_rejects(rejects, result.table.columns, report)
        rejected = count(len(report.rejected_rows), "rejected row")
        click.echo(f"{rejected} written to {rejects}.", err=True)


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, delay=PROGRESS_DELAY_SECONDS, file=sys.stderr, leave=False)


def _run_import(
    kind: str,
    file: Path,
    skip_invalid: bool,
    rejects: Path | None,
    dry_run: bool,
    create_reviewers: bool = False,
    replace: bool = False,
) -> None:
    from qa_app.domain.files.tables import FileProblem
    from qa_app.store.imports.service import count, run_import

    if skip_invalid and not dry_run:
        check_output_path(rejects or file.with_name(f"{file.stem}.rejects.csv"), file)
    app = _app()
    try:
        result = run_import(
            _engine(app),
            kind,
            file,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            create_reviewers=create_reviewers,
            progress_factory=_progress,
            rubric_id=app.config["RUBRIC_ID"],
            replace=replace,
        )
    except FileProblem as exc:
        raise click.ClickException(str(exc)) from None
    _report_problems(result, file, rejects)
    # Rows first, then what they held: an outcomes row holds several values, a review several
    # rows, and the created/updated/unchanged counts are of those values and reviews.
    if dry_run:
        contents = result.contents
        if kind == "calls":
            new = len(result.report.records) - result.existing_calls
            contents += f": {new} new, {count(result.existing_calls, 'update')}"
        invalid = count(len(result.report.rejected_rows), "invalid row")
        valid = count(result.valid_rows, "valid row")
        click.echo(f"Dry run: {valid} ({contents}), {invalid}; nothing written.")
        if result.report.rejected_rows and not skip_invalid:
            sys.exit(1)  # as the real import would refuse: scripts can check files first
        return
    written = result.written
    rows = count(result.valid_rows, "row")
    click.echo(
        f"Imported {rows} ({result.contents}): {written.created} created, "
        f"{written.updated} updated, {written.unchanged} unchanged."
    )
    if written.transcripts_kept:
        replaced = count(written.transcripts_kept, "transcript")
        click.echo(f"{replaced} replaced; the earlier versions are kept for their reviews.")


@import_group.command("calls")
@_import_options
def import_calls(file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool) -> None:
    """Import calls with transcripts (CSV, XLSX or JSONL); an existing call_id is updated.

    A changed transcript becomes the call's next transcript version; the earlier one is
    kept, and reviews scored on it keep showing it.

    Required columns: call_id, agent, transcript. Optional: team, queue, channel,
    interaction_type, started_at (ISO 8601), save_script, agent_tenure_days, customer_id.
    A transcript is one turn per line, "Speaker: text" (JSONL may give a list of turns).
    """
    _run_import("calls", file, skip_invalid, rejects, dry_run)


def _replace_option(command):
    return click.option(
        "--replace",
        is_flag=True,
        help="Replace stored values the file changes (without it such a file is refused); "
        "the old values are kept in the audit trail.",
    )(command)


@import_group.command("outcomes")
@_import_options
@_replace_option
def import_outcomes(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import outcomes (CSV or XLSX): call_id plus one column per named outcome.

    Column names are lower case (saved, callback_30d, credit_amount, ...). A column of
    true/false/yes/no/1/0 is boolean, otherwise numeric; blank cells record nothing.
    Unknown call_ids are errors. A stored value the file changes is refused, with its
    row named, unless --replace.
    """
    _run_import("outcomes", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("customers")
@_import_options
@_replace_option
def import_customers(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import customers (CSV or XLSX); an existing customer_id is updated.

    Columns: customer_id, onboarded_at (ISO 8601), optional ended_at (blank while the
    customer is active), segment and monthly_value. Filling a blank ended_at is an update;
    a stored value the file changes is refused, with its row named, unless --replace.
    """
    _run_import("customers", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("events")
@_import_options
@_replace_option
def import_events(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import customer events (CSV or XLSX), one per row.

    Columns: customer_id, at (ISO 8601), kind (renewal, incident, nps, renewal_intent,
    spend, usage, opt_out), optional value (needed for nps 0-10, spend and usage) and note.
    Unknown customers and kinds are row errors; the same customer, moment and kind again
    updates the event (a changed value only with --replace).
    """
    _run_import("events", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("reviews")
@_import_options
@click.option(
    "--create-reviewers",
    is_flag=True,
    help="Create unknown reviewers as deactivated accounts instead of rejecting rows.",
)
@_replace_option
def import_reviews(
    file: Path,
    skip_invalid: bool,
    rejects: Path | None,
    dry_run: bool,
    create_reviewers: bool,
    replace: bool,
) -> None:
    """Import historical reviews from another QA tool as submitted reviews (CSV or XLSX).

    One row per call, reviewer and dimension. Columns: call_id, reviewer (email),
    dimension, score (blank or N/A for not applicable), optional submitted_at (ISO 8601)
    and rubric (id@version, default the current one). Each call, reviewer and rubric
    must answer every dimension. A stored review whose points the file changes is
    refused, with its rows named, unless --replace.
    """
    _run_import("reviews", file, skip_invalid, rejects, dry_run, create_reviewers, replace)


def _register_commands() -> None:
    from qa_app.cli.agreement import agreement
    from qa_app.cli.audit import audit
    from qa_app.cli.backup import backup, restore
    from qa_app.cli.calibration import register
    from qa_app.cli.experiments import experiment_group, import_exposure
    from qa_app.cli.flags import export_group, outcomes_group
    from qa_app.cli.outreach import outreach_group
    from qa_app.cli.panels import analysis_plan_group, panel
    from qa_app.cli.recognition import board
    from qa_app.cli.rollouts import rollout_group
    from qa_app.cli.sampling import flags_group, sample_group
    from qa_app.cli.surveys import import_survey, survey_group
    from qa_app.cli.survival import survival
    from qa_app.cli.users import users

    for command in (
        users,
        agreement,
        export_group,
        outcomes_group,
        flags_group,
        sample_group,
        backup,
        restore,
        audit,
        survival,
        survey_group,
        panel,
        analysis_plan_group,
        outreach_group,
        experiment_group,
        rollout_group,
    ):
        main.add_command(command)
    register(main, import_group)
    import_group.add_command(import_survey)
    import_group.add_command(import_exposure)
    outreach_group.add_command(board)


_register_commands()

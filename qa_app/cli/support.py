"""What every ``qa-app`` command needs: the settings, the engine, connections closed at the end,
and the options and reporting every file import shares.

Flask, SQLAlchemy and the app itself are imported inside the functions that use them, so that
`qa-app --help` and commands that need no database (`qa-app agreement`) start quickly.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_app.domain.dates import DayError, read_day

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

    from qa_app.store.imports.service import ImportResult


@dataclass(frozen=True)
class CommandApp:
    """What a command reads of the app: its settings (``config``, the same mapping the web app
    gets from qa_app.config.load_settings). Commands build no Flask app: they start without
    the web app's imports, and nothing they do can depend on a request."""

    config: dict


@contextmanager
def refused_as_one_line():
    """Settings, a database URL, a schema or a connection that cannot be used end the command
    with one clear line instead of a traceback."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from qa_app import db
    from qa_app.config import SettingsError

    try:
        yield
    except (db.SchemaOutOfDate, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    except ArgumentError:
        raise click.ClickException(
            "QA_APP_DATABASE_URL is not a database URL (e.g. sqlite:////srv/qa/qa.sqlite3 or "
            "postgresql+psycopg://user:pass@host:5432/qa_app)"
        ) from None
    except OperationalError as exc:
        raise unreachable_database(exc) from None


def command_app(check_schema: bool = True) -> tuple[CommandApp, Engine]:
    """The settings and engine for this command; a schema that is not up to date is a clear
    error. The engine's connections close when the command ends."""
    from qa_app import db, scratch
    from qa_app.config import instance_path, load_settings

    with refused_as_one_line():
        # A command signs nothing: it makes no secret key file (a refused command left one).
        settings = load_settings(
            instance_path(), {"CHECK_SCHEMA": check_schema}, make_secret_key=False
        )
        # Uploads and exports interrupted by a killed process left scratch files, as at the
        # web app's start.
        scratch.remove_stale_once()
        if check_schema:
            # Checking would create an empty SQLite file: an absent one has no schema yet.
            db.refuse_missing_sqlite_file(settings["DATABASE_URL"])
        engine = db.make_engine(settings["DATABASE_URL"], db.Timeouts.from_config(settings))
        click.get_current_context().call_on_close(engine.dispose)
        if check_schema:
            db.check_schema(engine)
    return CommandApp(settings), engine


def web_app() -> Flask:
    """The whole web app (``qa-app serve``), refusing a schema that is not up to date."""
    from qa_app import create_app

    with refused_as_one_line():
        return create_app({"CHECK_SCHEMA": True})


def check_output_path(path: Path, source: Path | None = None) -> None:
    """Refuse, before any work is done, a file that cannot be written where it is asked for."""
    if source is not None and path.resolve() == source.resolve():
        raise click.ClickException(f"{path} is the input file; choose another name")
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise click.ClickException(f"folder {path.parent} does not exist")


def unreachable_database(exc: OperationalError) -> click.ClickException:
    """The driver's first line says what failed: refused, unknown host, bad password."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return click.ClickException(f"cannot use the database: {reason}")


class DatabaseAwareGroup(click.Group):
    """Commands whose database stops answering end with one line, not a traceback."""

    def invoke(self, ctx):
        """Run the command; a lost database connection becomes a one-line error."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Only a command that loaded SQLAlchemy can raise its errors; checking sys.modules
            # first keeps SQLAlchemy out of `--help` and of commands without a database.
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import OperationalError

                if isinstance(exc, OperationalError):
                    raise unreachable_database(exc) from None
            raise


def output_format_option(help: str = "Output format."):  # noqa: A002 - click's own name
    """``--format table|json|csv`` (default table), passed to the command as ``output``."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(("table", "json", "csv")),
        default="table",
        show_default=True,
        help=help,
    )


class DayType(click.ParamType):
    """A day typed as YYYY-MM-DD, read as every form reads one (qa_app.domain.dates: years
    1900 to 2199); the command gets a datetime at midnight, as from click.DateTime."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        """The day as a datetime, or a usage error naming the option and the value."""
        if isinstance(value, datetime):
            return value
        try:
            day = read_day(str(value))  # click names the option
        except DayError as exc:
            self.fail(str(exc), param, ctx)
        return datetime(day.year, day.month, day.day)


DAY = DayType()


def as_of_option(help: str):  # noqa: A002 - click's own name
    """``--as-of YYYY-MM-DD``, passed to the command as ``as_of`` (a datetime, or None);
    ``help`` says what the day means for this command and its default."""
    return click.option("--as-of", "as_of", type=DAY, help=help)


def table_or_json_option(command):
    """``--format table|json`` (default table), passed to the command as ``output``."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(("table", "json")),
        default="table",
        show_default=True,
        help="Output format.",
    )(command)


# --- imports: shared by `qa-app import ...` and the import commands of other groups ---------

MAX_ERRORS_SHOWN = 200
PROGRESS_DELAY_SECONDS = 1.5


def import_options(command):
    """FILE and the options every import shares: --skip-invalid, --rejects, --dry-run."""
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


def replace_option(command):
    """``--replace``: imports that would change stored values are refused without it."""
    return click.option(
        "--replace",
        is_flag=True,
        help="Replace stored values the file changes (without it such a file is refused); "
        "the old values are kept in the audit trail.",
    )(command)


def _echo_some(file: Path, problems: list) -> None:
    """The first MAX_ERRORS_SHOWN problems on stderr, each naming the file, then how many more."""
    for problem in problems[:MAX_ERRORS_SHOWN]:
        click.echo(f"{file.name}: {problem}", err=True)
    hidden = len(problems) - MAX_ERRORS_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more.", err=True)


def report_problems(result: ImportResult, file: Path, rejects: Path | None) -> None:
    """Print warnings and row errors; exit 1 when they blocked the import."""
    from qa_app.domain.files.reports import write_rejects
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


def run_import(
    kind: str,
    file: Path,
    skip_invalid: bool,
    rejects: Path | None,
    dry_run: bool,
    create_reviewers: bool = False,
    replace: bool = False,
) -> None:
    from qa_app.domain.files.tables import FileProblem
    from qa_app.store.imports.service import count
    from qa_app.store.imports.service import run_import as service_run_import

    if skip_invalid and not dry_run:
        check_output_path(rejects or file.with_name(f"{file.stem}.rejects.csv"), file)
    app, engine = command_app()
    try:
        result = service_run_import(
            engine,
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
    report_problems(result, file, rejects)
    # Rows first, then what they held: an outcomes row holds several values, a review several
    # rows, and the created/updated/unchanged counts are of those values and reviews.
    if dry_run:
        contents = result.contents
        if kind == "calls":
            new = result.record_count - result.existing_calls
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

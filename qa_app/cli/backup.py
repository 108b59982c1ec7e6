"""``qa-app backup`` and ``qa-app restore``: SQLite copies taken and put back while serving."""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.cli.support import check_output_path, command_app


def _database_file() -> tuple[Path, object]:
    from qa_app.store.backup import BackupProblem, sqlite_path

    app, engine = command_app(check_schema=False)
    try:
        return sqlite_path(engine.url), engine
    except BackupProblem as exc:
        raise click.ClickException(str(exc)) from None


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH, a new file; safe while the app runs.

    Reviewers keep saving during the copy; the file holds one consistent moment. For
    PostgreSQL use pg_dump (docs/admins.md, "Backups").
    """
    from qa_app.store.backup import BackupProblem, backup_sqlite

    check_output_path(path)
    database, _ = _database_file()
    try:
        size = backup_sqlite(database, path)
    except BackupProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {database} to {path} ({size / 2**20:,.1f} MB).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace everything in the SQLite database with the backup at PATH.

    Running servers see the restored data at their next request. A backup from an older
    version of qa_app is restored, then `qa-app db upgrade` brings it up to date; one from a
    newer version is refused.
    """
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from qa_app import db
    from qa_app.store.backup import BackupProblem, backup_revision, restore_sqlite

    database, engine = _database_file()
    try:
        revision = backup_revision(path)
        if revision is not None:
            try:
                ScriptDirectory(str(db.MIGRATIONS_DIR)).get_revision(revision)
            except CommandError:
                raise BackupProblem(
                    f"{path} comes from a newer version of qa_app (schema revision {revision}); "
                    "restore it with that version"
                ) from None
        if not yes:
            click.confirm(
                f"Replace every user, call, review and session in {database} with the contents "
                f"of {path}?",
                abort=True,
            )
        engine.dispose()  # this process's own connections must not hold the file
        restore_sqlite(path, database)
    except BackupProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {database} from {path}.")
    if revision != db.head_revision():
        click.echo(f"The backup's schema is older than this code: run `{db.UPGRADE_COMMAND}`.")

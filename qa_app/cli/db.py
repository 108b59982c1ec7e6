"""``qa-app db``: create or migrate the database schema, and say whether it is up to date."""

from __future__ import annotations

import sys

import click

from qa_app.cli.support import command_app


@click.group("db")
def db_group() -> None:
    """Create or migrate the database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create the schema on an empty database or migrate it to the newest revision, then
    register the rubric files (the shipped ones, or those in QA_APP_RUBRICS_DIR).

    A fresh database is ready for imports and scoring after this command alone.
    """
    from qa_app import db

    app, engine = command_app(check_schema=False)
    before, after = db.upgrade(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"Schema already up to date at revision {after} ({url}).")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after} ({url}).")
    from qa_app.cli.rubrics import load_rubrics

    load_rubrics(app, engine, ())
    _fill_final_scores(engine)


def _fill_final_scores(engine) -> None:
    """Store the final scores of calls that have none yet (a database from before they were
    kept as data, or a restored older backup)."""
    from qa_app.db import transaction
    from qa_app.store import final_scores

    with transaction(engine) as session:
        missing = final_scores.missing_count(session)
        if missing:
            stored = final_scores.rebuild(session)
    if missing:
        click.echo(f"Stored the final scores of {stored} call × rubric version(s) "
                   f"({missing} reviewed call(s) had none).")  # fmt: skip


@db_group.command("rebuild-scores")
def db_rebuild_scores() -> None:
    """Recompute every reviewed call's final scores and flags from its reviews and consensus
    and store them again, all or nothing. They are kept current as reviews change; this is
    for a check, or after changing the database by hand."""
    from qa_app.db import transaction
    from qa_app.store import final_scores

    _app, engine = command_app()
    with transaction(engine) as session:
        stored = final_scores.rebuild(session)
    click.echo(f"Rebuilt the final scores of {stored} call × rubric version(s).")


@db_group.command("status")
def db_status() -> None:
    """Show the schema revision of the database and the one this code needs.

    Exit code 0 when the database is up to date, 1 when it is empty or behind (run
    `qa-app db upgrade`), so scripts can check before starting the app.
    """
    from qa_app import db

    _app, engine = command_app(check_schema=False)
    current, head = db.current_revision(engine), db.head_revision()
    verdict = "up to date" if current == head else f"run `{db.UPGRADE_COMMAND}`"
    click.echo(f"database: {current or 'empty'}  code: {head}  ({verdict})")
    if current != head:
        sys.exit(1)

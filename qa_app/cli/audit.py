"""``qa-app audit``: read the audit trail from the shell, as a table, JSON lines or CSV."""

from __future__ import annotations

import sys

import click

from qa_app.cli.support import command_app, output_format_option

TABLE_COLUMNS = ("at", "actor", "action", "object_type", "object_id", "reason")


@click.command("audit")
@click.option("--since", default="", help="From this date or time (ISO 8601, UTC).")
@click.option("--until", default="", help="Up to this date (the whole day) or time (ISO 8601).")
@click.option("--user", default="", help="Only events by this account (email), or 'system'.")
@click.option(
    "--action", default="", help="Only this action (user.added), or a prefix ending in '.' (user.)."
)
@click.option("--object", "object_", default="", help="Only this object: TYPE or TYPE:ID.")
@output_format_option(
    "table: one line per event; json: one object per line with before and after; csv: "
    "every column, formula-safe for spreadsheets."
)
def audit(since: str, until: str, user: str, action: str, object_: str, output: str) -> None:
    """Print the audit trail, oldest first: who did what to which object, when, and why.

    Logins, user and role changes, assignments, imports, review edits, calibration
    sessions, invite links and consensus are all recorded.
    """
    from qa_app import db
    from qa_app.domain.audit import AuditFilter, FilterProblem, write_csv, write_json_lines
    from qa_app.store.audit_trail import iter_events

    try:
        where = AuditFilter.parse(since, until, user, action, object_)
    except FilterProblem as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field}") from None
    _app, engine = command_app()
    with db.transaction(engine) as session:
        rows = iter_events(session, where)
        if output == "csv":
            write_csv(rows, sys.stdout)
        elif output == "json":
            write_json_lines(rows, sys.stdout)
        else:
            _write_table(rows)


def _write_table(rows) -> None:
    shown = 0
    for row in rows:
        click.echo("  ".join(row[c] for c in TABLE_COLUMNS).rstrip())
        shown += 1
    click.echo(f"{shown} event(s).", err=True)

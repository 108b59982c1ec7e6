"""``qa-app users``: add, list, activate and deactivate accounts from the shell."""

from __future__ import annotations

import sys

import click

from qa_app.cli.support import command_app, output_format_option

# Copies of qa_app.models.Role and qa_app.store.users.MIN_PASSWORD_LENGTH (a test keeps them
# equal): those modules load SQLAlchemy, which `qa-app --help` should not wait for.
ROLES = ("admin", "lead", "reviewer", "coach")
MIN_PASSWORD_LENGTH = 10
LIST_COLUMNS = ("email", "name", "role", "active", "added")
# Why the audit trail shows an event without a logged-in actor.
AUDIT_REASON = "qa-app users {command} (command line)"


@click.group("users")
def users() -> None:
    """Manage accounts: add, list, activate, deactivate."""


@users.command("add")
@click.option("--email", required=True, help="Login email (stored lower-case).")
@click.option("--name", required=True, help="Name shown in the app.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (its first line) instead of prompting for it.",
)
def users_add(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Add a user account.

    The password (at least 10 characters) is prompted for twice, or read from
    standard input with --password-stdin.
    """
    from qa_app import db
    from qa_app.store import audit
    from qa_app.store.users import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            user = create_user(session, email, name, role, password)
            audit.record(
                session,
                None,
                "user.added",
                "user",
                user.id,
                after={"email": user.email, "role": user.role},
                reason=AUDIT_REASON.format(command="add"),
            )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {user.role} {user.email}.")


@users.command("list")
@output_format_option("Output format; CSV text cells are formula-safe for spreadsheets.")
def users_list(output: str) -> None:
    """List every account: email, name, role, active, and the day it was added.

    Active accounts come first, then by name. (Last logins are not stored.)
    """
    from qa_app import db
    from qa_app.store.users import all_users

    _app, engine = command_app()
    with db.transaction(engine) as session:
        rows = [
            {
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "active": user.active,
                "added": user.created_at.date().isoformat(),
            }
            for user in all_users(session)
        ]
    if output == "json":
        import json

        click.echo(json.dumps(rows, indent=2))
    elif output == "csv":
        _write_csv(rows)
    elif not rows:
        click.echo("No users yet; add one with `qa-app users add`.")
    else:
        _echo_table(rows)


def _write_csv(rows: list[dict]) -> None:
    import csv

    from qa_app.domain.files.spreadsheet_safety import protect_formula

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for row in rows:
        # Names and emails are typed by people: "=HYPERLINK(...)" must stay text in a sheet.
        writer.writerow(
            [
                protect_formula(value) if isinstance(value, str) else str(value).lower()
                for value in (row[column] for column in LIST_COLUMNS)
            ]
        )


def _echo_table(rows: list[dict]) -> None:
    cells = [
        [row["email"], row["name"], row["role"], "yes" if row["active"] else "no", row["added"]]
        for row in rows
    ]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(LIST_COLUMNS)
    ]
    for line in [list(LIST_COLUMNS), *cells]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def _set_active(email: str, active: bool) -> None:
    from qa_app import db
    from qa_app.store.users import AccountError, find_user, set_active

    command = "activate" if active else "deactivate"
    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            user = find_user(session, email)
            if user is None:
                raise AccountError(f"no user with email {email.strip().lower()}")
            changed = set_active(session, user, active, reason=AUDIT_REASON.format(command=command))
            address = user.email
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    state = "active" if active else "deactivated"
    if not changed:
        click.echo(f"{address} is already {state}; nothing changed.")
    elif active:
        click.echo(f"{address} is active: they can log in again.")
    else:
        click.echo(f"{address} is deactivated: they can no longer log in.")


@users.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Deactivate the account with this EMAIL: it can no longer log in. Audited.

    Its reviews and ratings stay. The last active admin cannot be deactivated.
    """
    _set_active(email, False)


@users.command("activate")
@click.argument("email")
def users_activate(email: str) -> None:
    """Reactivate the account with this EMAIL, e.g. a reviewer created by an import. Audited.

    An imported reviewer has no usable password: set one on the admin page's Users list.
    """
    _set_active(email, True)

"""``qa-app tokens``: API tokens for integrators, made, listed and revoked from the shell."""

from __future__ import annotations

import json

import click

from qa_app.cli.support import command_app, table_or_json_option


@click.group("tokens")
def tokens() -> None:
    """API tokens: each acts as its user within its scopes (see the guide's API page)."""


@tokens.command("create")
@click.option("--user", "email", required=True, help="The account the token acts as.")
@click.option("--name", required=True, help="What will use it, e.g. 'telephony sync'.")
@click.option("--scopes", required=True,
              help="Comma-separated: calls:write, calls:read, outcomes:write, "
              "customers:write, reviews:read, flags:read, machine:read, calibration:read.")
@click.option("--expires", default="90d", show_default=True,
              help="Lifetime: 90d, 12h, 8w, or 'never'.")
def create(email: str, name: str, scopes: str, expires: str) -> None:
    """Make a token and print it once: only its hash is kept."""
    from qa_app import db
    from qa_app.domain.api.tokens import TokenProblem
    from qa_app.store.imports.service import command_line_user
    from qa_app.store.tokens import create_token

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row, token = create_token(session, email, name, scopes, expires, command_line_user())
            expires_at = row.expires_at
    except TokenProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)
    when = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "never expires"
    click.echo(f"Token '{name}' for {email} ({scopes}); {when}. It is shown only now.",
               err=True)  # fmt: skip


@tokens.command("list")
@table_or_json_option
def list_tokens(output: str) -> None:
    """Every token: its number, start, user, scopes, state and last use (never the token)."""
    from qa_app import db
    from qa_app.store.tokens import all_tokens, state

    _app, engine = command_app()
    with db.transaction(engine) as session:
        rows = [
            {"id": t.id, "name": t.name, "starts": t.shown, "user": email, "scopes": t.scopes,
             "state": state(t), "created_at": t.created_at.isoformat(),
             "expires_at": t.expires_at.isoformat() if t.expires_at else None,
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
            for t, email in all_tokens(session)
        ]  # fmt: skip
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No API tokens yet: qa-app tokens create --user EMAIL --name NAME --scopes ...")
    for r in rows:
        click.echo(f"#{r['id']:<4} {r['starts']}…  {r['name']:<24} {r['user']:<28} "
                   f"{','.join(r['scopes']):<32} {r['state']:<8} last used "
                   f"{r['last_used_at'] or 'never'}")  # fmt: skip


@tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
def revoke(token_id: int) -> None:
    """Revoke a token at once (by its number in `qa-app tokens list`)."""
    from qa_app import db
    from qa_app.domain.api.tokens import TokenProblem
    from qa_app.store.imports.service import command_line_user
    from qa_app.store.tokens import revoke as revoke_token

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row = revoke_token(session, token_id, command_line_user())
            name = row.name
    except TokenProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked API token #{token_id} ('{name}'): it is refused from now on.")

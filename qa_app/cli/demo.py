"""``qa-app demo``: load the demo data set."""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.cli.support import command_app


@click.command("demo")
def demo() -> None:
    """Load the demo data set (calls, outcomes, reviews, a sampling plan, customers and their
    events, a user per role). Safe to run again."""
    from qa_app.domain.demo.calls import DEMO_USERS
    from qa_app.store.demo import load_demo

    app, engine = command_app()
    result = load_demo(engine, Path(app.config["RUBRICS_DIR"]))
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

"""``qa-app demo``: load the demo data set."""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.cli.support import command_app


@click.command("demo")
@click.option("--no-machine", is_flag=True,
              help="Leave out the machine rater (trained on the demo's reviews: ~10 s).")
def demo(no_machine: bool) -> None:
    """Load the demo data set (calls, outcomes, reviews, a sampling plan, customers and their
    events, a user per role) and a machine rater trained on its reviews that has scored
    every call. Safe to run again."""
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
    if not no_machine:
        _demo_machine(engine, app.config["RUBRIC_ID"])
    click.echo("Demo logins (password after the email):")
    for user in DEMO_USERS:
        click.echo(f"  {user.role:<9} {user.email:<24} {user.password}")


def _demo_machine(engine, rubric_id: str) -> None:
    """A machine model trained on the demo's reviews and every call scored, unless the demo
    already has a model."""
    from sqlmodel import Session

    from qa_app.domain.machine.stored import models_from_bytes
    from qa_app.domain.machine.training import DEFAULT_MIN_PER_POINT
    from qa_app.store.machine import newest_model, score_unscored, train_and_store

    with Session(engine) as db:
        model = newest_model(db, kind="trained")
    if model is None:
        model, key = train_and_store(
            engine, None, rubric_id, None, None, DEFAULT_MIN_PER_POINT, 0, "demo"
        )
        alphas = [f["alpha"] for f in model.metrics["dimensions"].values() if f["alpha"]]
        click.echo(
            f"Machine rater trained on {model.training_calls} demo reviews of {key}: alpha "
            f"{min(alphas):.2f} to {max(alphas):.2f} against people on calls it never saw."
        )
    scored = score_unscored(engine, model, models_from_bytes(model.content), None, None)
    if scored:
        click.echo(f"Machine rater scored {scored} calls.")

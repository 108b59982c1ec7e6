"""``qa-app machine train|score|evaluate``: the machine rater, trained on the team's reviews."""

from __future__ import annotations

import json
import sys

import click

from qa_app.cli.support import DAY, command_app, table_or_json_option

DEFAULT_MIN_PER_POINT = 5  # qa_app.domain.machine.training's (a test keeps them equal)


@click.group("machine")
def machine_group() -> None:
    """The machine rater: a model per rubric dimension, trained on your own reviews.

    It is measured like any other rater (alpha against people, on calls it was not
    trained on), its scores are kept apart from human reviews, and reviewers see them only
    after submitting their own.
    """


def _period_options(command):
    command = click.option("--until", type=DAY, help="Calls started on or before this day.")(
        command
    )
    return click.option("--since", type=DAY, help="Calls started on or after this day.")(command)


@machine_group.command("train")
@click.option("--rubric", "rubric_key", default=None,
              help="Rubric version as ID@VERSION (default: the one the period's reviews used).")
@_period_options
@click.option("--min-per-point", type=click.IntRange(min=2), default=DEFAULT_MIN_PER_POINT,
              show_default=True,
              help="Reviewed calls needed at every score point of every dimension.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The same reviews and seed give the same model.")
def train(rubric_key, since, until, min_per_point, seed) -> None:
    """Train a model on the period's reviewed calls and store it as the next version.

    Each call's label is people's final score (the consensus where a calibration session
    set one). Every call is also scored by a model trained without it (5-fold
    cross-validation by call), and those scores are compared with people's: the figures
    `qa-app machine evaluate` shows.
    """
    from qa_app.domain.machine.training import TrainingError
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.imports.service import command_line_user
    from qa_app.store.machine import train_and_store

    app, engine = command_app()
    since_day, until_day = (since.date() if since else None), (until.date() if until else None)
    try:
        model, key = train_and_store(
            engine, rubric_key, app.config["RUBRIC_ID"], since_day, until_day,
            min_per_point, seed, command_line_user(),
            started=lambda calls, key: click.echo(f"Training on {calls} reviewed calls of "
                                                  f"{key}…", err=True),
        )  # fmt: skip
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except TrainingError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            "not enough reviewed calls to train on; nothing was stored. Review more calls, "
            "widen --since/--until, or lower --min-per-point."
        ) from None
    click.echo(f"Stored machine model {key} v{model.version} ({model.training_calls} calls).")
    for dimension, figures in model.metrics["dimensions"].items():
        click.echo(f"  {dimension}: {_alpha_text(figures)}; {_people_text(figures)}")


def _alpha_text(figures: dict) -> str:
    if figures["alpha"] is None:
        return f"alpha undefined ({figures['reason']})"
    ci = figures["ci"]
    interval = f" (95% interval {ci[0]:.2f} to {ci[1]:.2f})" if ci else ""
    return (
        f"alpha {figures['alpha']:.2f}{interval} against people; exact "
        f"{100 * figures['exact']:.0f}%, within one {100 * figures['within_one']:.0f}%"
    )


def _people_text(figures: dict) -> str:
    if figures.get("human_alpha") is None:
        return "people with each other: no double reviews in the period"
    ci = figures.get("human_ci")
    interval = f" ({ci[0]:.2f} to {ci[1]:.2f})" if ci else ""
    return (
        f"people with each other: alpha {figures['human_alpha']:.2f}{interval} over "
        f"{figures['human_calls']} double-reviewed calls"
    )


@machine_group.command("score")
@_period_options
@click.option("--external", is_flag=True,
              help="Ask your own language model instead of the trained one: an "
              "OpenAI-compatible endpoint at QA_APP_MACHINE_URL, model QA_APP_MACHINE_MODEL, key "
              "QA_APP_MACHINE_KEY (optional).")
@click.option("--rubric", "rubric_key", default=None,
              help="With --external: the rubric version as ID@VERSION (default: the newest).")
def score(since, until, external, rubric_key) -> None:
    """Score the period's calls the newest model has not scored yet.

    Scores are written in batches (500 calls, 20 with --external): stopped part way, the
    next run carries on. An external model's answer that does not fit the schema (a score
    per dimension on the scale, evidence turn numbers, a one-line reason) is recorded as a
    failure, never guessed.
    """
    from sqlmodel import Session
    from tqdm import tqdm

    from qa_app.domain.machine.stored import ModelRefused, models_from_bytes
    from qa_app.store.machine import newest_model, score_unscored, unscored_count

    app, engine = command_app()
    since_day, until_day = (since.date() if since else None), (until.date() if until else None)
    if external:
        _score_external(app, engine, rubric_key, since_day, until_day)
        return
    with Session(engine, expire_on_commit=False) as db:
        model = newest_model(db, kind="trained")
        if model is None:
            raise click.ClickException("no machine model yet; run `qa-app machine train` first")
        remaining = unscored_count(db, model, since_day, until_day)
    try:
        models = models_from_bytes(model.content)
    except ModelRefused as exc:
        raise click.ClickException(str(exc)) from None
    with tqdm(total=remaining, file=sys.stderr, delay=1.5, leave=False, unit="call") as bar:
        done = score_unscored(engine, model, models, since_day, until_day, bar.update)
    click.echo(f"Scored {done} calls with machine model v{model.version}.")


def _score_external(app, engine, rubric_key, since_day, until_day) -> None:
    import os

    from sqlmodel import Session
    from tqdm import tqdm

    from qa_app.db import transaction
    from qa_app.store.flags.rows import ExportError, choose_rubric
    from qa_app.store.imports.service import command_line_user
    from qa_app.store.machine import unscored_count
    from qa_app.store.machine.external import chat_poster, external_model, score_with_external
    from qa_app.store.reviews.queue import CallFilters
    from qa_app.store.rubrics import rubric_from_row

    url = (os.environ.get("QA_APP_MACHINE_URL") or "").strip()
    name = (os.environ.get("QA_APP_MACHINE_MODEL") or "").strip()
    if not url or not name:
        raise click.ClickException(
            "--external needs QA_APP_MACHINE_URL (e.g. http://127.0.0.1:8000/v1) and "
            "QA_APP_MACHINE_MODEL (the model's name at that endpoint)"
        )
    with transaction(engine) as db:
        try:
            row = choose_rubric(db, CallFilters(since=since_day, until=until_day), rubric_key,
                                app.config["RUBRIC_ID"])  # fmt: skip
        except ExportError as exc:
            raise click.ClickException(str(exc)) from None
        model = external_model(db, row, url, name, command_line_user())
        db.expunge(model)
    with Session(engine) as db:
        remaining = unscored_count(db, model, since_day, until_day)
    post = chat_poster(url, os.environ.get("QA_APP_MACHINE_KEY"))
    with tqdm(total=remaining, file=sys.stderr, delay=1.5, leave=False, unit="call") as bar:
        scored, failed = score_with_external(
            engine, model, rubric_from_row(row), post, since_day, until_day, bar.update
        )
    click.echo(f"Scored {scored} calls with {name} (machine model v{model.version}); "
               f"{failed} answers did not fit and were recorded as failures.")  # fmt: skip


@machine_group.command("evaluate")
@table_or_json_option
def evaluate(output) -> None:
    """How the newest model agrees with people, per dimension, on calls it never saw.

    Alpha (ordinal, with its 95% interval) between the machine's held-out score and
    people's final score, exact and within-one agreement, the confusion matrix, and the
    same alpha by channel, interaction type and tenure band (segments where the machine
    is clearly worse are marked).
    """
    from sqlmodel import Session

    from qa_app.models import RubricVersion
    from qa_app.store.machine import newest_model

    _app, engine = command_app()
    with Session(engine) as db:
        model = newest_model(db, kind="trained")
        if model is None:
            raise click.ClickException("no machine model yet; run `qa-app machine train` first")
        rubric_key = db.get(RubricVersion, model.rubric_pk).key
    summary = {
        "model": {
            "version": model.version, "rubric": rubric_key,
            "created_at": model.created_at.isoformat(), "training_calls": model.training_calls,
            "training_hash": model.training_hash, "seed": model.seed,
            "libraries": model.libraries, "method": model.metrics.get("method"),
        },
        "dimensions": model.metrics.get("dimensions", {}),
    }  # fmt: skip
    if output == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    method = summary["model"]["method"]
    click.echo(f"Machine model {rubric_key} v{model.version}, trained on "
               f"{model.training_calls} reviewed calls ({method}).")  # fmt: skip
    for dimension, figures in summary["dimensions"].items():
        click.echo(f"\n{dimension}: {_alpha_text(figures)}; {figures['n_calls']} calls")
        click.echo(f"  {_people_text(figures)}")
        for part in figures["segments"]:
            mark = {True: "  ← worse than overall", None: "  (too few calls to judge)"}.get(
                part["worse"], ""
            )
            click.echo(f"  {part['field']} = {part['value']}: {_alpha_text(part)}; "
                       f"{part['n_calls']} calls{mark}")  # fmt: skip


@machine_group.command("visibility")
@click.argument("rubric_id")
@click.argument("choice", type=click.Choice(("after-submit", "hidden")))
def visibility(rubric_id: str, choice: str) -> None:
    """Whether reviewers see RUBRIC_ID's machine scores once they have submitted their own
    review (after-submit, the default) or not at all (hidden). Never before submitting."""
    from sqlmodel import Session, select

    from qa_app.models import RubricVersion
    from qa_app.store.imports.service import command_line_user
    from qa_app.store.machine import set_shown_after_submit

    _app, engine = command_app()
    with Session(engine) as db:
        known = sorted({r.rubric_id for r in db.exec(select(RubricVersion))})
        if rubric_id not in known:
            raise click.ClickException(
                f"unknown rubric '{rubric_id}'; loaded: {', '.join(known) or 'none'}"
            )
        changed = set_shown_after_submit(
            db, rubric_id, choice == "after-submit", None, command_line_user()
        )
        db.commit()
    shown = "after they submit" if choice == "after-submit" else "never"
    click.echo(f"Reviewers see {rubric_id}'s machine scores {shown}"
               f"{'' if changed else ' (unchanged)'}.")  # fmt: skip

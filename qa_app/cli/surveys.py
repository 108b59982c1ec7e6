"""``qa-app survey``: check survey files, write per-call survey links, compare with QA scores."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa_app.cli.support import (
    DAY,
    check_output_path,
    command_app,
    import_options,
    replace_option,
    run_import,
)


@click.group("survey")
def survey_group() -> None:
    """Customer surveys that speak the rubric's language (items mapped to dimensions)."""


@survey_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def survey_check(paths: tuple[Path, ...]) -> None:
    """Validate survey files; print one line per problem (file:line) and exit 1 if any.

    Without PATHS, checks the survey files qa_app uses: those in QA_APP_SURVEYS_DIR, or the
    ones shipped with qa_app. Each item's dimension is checked against the survey's rubric.
    """
    from qa_app.domain.surveys.definition import check_survey_file, survey_files
    from qa_app.store.surveys.files import rubric_dimensions, surveys_dir

    paths = paths or tuple(survey_files(surveys_dir()))
    if not paths:
        raise click.ClickException(f"no survey files (*.toml) in {surveys_dir()}")
    dimensions = rubric_dimensions()
    problems = [problem for path in paths for problem in check_survey_file(path, dimensions)]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(paths)} file(s).", err=True)
        sys.exit(1)
    click.echo(f"{len(paths)} survey file(s) OK.")


LINK_COLUMNS = (
    "call_id",
    "customer_id",
    "channel",
    "interaction_type",
    "started_at",
    "survey",
    "url",
    "expires_at",
)


@survey_group.command("links")
@click.option("--since", type=DAY, required=True, help="Calls started on or after this day.")
@click.option("--until", type=DAY, required=True, help="Calls started on or before this day.")
@click.option(
    "--interaction-type",
    "interaction_types",
    multiple=True,
    help="Only calls of this interaction type (repeat for several).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV file to write (FILE.csv).",
)
@click.option(
    "--survey",
    "survey_name",
    default=None,
    help="Survey id or id@version (default: customer-empathy).",
)
@click.option(
    "--base-url",
    default="",
    help="Start of the links, e.g. https://qa.example.com (default: paths only, /survey/TOKEN).",
)
@click.option(
    "--days-valid", type=click.IntRange(1, 365), default=14, show_default=True,
    help="Days a link can be answered.",
)  # fmt: skip
def survey_links(
    since, until, interaction_types, out: Path, survey_name, base_url: str, days_valid: int
) -> None:
    """Write a survey link per call to hand to whatever sends them (CSV).

    One row per call that started in the period and has no answers yet: call_id,
    customer_id, channel, interaction_type, started_at, survey, url, expires_at. Nothing
    about the call's QA scores is in the file or behind the link. Only a hash of each
    token is stored: running the command again gives unanswered calls a new link (the old
    one stops working) with the same item order.
    """
    import csv
    from datetime import UTC, timedelta

    from qa_app.db import transaction
    from qa_app.domain.files.spreadsheet_safety import protect_formula
    from qa_app.domain.surveys.definition import SurveyError
    from qa_app.store.surveys.files import find_survey
    from qa_app.store.surveys.responses import issue_links

    if until < since:
        raise click.ClickException(f"--until {until:%Y-%m-%d} is before --since {since:%Y-%m-%d}")
    check_output_path(out)
    try:
        survey = find_survey(survey_name)
    except SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    _app, engine = command_app()
    start = since.replace(tzinfo=UTC)
    end = until.replace(tzinfo=UTC) + timedelta(days=1)
    with transaction(engine) as db:
        issued, skipped = issue_links(
            db, survey, start, end, interaction_types, days_valid=days_valid
        )
        prefix = base_url.rstrip("/")
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(LINK_COLUMNS)
            for link in issued:
                cells = (
                    link.call_id,
                    link.customer_id or "",
                    link.channel or "",
                    link.interaction_type or "",
                    link.started_at.strftime("%Y-%m-%dT%H:%M:%SZ") if link.started_at else "",
                    link.survey,
                    f"{prefix}/survey/{link.token}",
                    link.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                )
                writer.writerow([protect_formula(str(c)) for c in cells])
    click.echo(
        f"Wrote {len(issued)} survey link(s) ({survey.key}) to {out}; "
        f"{skipped} call(s) already answered were left out."
    )


# `qa-app import survey`: added to the import group by cli/main.py.
@click.command("survey")
@import_options
@replace_option
def import_survey(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import customer survey answers collected elsewhere (CSV or XLSX), one per row.

    Columns: call_id, item (felt_understood, acknowledged_situation, clear_next_steps
    for the shipped survey), score (a point of the survey's scale), optional position
    (1-based order the item was shown in), comment, responded_at (ISO 8601) and survey
    (id or id@version; default customer-empathy). Unknown calls and items are row
    errors; a stored answer the file changes is refused unless --replace.
    """
    run_import("survey", file, skip_invalid, rejects, dry_run, replace=replace)


@survey_group.command("compare")
@click.option("--item", required=True, help="Survey item id, e.g. felt_understood.")
@click.option(
    "--dimension",
    default=None,
    help="Rubric dimension to hold it against (default: the one the item is mapped to).",
)
@click.option("--since", type=DAY, help="Calls started on or after this day.")
@click.option("--until", type=DAY, help="Calls started on or before this day.")
@click.option(
    "--survey",
    "survey_name",
    default=None,
    help="Survey id or id@version (default: customer-empathy).",
)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def survey_compare(item, dimension, since, until, survey_name, output) -> None:
    """Does QA's scale mean what the customers' scale means? One item against one dimension.

    For calls with both a QA final score on the dimension and a customer answer to the item:
    the cross-table, Spearman's rank correlation with a 95% bootstrap interval (BCa, seeded),
    and the calls where they disagree most (QA in its top two points and the customer in the
    bottom two, or the reverse). An association, not an effect.
    """
    import json

    from qa_app.db import transaction
    from qa_app.domain.surveys.compare import ASSOCIATION
    from qa_app.domain.surveys.definition import SurveyError
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.reviews.queue import CallFilters
    from qa_app.store.surveys.files import find_survey
    from qa_app.store.surveys.queries import comparison

    try:
        survey = find_survey(survey_name)
        mapped = survey.item(item).dimension
    except SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyError:
        items = ", ".join(i.id for i in survey.items)
        raise click.ClickException(f"no item '{item}' in {survey.key} ({items})") from None
    filters = CallFilters(
        since=since.date() if since else None, until=until.date() if until else None
    )
    if filters.date_problem():
        raise click.ClickException(filters.date_problem())
    _app, engine = command_app()
    try:
        with transaction(engine) as db:
            result = comparison(db, survey, item, dimension or mapped, filters)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyError:
        raise click.ClickException(
            f"'{dimension}' is not a dimension of rubric '{survey.rubric}'"
        ) from None
    if output == "json":
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    _echo_table(result, ASSOCIATION)


def _echo_table(result, note: str) -> None:
    click.echo(f"{result.item} (customer) × {result.dimension} (QA final score): n = {result.n}")
    if result.spearman is not None:
        interval = f" [95% interval {result.ci[0]:.2f} to {result.ci[1]:.2f}]" if result.ci else ""
        click.echo(f"Spearman's rank correlation {result.spearman:.2f}{interval}")
    points = sorted({c for row in result.crosstab.values() for c in row}, key=float)
    if points:
        click.echo("QA \\ customer " + "".join(f"{p:>6}" for p in points))
        for qa, row in sorted(result.crosstab.items(), key=lambda kv: float(kv[0])):
            click.echo(f"{qa:>13} " + "".join(f"{row.get(p, 0):>6}" for p in points))
    if result.qa_high_customer_low:
        click.echo("QA high, customer low: " + ", ".join(result.qa_high_customer_low))
    if result.qa_low_customer_high:
        click.echo("QA low, customer high: " + ", ".join(result.qa_low_customer_high))
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    click.echo(note)

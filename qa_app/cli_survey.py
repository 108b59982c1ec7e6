"""``qa-app survey``: check survey files, write per-call survey links, compare with QA scores."""

from __future__ import annotations

import sys
from pathlib import Path

import click


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
    from qa_app.customer_survey_files import rubric_dimensions, surveys_dir
    from qa_app.domain.customer_survey import check_survey_file, survey_files

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

"""``qa-app rubric``: check rubric files and register them in the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa_app.cli.support import command_app


@click.group("rubric")
def rubric() -> None:
    """Check and load rubric files."""


def _rubrics_dir() -> Path:
    """The configured rubric folder (QA_APP_RUBRICS_DIR), else the shipped rubrics; no app."""
    import os

    from qa_app.resources import shipped_rubrics_dir

    configured = os.environ.get("QA_APP_RUBRICS_DIR")
    return Path(configured) if configured else shipped_rubrics_dir()


@rubric.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rubric_check(paths: tuple[Path, ...]) -> None:
    """Validate rubric files; print one line per problem and exit 1 if any.

    Without PATHS, checks the rubric files qa_app uses: those in QA_APP_RUBRICS_DIR, or the
    ones shipped with qa_app.
    """
    from qa_app.domain.rubrics.definitions import check_rubric_file
    from qa_app.store.rubrics import rubric_files

    paths = paths or tuple(rubric_files(_rubrics_dir()))
    if not paths:
        raise click.ClickException(f"no rubric files (*.toml) in {_rubrics_dir()}")
    problems = [problem for path in paths for problem in check_rubric_file(path)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(paths)} file(s).", err=True)
        sys.exit(1)
    click.echo(f"{len(paths)} rubric file(s) OK.")


@rubric.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def rubric_load(paths: tuple[Path, ...]) -> None:
    """Register rubric versions in the database (a changed file needs a version bump).

    Without PATHS, loads the rubric files in QA_APP_RUBRICS_DIR, or the ones shipped with
    qa_app (`qa-app db upgrade` does this too).
    """
    app, engine = command_app()
    load_rubrics(app, engine, paths)


def load_rubrics(app, engine, paths: tuple[Path, ...]) -> None:
    """Register ``paths`` (default: the app's rubric folder) in one transaction; report each."""
    from qa_app import db
    from qa_app.domain.rubrics.definitions import RubricError
    from qa_app.store.rubrics import RubricVersionConflict, register_rubric_files, rubric_files

    paths = paths or tuple(rubric_files(Path(app.config["RUBRICS_DIR"])))
    if not paths:
        raise click.ClickException(f"no rubric files (*.toml) in {app.config['RUBRICS_DIR']}")
    try:
        with db.transaction(engine) as session:
            results = register_rubric_files(session, list(paths))
    except (RubricError, RubricVersionConflict) as exc:
        raise click.ClickException(str(exc)) from None
    for row, created in results:
        click.echo(f"rubric {row.key}: {'loaded' if created else 'already loaded, unchanged'}")

"""``qa-app agreement``: inter-rater agreement for a ratings file, no database needed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

# Copies of qa_app.domain.agreement's constants (a test keeps them equal): importing that
# package loads NumPy, which `qa-app --help` should not wait for.
LEVELS = ("nominal", "ordinal", "interval", "ratio")
BOOTSTRAP_METHODS = ("units", "krippendorff")
DEFAULT_REPLICATES = 2000


@click.command("agreement")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default="ordinal",
    show_default=True,
    help="Level of measurement of the values.",
)
@click.option(
    "--bootstrap",
    "replicates",
    type=click.IntRange(min=100),
    is_flag=False,
    flag_value=DEFAULT_REPLICATES,
    default=None,
    help=f"Bootstrap a 95% interval and q with N replicates "
    f"(--bootstrap alone: {DEFAULT_REPLICATES}).",
)
@click.option(
    "--bootstrap-method",
    type=click.Choice(BOOTSTRAP_METHODS),
    default="units",
    show_default=True,
    help="units: calls, whole with all their dimensions for overall (interval: alpha ± t "
    "× the jackknife standard error over calls; q from resampled calls); krippendorff: "
    "the KALPHA macro's bootstrap of pairable values, for "
    "comparison with Krippendorff's macro; not a confidence interval.",
)
@click.option(
    "--scale",
    metavar="MIN-MAX",
    default=None,
    help="The rubric's scale, e.g. 1-5 or 1-7: AC2 counts every point of it as a category "
    "(as the calibration dashboard does) and values off it are refused. Without it, the "
    "categories are the values that occur in the file.",
)
@click.option(
    "--seed", type=int, default=None, help="Random seed: the same seed, the same interval."
)
@click.option(
    "--format",
    "output",
    type=click.Choice(("table", "json", "csv")),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--units",
    is_flag=True,
    help="Add the per-unit diagnostics: every unit in the table, unit_diagnostics in JSON "
    "(without it the table shows the 10 units to discuss first and JSON has none).",
)
def agreement(
    file: Path,
    level: str,
    replicates: int | None,
    bootstrap_method: str,
    scale: str | None,
    seed: int | None,
    output: str,
    units: bool,
) -> None:
    """Krippendorff's alpha, AC2 and percent agreement for a ratings file (CSV or XLSX).

    \b
    Columns: unit, rater, value, and optionally dimension (without it, one
    dimension named value). Other names are read too, so a calibration
    session's ratings CSV works as it is:
      call_id                  is read as unit
      participant or reviewer  is read as rater
      score                    is read as value
    A blank value is missing; NA or N/A is not applicable; both are left out.
    """
    import csv
    import json

    from qa_app.domain.agreement import RatingsError, compute_agreement, ratings_from_table
    from qa_app.domain.agreement.formatting import (
        CSV_COLUMNS,
        UNITS_SHOWN,
        csv_rows,
        format_table,
    )
    from qa_app.domain.files.csv_readers import read_columns
    from qa_app.domain.files.tables import FileProblem

    points = parse_scale(scale) if scale else None
    try:
        table = read_columns(file, {"csv", "xlsx"})
        ratings = ratings_from_table(table, level)
    except FileProblem as exc:
        raise click.ClickException(str(exc)) from None
    except RatingsError as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing was computed.") from None
    if ratings.empty:
        raise click.ClickException(f"{file.name}: no ratings in the file")
    try:
        report = compute_agreement(
            ratings, level, replicates or 0, seed, bootstrap_method, scale=points
        )
    except RatingsError as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing was computed.") from None
    if output == "json":
        click.echo(json.dumps(report.as_dict(units=units), indent=2, allow_nan=False))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(csv_rows(report))
    else:
        click.echo(format_table(report, None if units else UNITS_SHOWN))


def parse_scale(text: str) -> list[int]:
    """``1-5`` → [1, 2, 3, 4, 5]; a usage error for anything else."""
    low, dash, high = text.strip().partition("-")
    if not (dash and low.strip().isdigit() and high.strip().isdigit()):
        raise click.BadParameter(f"'{text}' is not MIN-MAX, e.g. 1-5", param_hint="--scale")
    points = list(range(int(low), int(high) + 1))
    if len(points) < 2:
        raise click.BadParameter(f"'{text}' needs MIN below MAX", param_hint="--scale")
    return points

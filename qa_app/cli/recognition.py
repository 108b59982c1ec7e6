"""``qa-app outreach board``: the team board of relationship-driven wins (issue 15).

Registered under the ``outreach`` group by qa_app.cli.main; the domain code and the database are
imported inside the command so ``qa-app --help`` stays light.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli.support import as_of_option, check_output_path, command_app, table_or_json_option


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f}%"


def _money(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _interval(pair: tuple[float, float] | None, signed: bool = False) -> str:
    """A 95% interval in percent (points when ``signed``), or a dash when there is none."""
    if pair is None:
        return "—"
    if signed:
        return f"{100 * pair[0]:+.1f} to {100 * pair[1]:+.1f}"
    return f"{100 * pair[0]:.1f}–{100 * pair[1]:.1f}%"


def _print_table(board) -> None:
    from qa_app.domain.recognition.board import ASSOCIATION_NOTE, SMALL_NUMBER

    click.echo(
        f"Team board {board.quarter} (against {board.previous_quarter}), as of "
        f"{board.as_of.isoformat()}: customers retained {board.follow_up_days} days after an "
        "alert worked or a save call."
    )
    if not board.rows:
        click.echo("No alert worked and no save call in either quarter.")
        return
    click.echo(
        f"{'team':<20} {'customers':>9} {'follow-up':>9} {'retained':>11} {'rate':>7} "
        f"{'95% CI':>13} {'Δ rate':>10} {'Δ 95% CI (pp)':>16} {'no credit':>9} "
        f"{'credit/ret.':>11} {'Δ credit/ret.':>13}"
    )
    for row in board.rows:
        now = row.current
        click.echo(
            f"{row.team[:20]:<20} {now.customers:>9} {now.in_follow_up:>9} "
            f"{f'{now.retained}/{now.followed_up}':>11} {_percent(now.retention_rate):>7} "
            f"{_interval(now.retention_ci):>13} {_percent(row.rate_change, True):>10} "
            f"{_interval(row.rate_change_ci, True):>16} {now.retained_without_credit:>9} "
            f"{_money(now.credit_per_retained):>11} "
            f"{_money(row.credit_per_retained_change, True):>13}"
        )
        for note in row.notes:
            click.echo(f"{'':<20} note: {note}")
    click.echo(
        f"95% CI: Wilson interval of the rate; Δ 95% CI: Newcombe interval of the change in "
        f"percentage points; none with fewer than {SMALL_NUMBER} followed-up customers."
    )
    click.echo(ASSOCIATION_NOTE)


@click.command("board")
@click.option("--quarter", help="The quarter, e.g. 2026Q3 (default: the latest one followed up).")
@as_of_option("The day the board is as of (default: today, UTC).")
@click.option("--sort", "sort", default="team", show_default=True, help="Column to sort by.")
@click.option(
    "--dir",
    "direction",
    type=click.Choice(("asc", "desc")),
    help="Sort direction (default: A to Z for team, largest first otherwise).",
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the board to this XLSX file.",
)
@table_or_json_option
def board(quarter, as_of, sort, direction, xlsx_path, output) -> None:
    """Team board of relationship-driven wins: per team, customers retained 90 days after an
    alert worked or a save call, how many without any credit, credit per retained customer,
    each against the team's previous quarter. An association, not proof of cause."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from qa_app.domain.recognition.board import (
        COLUMNS,
        Quarter,
        RecognitionError,
        check_as_of,
        default_quarter,
    )
    from qa_app.store.recognition import team_board

    today = datetime.now(UTC).date()
    day = as_of.date() if as_of else today
    try:
        check_as_of(day, today)
    except RecognitionError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        chosen = Quarter.parse(quarter) if quarter else default_quarter(day)
    except RecognitionError as exc:
        raise click.ClickException(str(exc)) from None
    if sort not in COLUMNS:
        raise click.ClickException(
            f"--sort: '{sort[:40]}' is not a column; choose one of {', '.join(COLUMNS)}"
        )
    if xlsx_path is not None:
        check_output_path(xlsx_path)
    _app, engine = command_app()
    with Session(engine) as db:
        result = team_board(db, chosen, day, sort, direction)
    if xlsx_path is not None:
        from qa_app.domain.recognition.sheet import board_xlsx

        xlsx_path.write_bytes(board_xlsx(result))
    if output == "json":
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_table(result)
        if xlsx_path is not None:
            click.echo(f"Wrote {xlsx_path}.")

"""``qa-app export flags`` and ``qa-app outcomes compare``: the coach's spreadsheets and numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_app.cli.support import DAY, check_output_path, command_app, table_or_json_option

if TYPE_CHECKING:
    from qa_app.store.reviews.queue import CallFilters

BY_CHOICES = ("save_script", "channel", "interaction_type", "team", "queue")
# qa_app.store.flags.exports.FORMATS (a test keeps them equal); that module loads SQLAlchemy and
# openpyxl, so the commands import it only when they run.
FORMATS = ("xlsx", "csv")
FINISHED_PARTIAL_AGE = 60.0  # seconds


def filter_options(command):
    """The call filters shared by every export command."""
    options = [
        click.option("--since", type=DAY, help="Calls started on or after this day (YYYY-MM-DD)."),
        click.option(
            "--until", type=DAY, help="Calls started on or before this day (YYYY-MM-DD)."
        ),
        click.option("--queue", default="", help="Only this queue."),
        click.option("--team", default="", help="Only this team."),
        click.option("--channel", default="", help="Only this channel."),
        click.option("--interaction-type", default="", help="Only this interaction type."),
        click.option("--save-script", default="", help="Only this save script."),
        click.option(
            "--rubric",
            "rubric_key",
            default=None,
            help="Rubric version as ID@VERSION (needed when a period mixes versions).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(options: dict) -> CallFilters:
    from qa_app.store.reviews.queue import CallFilters

    return CallFilters(
        queue=options["queue"],
        interaction_type=options["interaction_type"],
        channel=options["channel"],
        team=options["team"],
        save_script=options["save_script"],
        since=options["since"].date() if options["since"] else None,
        until=options["until"].date() if options["until"] else None,
    )


@click.group("export")
def export_group() -> None:
    """Export spreadsheets for coaches."""


@export_group.command("flags")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="xlsx or csv (default: from the --out extension, else xlsx).",
)
@click.option(
    "--outcome",
    default=None,
    help="Outcome for the Comparison sheet (default: saved, else the first boolean).",
)
@filter_options
def export_flags_command(
    out: Path, file_format: str | None, outcome: str | None, rubric_key, **options
) -> None:
    """Write the flag spreadsheet: one row per reviewed call with final scores, flags, weight
    and outcomes, plus Data dictionary, About and Comparison sheets (XLSX)."""
    from tqdm import tqdm

    from qa_app.store.flags.exports import export_flags
    from qa_app.store.flags.rows import ExportError

    file_format = file_format or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    check_output_path(out)
    app, engine = command_app()

    def progress(total):
        return tqdm(total=total, unit="call", delay=1.5, file=sys.stderr, leave=False)

    # Written beside the target and renamed at the end: a failed export leaves an earlier
    # file of the same name as it was.
    from qa_app.scratch import partial_path, remove_stale_partials

    remove_stale_partials(out)  # what an earlier, killed export of this file left
    partial = partial_path(out)
    try:
        if file_format == "csv":
            handle = partial.open("w", encoding="utf-8", newline="")
        else:
            handle = partial.open("wb")
        with handle:
            summary = export_flags(
                engine,
                _filters(options),
                file_format,
                handle,
                rubric_key,
                app.config["RUBRIC_ID"],
                outcome,
                progress,
            )
        partial.replace(out)
        # A killed export's partial file younger than the usual six hours: this export got
        # through, so one untouched for a minute by a process that is gone is garbage too.
        remove_stale_partials(out, older_than=FINISHED_PARTIAL_AGE)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Wrote {summary.rows} call(s) under {summary.rubric_key} to {out}.")


@click.group("outcomes")
def outcomes_group() -> None:
    """Compare outcomes across save scripts with and without behaviour flags."""


def _number(value, percent: bool) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if percent else f"{value:.2f}"


def _interval(ci, percent: bool) -> str:
    return f"[{_number(ci[0], percent)}, {_number(ci[1], percent)}]" if ci else "—"


# Each difference is printed with its own interval, so a weighted figure never sits beside
# the unweighted one's interval.
DIFFERENCES = (
    ("crude", "difference", "ci"),
    ("weighted", "weighted_difference", "weighted_ci"),
    ("standardised", "standardized_difference", "standardized_ci"),
    ("adjusted", "adjusted_difference", "adjusted_ci"),
)


def _table(groups: list[dict], by: str, percent: bool, credit: bool) -> list[str]:
    from qa_app.domain.flags.comparison_groups import SMALL_CELL

    shown = [d for d in DIFFERENCES if any(g.get(d[1]) is not None for g in groups)]
    credit_header = f" {'cr/save':>8} {'cr/s w/o':>8}" if credit else ""
    lines = [
        f"{by:<18} {'flag':<22} {'n with':>6} {'with':>8} {'w.with':>8} {'n w/o':>6} "
        f"{'w/o':>8} {'w.w/o':>8}{credit_header}"
        + "".join(f"  {name + ' (95%)':<27}" for name, _d, _c in shown)
    ]
    notes = []
    for group in groups:
        note = f"  too small (effective n <{SMALL_CELL})" if group["too_small"] else ""
        credits = ""
        if credit:
            credits = "".join(
                f" {_number(group[side].get('weighted_credit_per_save'), False):>8}"
                for side in ("with", "without")
            )
        differences = "".join(
            f"  {_number(group.get(key), percent) + ' ' + _interval(group.get(ci), percent):<27}"
            for _name, key, ci in shown
        )
        lines.append(
            f"{str(group[by])[:18]:<18} {group['flag'][:22]:<22} {group['with']['n']:>6} "
            f"{_number(group['with']['value'], percent):>8} "
            f"{_number(group['with']['weighted_value'], percent):>8} {group['without']['n']:>6} "
            f"{_number(group['without']['value'], percent):>8} "
            f"{_number(group['without']['weighted_value'], percent):>8}{credits}"
            f"{differences}{note}"
        )
        notes += [f"  ! {group[by]} / {group['flag']}: {w}" for w in group.get("warnings", [])]
    return lines + notes


def format_comparison(report: dict) -> str:
    """The comparison as text tables: by save script, then each equity cut's segments."""
    from qa_app.domain.flags.comparison_sheet import CUT_LABELS, has_credit

    percent = report["value_is"] == "rate"
    by = report["by"]
    credit = has_credit(report["groups"])
    lines = [
        f"{report['outcome']} ({report['value_is']}) by {by} and flag · rubric "
        f"{report['rubric']} · weighting: {report['weighting']}",
        report["association_note"],
        "crude: the reviewed calls as they are · weighted: to the interaction mix (the "
        "population's difference, confounding included) · standardised: differences within "
        "each interaction type, averaged over the mix · adjusted: regression on interaction "
        "type, tenure and channel. Each figure is followed by its own 95% interval.",
    ]
    if credit:
        lines.append(
            "cr/save: weighted credit per save (all credit on that side / customers saved)"
        )
    lines += _table(report["groups"], by, percent, credit)
    for cut in report["equity"]:
        lines += ["", f"{CUT_LABELS.get(cut['cut'], cut['cut'])}: {cut['segment']}"]
        lines += _table(cut["groups"], by, percent, credit)
    return "\n".join(lines)


@outcomes_group.command("compare")
@click.option("--outcome", required=True, help="Outcome name, e.g. saved or callback_30d.")
@click.option("--flag", "flags", multiple=True, help="A flag to compare (repeat; default: all).")
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    default="save_script",
    show_default=True,
    help="Group calls by this field.",
)
@table_or_json_option
@filter_options
def compare_command(
    outcome: str, flags: tuple[str, ...], by: str, output: str, rubric_key, **options
) -> None:
    """Outcome rate (or mean) with and without each flag, per save script, weighted to the mix."""
    from qa_app.store.flags.exports import compare_outcomes
    from qa_app.store.flags.rows import ExportError

    app, engine = command_app()
    try:
        report = compare_outcomes(
            engine, _filters(options), outcome, list(flags), by, rubric_key, app.config["RUBRIC_ID"]
        )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(report, indent=2, allow_nan=False, default=str))
    else:
        click.echo(format_comparison(report))

"""``qa-app survival``: do customers whose first reviewed call had a flag stay longer?"""

from __future__ import annotations

import json

import click

from qa_app.cli.support import as_of_option, command_app, table_or_json_option

# qa_app.domain.survival.cohorts.COHORTS and qa_app.domain.survival.analysis.BY_CHOICES
# (tests/views/test_survival_page.py keeps them equal); those modules are light, but the CLI
# module list stays explicit.
COHORTS = ("onboarding", "renewal", "incident")
BY_CHOICES = ("segment", "channel", "interaction_type")


def _fmt(value, pattern: str = "{:.1f}") -> str:
    return "—" if value is None else pattern.format(value)


def _interval(pair, pattern: str = "{:.1f}") -> str:
    if not pair or all(v is None for v in pair):
        return "—"
    return f"[{_fmt(pair[0], pattern)}, {_fmt(pair[1], pattern) if pair[1] is not None else '∞'}]"


def _echo_comparison(part: dict, indent: str = "") -> None:
    click.echo(f"{indent}group     n  ended  median days  95% interval   S(90)  S(180)  S(365)")
    for g in part["groups"]:
        s = g["survival"]
        click.echo(
            f"{indent}{g['group']:<7} {g['n']:>4} {g['events']:>6}  {_fmt(g['median_days']):>11}"
            f"  {_interval(g['median_ci']):<13} {_fmt(s['90'], '{:.3f}'):>6} "
            f"{_fmt(s['180'], '{:.3f}'):>7} {_fmt(s['365'], '{:.3f}'):>7}"
            + ("  small group" if g["small"] else "")
        )
    lr, cox, rmst = part["logrank"], part["cox"], part["rmst"]
    click.echo(
        f"{indent}log-rank: chi-square {_fmt(lr['statistic'], '{:.2f}')}, "
        f"p {_fmt(lr['p_value'], '{:.4g}')}"
    )
    if cox.get("error"):
        click.echo(f"{indent}Cox: {cox['error']}")
    else:
        adjusted = ", ".join(cox["adjusted_for"]) or "nothing"
        click.echo(
            f"{indent}Cox hazard ratio (with vs without): {_fmt(cox['hazard_ratio'], '{:.3f}')}"
            f" {_interval(cox['ci'], '{:.3f}')}, adjusted for {adjusted}"
        )
    for left in cox.get("not_adjusted_for", []):
        click.echo(f"{indent}  not adjusted for {left['covariate']}: {left['reason']}")
    click.echo(
        f"{indent}RMST to {rmst['horizon']:g} days: with {_fmt(rmst['with'])}, without "
        f"{_fmt(rmst['without'])}, difference {_fmt(rmst['difference'])} "
        f"{_interval(rmst['ci'])}"
    )
    if part["value"].get("sentence"):
        click.echo(f"{indent}{part['value']['sentence']}")
    for warning in part.get("warnings", []):
        click.echo(f"{indent}warning: {warning}")


@click.command("survival")
@click.option(
    "--cohort",
    type=click.Choice(COHORTS),
    default="onboarding",
    show_default=True,
    help="Anchor: onboarding, a renewal event, or an incident event.",
)
@click.option(
    "--flag",
    default="acknowledged",
    show_default=True,
    help="Rubric flag on the customer's first reviewed call in the window.",
)
@as_of_option("Censor active customers at this day (default: the latest date in the data).")
@click.option(
    "--horizon",
    type=click.FloatRange(min=1),
    default=365.0,
    show_default=True,
    help="Days up to which restricted mean survival times are compared.",
)
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    help="Also compare within each segment, channel or interaction type.",
)
@click.option(
    "--window",
    type=click.IntRange(min=0),
    help="Window in days (default: 30 after onboarding, ±30 around a renewal, "
    "14 after an incident).",
)
@click.option(
    "--rubric",
    "rubric_key",
    default=None,
    help="Rubric version as ID@VERSION (needed when reviews mix versions).",
)
@table_or_json_option
def survival(cohort, flag, as_of, horizon, by, window, rubric_key, output) -> None:
    """Kaplan–Meier survival of customers with and without a flag on their first reviewed call
    after an anchor: medians, log-rank, a Cox hazard ratio adjusted for interaction type,
    channel and agent tenure, and the restricted mean survival time difference in days and
    money. An association in observational data, not an effect of the flag."""
    from sqlmodel import Session

    from qa_app.domain.survival.cohorts import SurvivalError
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.survival import survival_report

    app, engine = command_app()
    try:
        with Session(engine) as db:
            _cohort, report = survival_report(
                db, cohort, flag, as_of, horizon, by, window, rubric_key, app.config["RUBRIC_ID"],
                app.config["CURRENCY"],
            )  # fmt: skip
    except (SurvivalError, ExportError) as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"Cohort: first reviewed call after {report['cohort']} (window "
        f"{report['window_days'][0]} days before, {report['window_days'][1]} after); "
        f"flag {report['flag']}; as of {report['as_of']}; rubric {report['rubric']}."
    )
    _echo_comparison(report)
    for line in report["left_out_text"]:
        click.echo(f"left out: {line}")
    for stratum in report.get("strata", []):
        click.echo(f"\n{report['by']} = {stratum['stratum']}")
        _echo_comparison(stratum, "  ")
    click.echo(f"\n{report['association']}")

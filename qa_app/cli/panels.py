"""``qa-app panel`` (lagged, dosed panel models) and ``qa-app analysis-plan`` (the plan that
fixes outcomes and lags before anyone looks)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli.support import as_of_option, command_app, table_or_json_option

# qa_app.domain.panels.plan.OUTCOMES and DOSES (a test keeps them equal).
OUTCOMES = ("nps", "renewal", "spend", "churn")
DOSES = ("share", "count")


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text (byte {exc.start})") from None


def _known_flags(session, app) -> list[str] | None:
    from qa_app.store.panels.queries import rubric_flags

    return rubric_flags(session, app.config["RUBRIC_ID"]) or None


@click.group("analysis-plan")
def analysis_plan_group() -> None:
    """Analysis plans: outcomes, lags and the exposure flag, fixed before anyone looks."""


@analysis_plan_group.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plan_create(file: Path) -> None:
    """Check a plan file and store it with its time and content hash.

    The file names the plan, its flag, optional dose (share or count) and an [outcomes]
    table of lags in months (nps = [1], renewal = [3], spend = [12]); errors name the line.
    """
    from qa_app import db
    from qa_app.domain.panels.plan import AnalysisPlanError
    from qa_app.store.panels.plans import AnalysisPlanStoreError, create

    text = _read(file)
    app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row = create(session, text, str(file), None, _known_flags(session, app))
            name, digest = row.name, row.content_hash
    except (AnalysisPlanError, AnalysisPlanStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Stored analysis plan '{name}' (sha256 {digest[:12]}).")


@analysis_plan_group.command("amend")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the plan changes (kept in the audit trail).")
def plan_amend(file: Path, reason: str) -> None:
    """Replace a stored plan (named in FILE) with FILE's content; the reason is required,
    recorded in the audit trail, and every report using the plan lists its amendments."""
    from qa_app import db
    from qa_app.domain.panels.plan import AnalysisPlanError
    from qa_app.store.panels.plans import AnalysisPlanStoreError, amend

    text = _read(file)
    app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row = amend(session, text, str(file), reason, None, _known_flags(session, app))
            name, count = row.name, row.amendments
    except (AnalysisPlanError, AnalysisPlanStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Amended analysis plan '{name}' (amendment {count}).")


@analysis_plan_group.command("show")
@click.argument("name")
def plan_show(name: str) -> None:
    """Show a stored plan: its content, time stored, hash and every amendment's reason."""
    from qa_app import db
    from qa_app.store.panels.plans import AnalysisPlanStoreError, load

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            plan = load(session, name)
    except AnalysisPlanStoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Analysis plan {plan.spec.name}: flag {plan.spec.flag}, dose {plan.spec.dose}")
    click.echo(f"Stored {plan.created_at:%Y-%m-%d %H:%M} UTC, sha256 {plan.content_hash}")
    for outcome, lags in plan.spec.outcomes.items():
        click.echo(f"  {outcome}: lags {', '.join(map(str, lags))} month(s)")
    click.echo(f"Amendments: {len(plan.amendments)}")
    for a in plan.amendments:
        click.echo(f"  {a.at:%Y-%m-%d %H:%M} UTC by {a.by}: {a.reason}")
    click.echo("--- content ---")
    click.echo(plan.content.rstrip("\n"))


def _lags(_ctx, _param, value: str | None) -> list[int] | None:
    from qa_app.domain.panels.plan import parse_lags

    if value is None:
        return None
    try:
        return parse_lags(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("panel")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="The outcome (a plan may fix it).")
@click.option("--flag", help="The rubric flag whose dose is the exposure, e.g. acknowledged.")
@click.option("--lags", callback=_lags, help="Months between dose and outcome, e.g. 1,3,12.")
@as_of_option("Data after this date is not seen (default: the latest date in the data).")
@click.option(
    "--dose",
    type=click.Choice(DOSES),
    default="share",
    show_default=True,
    help="The exposure: share of a month's reviewed calls with the flag, or their count.",
)
@click.option("--plan", "plan_name", help="A stored analysis plan: its outcomes, lags and flag.")
@table_or_json_option
def panel(outcome, flag, lags, as_of, dose, plan_name, output) -> None:
    """Lagged panel model: outcome at month t+lag on the flag's dose at t, with customer and
    month fixed effects and errors clustered by customer (linearmodels PanelOLS).

    Without --plan, give --outcome, --flag and --lags. With --plan, the plan fixes them
    (--outcome may pick one of its outcomes) and JSON is a list, one report per outcome.
    Every figure is an association in observational data.
    """
    from qa_app import db
    from qa_app.store.panels.plans import AnalysisPlanStoreError
    from qa_app.store.panels.queries import PanelQueryError, PanelRequest, panel_reports

    if plan_name and (flag or lags):
        raise click.UsageError("--plan fixes the flag and lags; leave out --flag and --lags")
    if not plan_name and not (outcome and flag and lags is not None):
        raise click.UsageError("give --outcome, --flag and --lags, or --plan NAME")
    request = PanelRequest(
        [outcome] if outcome else [], flag, lags or [],
        as_of.date() if as_of else None, dose, plan_name,
    )  # fmt: skip
    app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            reports = panel_reports(session, request, app.config["RUBRIC_ID"])
    except (PanelQueryError, AnalysisPlanStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(reports if plan_name else reports[0], indent=2))
        return
    for report in reports:
        _echo_table(report)


def _number(value) -> str:
    return "—" if value is None else f"{value:+.3f}"


def _echo_table(report: dict) -> None:
    measure = "share of reviewed calls" if report["dose"] == "share" else "number of calls"
    click.echo(
        f"{report['outcome']} k months later on the {measure} with flag '{report['flag']}' "
        f"this month · as of {report['as_of']} · {report['customers']} customers, "
        f"{report['customer_months']} customer-months ({report['unreviewed_months']} with no "
        "reviewed call)"
    )
    plan = report.get("plan")
    if plan:
        click.echo(
            f"Analysis plan {plan['name']}: stored {plan['created_at'][:16]} UTC, sha256 "
            f"{plan['content_hash'][:12]}, {plan['amendment_count']} amendment(s)"
        )
        for a in plan["amendments"]:
            click.echo(f"  amended {a['at'][:16]} UTC by {a['by']}: {a['reason']}")
    header = f"{'lag':>4}  {'coefficient':>11}  {'95% interval':<20}  {'customers':>9}"
    click.echo(f"{header}  {'obs':>6}")
    for lag in report["lags"]:
        ci = f"{_number(lag['ci'][0])} to {_number(lag['ci'][1])}" if lag["ci"] else "—"
        click.echo(
            f"{lag['lag']:>4}  {_number(lag['coefficient']):>11}  {ci:<20}  "
            f"{lag['n_customers']:>9}  {lag['n_obs']:>6}"
        )
        if lag["reason"]:
            click.echo(f"      not estimated: {lag['reason']}")
        for warning in lag["warnings"]:
            click.echo(f"      ! {warning}")
    for warning in report["warnings"]:
        click.echo(f"! {warning}")
    click.echo(f"Dose: {report['dose_treatment']}")
    click.echo(f"Method: {report['method']}")
    click.echo(f"Association: {report['association']}")
    click.echo("")

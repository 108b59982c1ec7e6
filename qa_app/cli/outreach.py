"""``qa-app outreach``: check a rules file; run the rules for a day and create alerts; report
what happened after outreach."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli.support import as_of_option, command_app, table_or_json_option


@click.group("outreach")
def outreach_group() -> None:
    """Humane outreach: alerts for customers let down on a call who are now drifting away."""


@outreach_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check(path: Path) -> None:
    """Check an outreach rules file; every problem is named with its line."""
    from qa_app.domain.outreach.rules import RulesError, load_rules

    try:
        rules = load_rules(path)
    except RulesError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in {path}") from None
    click.echo(
        f"{path}: {rules.key} is valid: {len(rules.rules)} rule(s), cooldown "
        f"{rules.cooldown_days} days, at most {rules.daily_cap_per_team} alerts per team a day."
    )


@outreach_group.command("run")
@as_of_option("The day to evaluate (default: today, UTC).")
@click.option("--dry-run", is_flag=True, help="Show what would be created; write nothing.")
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rules file (default: the shipped outreach/default-v1.toml).",
)
@table_or_json_option
def run(as_of, dry_run, rules_path, output) -> None:
    """Evaluate the outreach rules for a day and create alerts; running it again the same day
    creates nothing new. Opted-out customers, open alerts, the cooldown and the daily cap per
    team hold customers back; the counts say how many."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from qa_app.domain.outreach.rules import RulesError, load_rules
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.outreach.alerts import run_outreach

    try:
        rules = load_rules(rules_path)
    except RulesError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None
    day = (as_of or datetime.now(UTC)).date()
    app, engine = command_app()
    try:
        with Session(engine) as db:
            plan = run_outreach(db, rules, day, app.config["RUBRIC_ID"], dry_run=dry_run)
            if not dry_run:
                db.commit()
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    report = plan.as_json()
    if output == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    verb = "would create" if dry_run else "created"
    click.echo(f"Outreach {report['as_of']} ({rules.key}): {verb} {report['created']} alert(s).")
    held = report["suppressed"]
    click.echo(
        f"Held back: {held['opted_out']} opted out, {held['cooldown']} in cooldown, "
        f"{held['open_alert']} with an open alert, {held['daily_cap']} over the daily cap."
    )
    if plan.created:
        click.echo("priority  customer              call                  team      reasons")
        for draft in plan.created:
            click.echo(
                f"{draft.priority:>8}  {draft.customer_id:<20}  {draft.call_id or '—':<20}  "
                f"{draft.team:<8}  {'; '.join(draft.reasons)}"
            )


def _interval(ci) -> str:
    return f"{ci[0]:.1%} to {ci[1]:.1%}" if ci else "no interval"


def _money_interval(ci) -> str:
    return f"{ci[0]:,.2f} to {ci[1]:,.2f}" if ci else "no interval"


def _echo_tracking(report: dict) -> None:
    """The tracking report as plain lines (the JSON has every number)."""
    click.echo(
        f"Outreach tracking as of {report['as_of']}: {report['alerts']} alert(s), "
        f"{report['closed_alerts']} closed."
    )
    for key, label in (
        ("contact_rate", "Contact rate"),
        ("opt_out_rate", "Opt-outs after outreach"),
    ):
        rate = report[key]
        shown = "—" if rate["rate"] is None else f"{rate['rate']:.1%}"
        click.echo(
            f"{label}: {shown} ({rate['count']} of {rate['n']}; 95% interval "
            f"{_interval(rate['ci'])})" + (f" — {rate['warning']}" if rate["warning"] else "")
        )
    if report["opt_out_rate"]["in_window"]:
        click.echo(
            f"  ({report['opt_out_rate']['in_window']} contacted alert(s) still within their "
            f"{report['follow_up_days']} days are not counted yet.)"
        )
    click.echo("pathway                 alerts   share  credit given")
    for row in report["pathways"]:
        share = "—" if row["rate"] is None else f"{row['rate']:.0%}"
        click.echo(
            f"{row['label']:<22}  {row['count']:>6}  {share:>6}  {row['with_credit']} "
            f"({row['credit_total']:,.2f})"
        )
    churn, spend = report["churn_90d"], report["spend_90d"]
    for name in ("alerted", "comparison"):
        group = churn[name]
        left = "—" if group["rate"] is None else f"{group['rate']:.1%}"
        mean = spend[name]["mean"]
        click.echo(
            f"{name.title()}: {group['n']} customer(s) followed 90 days, {left} left, mean "
            f"spend {'—' if mean is None else f'{mean:,.2f}'}; "
            f"{report['in_follow_up'][name]} still in follow-up."
        )
    gone = report["left_before_day"]
    if gone["alerted"] or gone["comparison"]:
        click.echo(
            f"Left out: {gone['alerted']} alerted and {gone['comparison']} comparison "
            "customer(s) had already left by their day."
        )
    if churn["difference"] is not None:
        p = "" if churn["p_value"] is None else f", p = {churn['p_value']:.3f}"
        click.echo(
            f"Churn difference (alerted minus comparison): {churn['difference']:+.1%} "
            f"(95% interval {_interval(churn['ci'])}{p})"
        )
    if spend["difference"] is not None:
        click.echo(
            f"Spend difference: {spend['difference']:+,.2f} "
            f"(95% interval {_money_interval(spend['ci'])})"
        )
    for warning in {churn["warning"], spend["warning"]} - {None}:
        click.echo(f"Warning: {warning}")
    click.echo(spend["caveat"])
    click.echo(report["association_note"])
    for note in report["notes"]:
        click.echo(f"Note: {note}")


@outreach_group.command("report")
@as_of_option("Count follow-up up to this day (default: today, UTC).")
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rules to find the customers before the rules existed (default: the shipped file).",
)
@table_or_json_option
def report(as_of, rules_path, output) -> None:
    """What happened after outreach: contact rate, opt-outs after outreach, resolution
    pathways, and 90-day churn and spend of alerted customers against customers who met the
    same signals but were held back by the daily cap or came before the rules (an
    association, with 95% intervals). Refuses an --as-of after today (UTC)."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from qa_app.domain.outreach.outcomes import AsOfError, check_as_of
    from qa_app.domain.outreach.rules import RulesError, load_rules
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.outreach.outcomes import outreach_tracking

    if as_of is not None:
        try:
            check_as_of(as_of.date(), datetime.now(UTC).date())
        except AsOfError as exc:
            raise click.ClickException(f"--as-of: {exc}") from None

    try:
        rules = load_rules(rules_path)
    except RulesError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None
    app, engine = command_app()
    try:
        with Session(engine) as db:
            tracking = outreach_tracking(
                db, rules, as_of.date() if as_of else None, app.config["RUBRIC_ID"]
            )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(tracking, indent=2, ensure_ascii=False))
        return
    _echo_tracking(tracking)

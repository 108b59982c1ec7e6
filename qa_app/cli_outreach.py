"""``qa-app outreach``: check a rules file; run the rules for a day and create alerts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli_support import command_app, table_or_json_option


@click.group("outreach")
def outreach_group() -> None:
    """Humane outreach: alerts for customers let down on a call who are now drifting away."""


@outreach_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check(path: Path) -> None:
    """Check an outreach rules file; every problem is named with its line."""
    from qa_app.domain.outreach_rules import RulesError, load_rules

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
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to evaluate (default: today, UTC).",
)
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

    from qa_app.domain.outreach_rules import RulesError, load_rules
    from qa_app.export_queries import ExportError
    from qa_app.outreach_store import run_outreach

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

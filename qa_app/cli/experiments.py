"""``qa-app experiment`` (pre-registered experiments: register, amend, assign, report, list)
and ``qa-app import exposure`` (which agents received an intervention, and when)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qa_app.cli.support import command_app, table_or_json_option

MAX_ERRORS_SHOWN = 200


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text (byte {exc.start})") from None


def _errors():
    from qa_app.domain.experiments.plan import ExperimentPlanError
    from qa_app.store.experiments.plans import ExperimentStoreError

    return ExperimentPlanError, ExperimentStoreError


@click.group("experiment")
def experiment_group() -> None:
    """Pre-registered experiments: queues or schedule blocks randomised to arms, the plan
    locked before the data comes in, the report in the order promised."""


@experiment_group.command("register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def experiment_register(file: Path) -> None:
    """Check a plan file, store it and lock it: its content hash and the time are kept and
    shown on every report. Errors name the line; a registered plan is changed by `amend`."""
    from qa_app import db
    from qa_app.store.experiments.plans import register

    text = _read(file)
    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row, created = register(session, text, str(file), None)
            name, digest, locked_at = row.name, row.content_hash, row.locked_at
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None
    if not created:
        click.echo(f"Experiment '{name}' is registered with exactly this plan; nothing changed.")
        return
    click.echo(
        f"Registered experiment '{name}': sha256 {digest}, locked {locked_at:%Y-%m-%d %H:%M} UTC."
    )
    click.echo(f"Next: qa-app experiment assign {name} --seed S")


@experiment_group.command("amend")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the plan changes (listed on every report).")
def experiment_amend(name: str, file: Path, reason: str) -> None:
    """Record FILE as a new version of registered experiment NAME, with the reason. The
    registered plan and its hash stay; every report lists the amendments."""
    from qa_app import db
    from qa_app.store.experiments.plans import amend

    text = _read(file)
    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            digest = amend(session, name, text, str(file), reason, None).content_hash
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Amended experiment '{name}' (sha256 {digest[:12]}): {reason.strip()}")


@experiment_group.command("assign")
@click.argument("name")
@click.option("--seed", required=True, type=click.IntRange(0, 2**63 - 1), help="The seed.")
@table_or_json_option
def experiment_assign(name: str, seed: int, output: str) -> None:
    """Randomise the experiment's units to its arms within each stratum (never agents'
    choice), reproducibly from the seed, and store the assignment with the seed (once)."""
    from qa_app import db
    from qa_app.store.experiments.plans import assign

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            result = assign(session, name, seed, None)
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps({
            "experiment": name, "seed": seed, "assigned_at": result.assigned_at.isoformat(),
            "assignment": [{"unit": u, "stratum": result.strata[u], "arm": a}
                           for u, a in sorted(result.assignment.items())],
            "balance": result.balance,
        }, indent=2))  # fmt: skip
        return
    click.echo(f"Assigned experiment '{name}' with seed {seed}:")
    for unit, arm in sorted(result.assignment.items(), key=lambda x: (result.strata[x[0]], x)):
        click.echo(f"  {unit:<30} {result.strata[unit]:<20} {arm}")
    _echo_balance(result.balance)


def _echo_balance(balance: list[dict]) -> None:
    if not balance:
        return
    arms = [k for k in balance[0] if k not in ("stratum", "units")]
    click.echo("Balance (units per arm in each stratum):")
    click.echo(f"  {'stratum':<20} {'units':>5}  " + "  ".join(f"{a:>12}" for a in arms))
    for row in balance:
        cells = "  ".join(f"{row[a]:>12}" for a in arms)
        click.echo(f"  {row['stratum']:<20} {row['units']:>5}  {cells}")


@experiment_group.command("list")
@table_or_json_option
def experiment_list(output: str) -> None:
    """Every experiment: draft or registered, when locked, whether assigned."""
    from qa_app import db
    from qa_app.store.experiments.plans import all_experiments

    _app, engine = command_app()
    with db.transaction(engine) as session:
        rows = [
            {"experiment": e.name, "status": e.status, "plan_hash": e.content_hash,
             "locked_at": e.locked_at.isoformat() if e.locked_at else None,
             "seed": e.seed, "assigned_at": e.assigned_at.isoformat() if e.assigned_at else None}
            for e in all_experiments(session)
        ]  # fmt: skip
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No experiments yet: qa-app experiment register FILE")
    for r in rows:
        locked = f"locked {r['locked_at'][:16]} UTC" if r["locked_at"] else "draft"
        assigned = f"assigned (seed {r['seed']})" if r["assigned_at"] else "not assigned"
        click.echo(f"{r['experiment']:<30} {locked:<28} {assigned}  sha256 {r['plan_hash'][:12]}")


@experiment_group.command("report")
@click.argument("name")
@click.option(
    "--explore",
    multiple=True,
    help="A metric that was not pre-registered, shown below the plan's, labelled exploratory "
    "(repeat for more).",
)
@table_or_json_option
def experiment_report(name: str, explore: tuple[str, ...], output: str) -> None:
    """The experiment's report: the plan hash and lock time, the pre-registered analysis
    (primary metric, then secondaries: effect, interval, p-value, method, equity subgroups),
    the power calculation, contamination and amendments; when an amendment changed the
    metrics, window, lags or subgroups, the amended analysis below, labelled as amended;
    exploratory results last, labelled. Refused before the plan is registered."""
    from qa_app import db
    from qa_app.store.experiments.reports import report

    app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            data = report(session, name, explore=explore, rubric_id=app.config["RUBRIC_ID"])
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for line in report_lines(data):
        click.echo(line)


def _num(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def _ci(ci) -> str:
    return "—" if not ci or None in ci else f"{ci[0]:+.3f} to {ci[1]:+.3f}"


def _p(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _metric_lines(entry: dict) -> list[str]:
    head = "PRIMARY " if entry["primary"] else ""
    lines = [f"{head}{entry['metric']} — {entry['treatment']} vs {entry['control']}"]
    if entry.get("error"):
        return [*lines, f"  not estimated: {entry['error']}"]
    lines.append(
        f"  effect {_num(entry['effect'])}  95% interval {_ci(entry['ci'])}  "
        f"p = {_p(entry['p_value'])}  ({entry['method']}; {entry['n_units']} units, "
        f"{entry['n_calls']} calls)"
    )
    if entry.get("smallest_p_value") is not None:
        lines.append(
            f"  smallest p-value this design can give: {_p(entry['smallest_p_value'])} "
            f"({entry['distinct_assignments']} distinct assignments)"
        )
    means = ", ".join(f"{a} {_num(m)}" for a, m in entry.get("arm_means", {}).items())
    if means:
        lines.append(f"  arm means: {means}")
    for sub in entry["subgroups"]:
        lines.append(
            f"    {sub['subgroup']:<32} effect {_num(sub['effect'])}  {_ci(sub['ci'])}  "
            f"({sub['n_calls']} calls)"
        )
    for variable, p in entry.get("interaction_p_values", {}).items():
        lines.append(f"    interaction test ({variable}): p = {_p(p)}")
    lines += [f"  ! {w}" for w in entry.get("warnings", [])]
    return lines


def report_lines(data: dict) -> list[str]:
    """The report as plain text, in the order promised: plan, pre-registered, the rest."""
    plan = data["plan"]
    lines = [
        f"Experiment {data['experiment']}",
        f"Plan sha256 {data['plan_hash']} · locked {data['locked_at'][:16]} UTC · seed "
        f"{data['seed']} · assigned {data['assigned_at'][:16]} UTC",
        f"Hypothesis: {plan['hypothesis']}",
        f"Intervention: {plan['intervention']['kind']} '{plan['intervention']['name']}' "
        f"({plan['intervention']['playbook']})",
        f"Decision rule: {plan['decision_rule']}",
        ("EXPLORATORY PILOT: " if data["design"]["exploratory"] else "Design: ")
        + data["design"]["note"],
        f"Calls from {data['analysis_window']['first_day']} to "
        f"{data['analysis_window']['last_day']}: {data['analysis_window']['calls_in_units']} in "
        "the experiment's units",
        "",
        "Pre-registered analysis",
    ]
    for entry in data["metrics"]:
        lines += _metric_lines(entry)
    power = data.get("power")
    if power:
        lines += ["", f"Power (planned): {power['explanation']}"]
    c = data["contamination"]
    lines += [
        "",
        f"Contamination ({c['intervention']}): {c['agents_in_both_arms']} agent(s) worked "
        f"units of more than one arm; {c['calls_outside_arm']} control call(s) by exposed "
        f"agents; {c['treatment_calls_unexposed']} treatment call(s) by agents never exposed; "
        f"{c['treatment_calls_before_exposure']} before their exposure.",
    ]
    lines += ["", f"Amendments: {len(data['amendments'])}"]
    for a in data["amendments"]:
        lines.append(f"  {a['at'][:16]} UTC by {a['by']} (sha256 {a['content_hash'][:12]}): "
                     f"{a['reason']}")  # fmt: skip
        lines += [f"    changed: {change}" for change in a.get("changes", [])]
    lines += [f"! {w}" for w in data["warnings"]]
    amended = data.get("amended_analysis")
    if amended:
        window = amended["analysis_window"]
        lines += ["", amended["label"]]
        lines += [f"  changed: {change}" for change in amended["changes"]]
        lines += [
            f"  reason ({r['at'][:10]}, {r['by']}): {r['reason']}" for r in amended["reasons"]
        ]
        lines.append(f"  calls from {window['first_day']} to {window['last_day']}")
        for entry in amended["metrics"]:
            lines += _metric_lines(entry)
        lines += [f"! {w}" for w in amended["warnings"]]
    if data["exploratory"]["metrics"]:
        lines += ["", data["exploratory"]["label"]]
        for entry in data["exploratory"]["metrics"]:
            lines += _metric_lines(entry)
    return lines


def _import_exposure_command():
    """``qa-app import exposure``: all-or-nothing, every bad row named."""

    @click.command("exposure")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Validate and report only; write nothing.")
    def import_exposure(file: Path, dry_run: bool) -> None:
        """Import an exposure log (CSV or XLSX): which agent received which intervention,
        and when. Columns: agent, intervention (its name in the experiment plan), at (ISO
        8601; without an offset, UTC). All-or-nothing: any invalid row is named and nothing
        is written. The same exposure again is left unchanged."""
        from qa_app import db
        from qa_app.domain.experiments.exposure import validate_exposures
        from qa_app.domain.files.tables import FileProblem, read_table
        from qa_app.store.experiments.plans import write_exposures

        try:
            table = read_table(file, {"csv", "xlsx"})
        except FileProblem as exc:
            raise click.ClickException(str(exc)) from None
        report = validate_exposures(table)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if report.errors:
            for error in report.errors[:MAX_ERRORS_SHOWN]:
                click.echo(f"{file.name}: {error}", err=True)
            if len(report.errors) > MAX_ERRORS_SHOWN:
                click.echo(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more.", err=True)
            click.echo(f"{len(report.errors)} invalid row(s); nothing was imported.", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"Dry run: {len(report.records)} valid exposure(s); nothing written.")
            return
        _app, engine = command_app()
        with db.transaction(engine) as session:
            written = write_exposures(session, report.records, None, file.name)
        click.echo(
            f"Imported {len(report.records)} exposure(s): {written.created} created, "
            f"{written.unchanged} unchanged."
        )

    return import_exposure


import_exposure = _import_exposure_command()

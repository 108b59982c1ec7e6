"""``qa-app sample`` (sampling plans) and ``qa-app flags summary`` (weighted flag rates)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli.flags import _filters, filter_options
from qa_app.cli.support import command_app, table_or_json_option

# qa_app.store.flags.summary.BY_CHOICES (a test keeps them equal); that module loads SQLAlchemy.
BY_CHOICES = ("team", "queue", "channel", "interaction_type", "tenure_band")
PLAN_AUDIT_REASON = "qa-app sample {command} (command line)"


@click.group("sample")
def sample_group() -> None:
    """Sampling plans: draw the calls to review, oversampling the hard ones."""


@sample_group.group("plan")
def plan_group() -> None:
    """Store sampling plans (TOML files)."""


@plan_group.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plan_create(file: Path) -> None:
    """Check a plan file and store it (or replace a stored plan not drawn yet).

    The file names the plan, its period (since, until), seed, strata, reviewers and
    either [sizes] per stratum or a total with [oversample] factors; errors name the line.
    """
    from qa_app import db
    from qa_app.domain.sampling.plan import PlanError
    from qa_app.store.sampling.plans import SamplingError, save_plan

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text (byte {exc.start})") from None
    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            row = save_plan(session, text, str(file), None)
            name = row.name
    except (PlanError, SamplingError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Stored plan '{name}'. Preview it with `qa-app sample preview {name}`.")


@sample_group.command("list")
def plan_list() -> None:
    """List the stored plans: name, period, whether drawn."""
    from qa_app import db
    from qa_app.store.sampling.plans import all_plans

    _app, engine = command_app()
    with db.transaction(engine) as session:
        plans = [
            (p.name, f"{p.since:%Y-%m-%d}–{p.until:%Y-%m-%d}", p.drawn_at)
            for p in all_plans(session)
        ]
    if not plans:
        click.echo("No sampling plans yet; store one with `qa-app sample plan create FILE`.")
    for name, period, drawn_at in plans:
        drawn = f"drawn {drawn_at:%Y-%m-%d %H:%M} UTC" if drawn_at else "not drawn"
        click.echo(f"{name}  {period}  {drawn}")


@sample_group.command("preview")
@click.argument("name")
@table_or_json_option
def preview_command(name: str, output: str) -> None:
    """Show what a plan would draw: per stratum the population and its share, the planned
    sample and its share, the inclusion probability; the design effect and effective n."""
    from qa_app import db
    from qa_app.store.sampling.plans import SamplingError, get_plan, preview

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            spec, plan_preview, _calls = preview(session, get_plan(session, name))
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from None
    report = {
        "plan": spec.name,
        "since": str(spec.since),
        "until": str(spec.until),
        "population": plan_preview.population,
        "planned": plan_preview.planned,
        "design_effect": _round(plan_preview.design_effect),
        "effective_n": _round(plan_preview.effective_n),
        "strata": plan_preview.as_rows(),
        "warnings": plan_preview.warnings,
        "machine_model": plan_preview.machine_model,
    }
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"Plan {spec.name}: calls started {spec.since} to {spec.until}; "
        f"{report['population']:,} calls, {report['planned']:,} to draw"
    )
    _echo_strata(report["strata"], "planned")
    click.echo(
        f"Design effect (Kish, from the unequal weights): {_text(report['design_effect'])}; "
        f"effective sample size {_text(report['effective_n'])}"
    )
    if plan_preview.machine_model:
        click.echo(f"Machine bands from the {plan_preview.machine_model}")
    for warning in report["warnings"]:
        click.echo(f"! {warning}")


@sample_group.command("draw")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Draw and show the calls; store and assign nothing.")
@table_or_json_option
def draw_command(name: str, dry_run: bool, output: str) -> None:
    """Draw a plan's calls at random within each stratum (from its seed) and assign them to
    its reviewers, balanced by their open work. A dry run draws the same calls the real
    draw will, and changes nothing."""
    from qa_app import db
    from qa_app.store.sampling.plans import SamplingError, draw, get_plan

    _app, engine = command_app()
    try:
        with db.transaction(engine) as session:
            result = draw(session, get_plan(session, name), None, dry_run)
            report = result.as_dict()
            if dry_run:
                session.rollback()
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    verb = "Would draw" if dry_run else "Drew"
    click.echo(f"{verb} {report['drawn']:,} calls for plan {report['plan']}, seed {report['seed']}")
    _echo_strata([{**s, "planned": s["drawn"]} for s in report["strata"]], "drawn", shares=False)
    if report["agent_minimum_calls"]:
        click.echo(
            f"{len(report['agent_minimum_calls'])} more calls to reach the agents' minimum "
            "(outside the probability sample)"
        )
    if not dry_run:
        click.echo("Assigned to the plan's reviewers, balanced by their open work.")


def _echo_strata(rows: list[dict], planned_label: str, shares: bool = True) -> None:
    header = f"{'stratum':<40} {'population':>10}"
    header += f" {'share':>7}" if shares else ""
    header += f" {planned_label:>8}" + (f" {'share':>7}" if shares else "") + f" {'π':>8}"
    click.echo(header)
    for row in rows:
        label = " / ".join(str(v) if v is not None else "(none)" for v in row["stratum"].values())
        line = f"{label[:40]:<40} {row['population']:>10,}"
        if shares:
            line += f" {row['population_share']:>7.1%}"
        line += f" {row['planned']:>8,}"
        if shares:
            line += f" {row['sample_share']:>7.1%}"
        click.echo(line + f" {row['probability']:>8.4f}")


def _round(value):
    return None if value is None else round(value, 3)


def _text(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


@click.group("flags")
def flags_group() -> None:
    """Behaviour-flag rates, weighted back to the real call mix."""


@flags_group.command("summary")
@click.option(
    "--by", type=click.Choice(BY_CHOICES), default=None, help="One row per value of this field."
)
@click.option(
    "--machine", "with_machine", is_flag=True,
    help="Add each figure's prediction-powered estimate and interval: the reviewed calls "
    "with the newest machine model's scores of every call (ppi_estimate, ppi_ci, human_ci, "
    "width_ratio).",
)  # fmt: skip
@table_or_json_option
@filter_options
def summary_command(
    by: str | None, with_machine: bool, output: str, rubric_key, **options
) -> None:
    """Each flag's rate per group: unweighted, weighted (by the sampling plan's design, else
    to the interaction mix; the weighting is named), its 95% design-based interval and
    effective sample size."""
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.flags.summary import flags_summary

    app, engine = command_app()
    try:
        report = flags_summary(engine, _filters(options), by, rubric_key, app.config["RUBRIC_ID"],
                               machine=with_machine)  # fmt: skip
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(report, indent=2, allow_nan=False))
        return
    click.echo(
        f"Flags · rubric {report['rubric']} · weighting: {report['weighting']} "
        f"({report['weighting_note']})"
    )
    click.echo(f"Intervals: {report['method']}")
    if with_machine:
        machine = report.get("machine")
        click.echo(
            f"Machine: model v{machine['version']} scored {machine['scored_calls']} calls; "
            f"{machine['method']}" if machine
            else "Machine: no model of this rubric version has scored these calls"
        )  # fmt: skip
    if report["left_out_of_weighted"]:
        click.echo(
            f"{report['left_out_of_weighted']} reviewed calls in a plan's period were not drawn "
            "by it: they count in the unweighted rates only"
        )
    click.echo(
        f"{'group':<24} {'flag':<22} {'n':>6} {'rate':>7} {'weighted':>8} "
        f"{'95% interval':>17} {'eff. n':>7}"
    )
    for group in report["groups"]:
        for flag, figure in group["flags"].items():
            _echo_figure(group["group"], flag, figure, "rate", _percent)
    click.echo("")
    click.echo(f"Mean final score per dimension · intervals: {report['score_method']}")
    click.echo(
        f"{'group':<24} {'dimension':<22} {'n':>6} {'mean':>7} {'weighted':>8} "
        f"{'95% interval':>17} {'eff. n':>7}"
    )
    for group in report["groups"]:
        for dimension, figure in group["scores"].items():
            _echo_figure(group["group"], dimension, figure, "mean", _decimal)


def _echo_figure(group, name: str, figure: dict, key: str, shown) -> None:
    ci = figure["ci"]
    interval = f"[{shown(ci[0])}, {shown(ci[1])}]" if ci else "—"
    click.echo(
        f"{str(group)[:24]:<24} {name[:22]:<22} {figure['n']:>6} "
        f"{shown(figure[key]):>7} {shown(figure['weighted_' + key]):>8} "
        f"{interval:>17} {figure['effective_n']:>7.1f}"
        + ("  too small to read" if figure["too_small"] else "")
        + (f"  ({figure['note']})" if figure.get("note") else "")
    )
    if figure.get("ppi_ci"):
        low, high = figure["ppi_ci"]
        ratio = figure["width_ratio"]
        click.echo(
            f"{'':<24} {'  with the machine':<22} {'':>6} {'':>7} "
            f"{shown(figure['ppi_estimate']):>8} {f'[{shown(low)}, {shown(high)}]':>17}"
            + (f"  {ratio:.2f}x the width" if ratio is not None else "")
            + (f" ({figure['ppi_note']})" if figure.get("ppi_note") else "")
        )


def _decimal(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1%}"

"""``qa-app rollout evaluate``: did a rollout that was never randomised move a metric?
``qa-app rollout instrument``: two-stage least squares for an exposure people chose.

Two inputs: a rollout file (adoption date per queue or team) with a catalogue metric read from
the database, or an analyst's panel file. Two methods: staggered difference-in-differences
(qa_app.domain.rollouts.did, reported by qa_app.domain.rollouts.evaluation) and, for a
rollout to one unit, a synthetic control
(qa_app.domain.rollouts.synth).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_app.cli.support import check_output_path, command_app, table_or_json_option


@click.group("rollout")
def rollout_group() -> None:
    """Evaluate phased rollouts as natural experiments."""


def _fmt(value, pattern: str = "{:.4f}") -> str:
    return "—" if value is None else pattern.format(value)


def _ci(pair) -> str:
    if not pair or pair[0] is None:
        return "—"
    return f"[{_fmt(pair[0])}, {_fmt(pair[1])}]"


@rollout_group.command("evaluate")
@click.option(
    "--rollouts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rollout file: queue or team (or unit with --unit-kind), adopted_on.",
)
@click.option("--metric", help="Catalogue metric, e.g. flag:empathy_absent, outcome:saved.")
@click.option("--unit-kind", type=click.Choice(("queue", "team")), help="For a 'unit' column.")
@click.option(
    "--panel",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Panel file: one row per unit and period (with --unit --time --outcome --first-treated).",
)
@click.option("--unit", "unit_column", help="Panel: the unit column.")
@click.option(
    "--time",
    "time_column",
    help="Panel: the period column (whole numbers, ISO weeks 2025-W09 or months 2025-03).",
)
@click.option("--outcome", "outcome_column", help="Panel: the outcome column.")
@click.option(
    "--first-treated", "first_treated_column", help="Panel: first treated period (0 = never)."
)
@click.option("--method", type=click.Choice(("did", "synth")), default="did", show_default=True)
@click.option(
    "--predictor",
    "predictor_columns",
    multiple=True,
    help="Panel, --method synth: a column to match donors on (its pre-rollout mean; repeat "
    "for several).",
)
@click.option("--period", type=click.Choice(("week", "month")), default="month", show_default=True)
@click.option(
    "--control",
    type=click.Choice(("never", "notyet")),
    default="never",
    show_default=True,
    help="DiD comparison units: never treated, or not yet treated.",
)
@click.option(
    "--window",
    type=click.IntRange(1, 520),
    help="Periods before the first adoption and after the last (default: 12 weeks or 6 "
    "months for --rollouts, all periods for --panel).",
)
@click.option("--rubric", "rubric_key", help="Rubric version (id@version) for flag/dimension.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the event-study (did) or gap (synth) chart as PNG.",
)
@table_or_json_option
def evaluate(
    rollouts,
    metric,
    unit_kind,
    panel,
    unit_column,
    time_column,
    outcome_column,
    first_treated_column,
    predictor_columns,
    method,
    period,
    control,
    window,
    rubric_key,
    chart,
    output,
) -> None:
    """Difference-in-differences (or a synthetic control) for a rollout.

    \b
    qa-app rollout evaluate --rollouts rollout.csv --metric flag:empathy_absent
    qa-app rollout evaluate --panel mpdta.csv --unit countyreal --time year \\
        --outcome lemp --first-treated first.treat --format json

    The estimate is an association: the rollout was not randomised.
    """
    if (rollouts is None) == (panel is None):
        raise click.UsageError("give either --rollouts FILE (with --metric) or --panel FILE")
    if predictor_columns and (panel is None or method != "synth"):
        raise click.UsageError("--predictor is for --panel with --method synth")
    if chart is not None:
        check_output_path(chart)
    if rollouts is not None:
        data, labels, notes, window = _database_panel(
            rollouts, metric, unit_kind, period, window, rubric_key
        )
        columns = ("unit", "period", "value", "first_treated")
    else:
        data, labels, notes = _file_panel(
            panel, unit_column, time_column, outcome_column, first_treated_column, predictor_columns
        )
        columns = (unit_column, time_column, outcome_column, first_treated_column)
    from qa_app.domain.rollouts.did import DidError
    from qa_app.domain.rollouts.evaluation import evaluate_panel

    try:
        report = evaluate_panel(
            data,
            columns,
            method=method,
            control=control,
            window=window,
            period_labels=labels,
            predictors=predictor_columns,
        )
    except DidError as exc:
        raise click.ClickException(str(exc)) from None
    report["warnings"] = notes + report.get("warnings", [])
    if chart is not None:
        _write_chart(report, chart)
    if output == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        _echo(report)


@rollout_group.command("instrument")
@click.option(
    "--panel",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV, XLSX or JSONL: one row per observation (agent, call, agent-week ...).",
)
@click.option("--outcome", "outcome_column", required=True, help="The outcome column.")
@click.option(
    "--exposure", "exposure_column", required=True, help="The exposure column (e.g. trained share)."
)
@click.option(
    "--instrument",
    "instrument_columns",
    multiple=True,
    required=True,
    help="An instrument column (repeat for several), e.g. a policy change or a rotation.",
)
@click.option(
    "--control", "control_columns", multiple=True, help="A control column (repeat for several)."
)
@click.option("--cluster", "cluster_column", help="Cluster the errors by this column (e.g. team).")
@table_or_json_option
def instrument(
    panel, outcome_column, exposure_column, instrument_columns, control_columns, cluster_column,
    output,
) -> None:  # fmt: skip
    """Two-stage least squares: the exposure's effect, instrumented; first-stage F reported.

    \b
    qa-app rollout instrument --panel agents.csv --outcome csat \\
        --exposure trained_share --instrument rotation --cluster team

    A weak instrument (first-stage F below 10) is flagged in words. The estimate is causal
    only if the instrument moves the outcome through exposure alone; otherwise it is an
    association.
    """
    from qa_app.domain.rollouts.files import RolloutFileError, read_instrument_file
    from qa_app.domain.rollouts.instrument import two_stage_least_squares

    numeric = [
        ("--outcome", outcome_column),
        ("--exposure", exposure_column),
        *(("--instrument", name) for name in instrument_columns),
        *(("--control", name) for name in control_columns),
    ]
    try:
        data = read_instrument_file(panel, numeric, cluster_column)
        result = two_stage_least_squares(
            data,
            outcome=outcome_column,
            exposure=exposure_column,
            instrument=list(instrument_columns),
            controls=list(control_columns),
            cluster=cluster_column,
        )
    except RolloutFileError as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(f"{panel.name}: {exc}") from None
    report = result.to_json()
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    errors = (
        f"clustered by {cluster_column} ({report['n_clusters']} clusters)"
        if report["cov_type"] == "clustered"
        else "heteroskedasticity-robust"
    )
    click.echo(
        f"2SLS: effect of {report['exposure']} on {report['outcome']}, instrumented by "
        f"{', '.join(report['instruments'])}"
    )
    click.echo(
        f"estimate: {_fmt(report['estimate'])}  SE {_fmt(report['se'])}  "
        f"{report['level']:.0%} CI {_ci(report['ci'])}  p {_fmt(report['p_value'], '{:.3g}')}"
    )
    click.echo(f"first stage: {report['first_stage']}")
    click.echo(f"n: {report['n']}; errors: {errors}")
    for warning in report["warnings"]:
        click.echo(f"warning: {warning}")
    click.echo(report["association"])


def _database_panel(path, metric, unit_kind, period, window, rubric_key):
    from qa_app.domain.metrics import parse_metric
    from qa_app.domain.rollouts.files import RolloutFileError, read_rollout_file
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.metrics import MetricError
    from qa_app.store.rollouts import rollout_panel

    if not metric:
        raise click.UsageError("--rollouts needs --metric (e.g. flag:empathy_absent)")
    try:
        spec = parse_metric(metric)
        rollout = read_rollout_file(path, unit_kind)
    except (ValueError, RolloutFileError) as exc:
        raise click.ClickException(str(exc)) from None
    app, engine = command_app()
    try:
        built = rollout_panel(
            engine,
            rollout,
            spec,
            period=period,
            window=window,
            rubric=rubric_key,
            default_rubric_id=app.config["RUBRIC_ID"],
        )
    except (MetricError, ExportError) as exc:
        raise click.ClickException(str(exc)) from None
    notes = [f"metric: {spec.label}, mean per {rollout.kind} and {period}", *built.notes]
    return built.frame, built.labels, notes, built.window


def _file_panel(path, unit, time, outcome, first_treated, predictors=()):
    from qa_app.domain.rollouts.files import RolloutFileError, read_panel_file

    if not all((unit, time, outcome, first_treated)):
        raise click.UsageError("--panel needs --unit, --time, --outcome and --first-treated")
    try:
        panel = read_panel_file(
            path,
            unit=unit,
            time=time,
            outcome=outcome,
            first_treated=first_treated,
            predictors=predictors,
        )
    except RolloutFileError as exc:
        raise click.ClickException(str(exc)) from None
    return panel.frame, panel.labels, []


def _write_chart(report: dict, path: Path) -> None:
    from qa_app.charts.rollouts import event_study_png, gap_png

    png = gap_png(report) if report.get("method") == "synth" else event_study_png(report)
    if png is None:
        raise click.ClickException("nothing to chart: the report has no estimates by period")
    path.write_bytes(png)


def _echo(report: dict) -> None:
    click.echo(f"method: {report.get('method')}")
    if report.get("control_group"):
        click.echo(
            f"comparison units: {report['control_group'].replace('_', ' ')} "
            f"({report.get('control_units')}); adopting units: {report.get('treated_units')}"
        )
    click.echo(
        f"ATT: {_fmt(report.get('att'))}  SE {_fmt(report.get('se'))}  "
        f"95% CI {_ci(report.get('ci'))}"
    )
    if report.get("pretrend"):
        click.echo(f"pre-trends: {report['pretrend']}")
    if report.get("event_study"):
        click.echo("periods since adoption  estimate  95% CI")
        for row in report["event_study"]:
            click.echo(
                f"{row['relative_period']:>22}  {_fmt(row['estimate']):>8}  {_ci(row['ci'])}"
            )
    for placebo in report.get("placebos", []) if report.get("method") == "did" else []:
        click.echo(
            f"placebo, adoption {placebo['shift_periods']} period(s) early (fake start "
            f"{', '.join(map(str, placebo['fake_starts']))}): "
            f"{_fmt(placebo['estimate'])} {_ci(placebo['ci'])}"
        )
    sensitivity = report.get("sensitivity") or {}
    loo = sensitivity.get("leave_one_out") or {}
    if "min" in loo:
        click.echo(
            f"leave one unit out ({loo['runs']} of {loo.get('units', loo['runs'])} runs "
            f"estimable): {_fmt(loo['min'])} (without {loo['min_without']}) to "
            f"{_fmt(loo['max'])} (without {loo['max_without']})"
        )
    elif loo:
        click.echo(f"leave one unit out: not run ({loo['not_run']})")
    for name in ("shorter_window", "longer_window"):
        part = sensitivity.get(name) or {}
        label = name.replace("_", " ")
        if "att" in part:
            click.echo(
                f"{label} {part['periods'][0]}–{part['periods'][1]}: "
                f"{_fmt(part['att'])} {_ci(part['ci'])}"
            )
        elif part:
            click.echo(f"{label}: not run ({part['not_run']})")
    if report.get("weights"):
        click.echo(
            "donor weights: "
            + ", ".join(f"{name} {_fmt(w, '{:.3f}')}" for name, w in report["weights"].items())
        )
    if "placebo_p_value" in report:
        click.echo(f"in-space placebo p-value: {_fmt(report['placebo_p_value'], '{:.3f}')}")
    in_time = report.get("in_time_placebo")
    if in_time:
        click.echo(
            f"in-time placebo (fake start {in_time.get('fake_start')}): "
            f"{_fmt(in_time.get('estimate'))}"
        )
    for warning in report.get("warnings", []):
        click.echo(f"warning: {warning}")
    if report.get("association"):
        click.echo(report["association"])

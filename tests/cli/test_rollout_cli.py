"""`qa-app rollout evaluate` on an analyst's panel file and on calls in the database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.domain.rollouts.test_did import MPDTA
from tests.store.helpers import snapshot
from tests.store.test_imports import HEADER, TRANSCRIPT, write_calls

MPDTA_ARGS = (
    "--panel",
    MPDTA,
    "--unit",
    "countyreal",
    "--time",
    "year",
    "--outcome",
    "lemp",
    "--first-treated",
    "first.treat",
)


def test_panel_file_json_reports_the_published_att_and_the_pieces(cli, tmp_path):
    chart = tmp_path / "event.png"
    result = cli("rollout", "evaluate", *MPDTA_ARGS, "--format", "json", "--chart", chart)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["method"] == "did"
    # R did, mpdta, never-treated controls, no covariates (see tests/domain/rollouts/test_did).
    assert report["att"] == pytest.approx(-0.03995, abs=1e-5)
    assert report["se"] == pytest.approx(0.01203, abs=1e-5)
    assert report["ci"][0] < report["att"] < report["ci"][1] < 0
    assert [e["relative_period"] for e in report["event_study"]] == [-3, -2, -1, 0, 1, 2, 3]
    assert report["pretrend"].startswith("no evidence against parallel trends")
    # Cohorts 2004, 2006, 2007 in 2003-2007; a fake start needs a year before it in the data.
    placebos = [(p["shift_periods"], p["fake_start"], p["fake_starts"]) for p in report["placebos"]]
    assert placebos == [(1, 2005, [2005, 2006]), (2, 2004, [2004, 2005])]
    assert set(report["sensitivity"]) == {"leave_one_out", "shorter_window", "longer_window"}
    assert "association" in report["association"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_panel_file_table_and_refusals(cli, tmp_path):
    result = cli("rollout", "evaluate", *MPDTA_ARGS, "--control", "notyet")
    assert result.exit_code == 0, result.output
    assert "comparison units: not yet treated" in result.output
    assert "ATT: -0.0398" in result.output
    assert "placebo, adoption 1 period(s) early (fake start 2005, 2006): " in result.output
    bad = tmp_path / "panel.csv"
    bad.write_text("unit,t,y,g\na,1,1.5,2\na,2,x,2\nb,1,2.0,0\nb,two,2.5,0\n")
    result = cli(
        "rollout",
        "evaluate",
        "--panel",
        bad,
        "--unit",
        "unit",
        "--time",
        "t",
        "--outcome",
        "y",
        "--first-treated",
        "g",
    )
    assert result.exit_code == 1
    assert "row 3: column 'y': 'x' is not a number" in result.output
    assert "row 5: column 't': 'two' is not a period: use whole numbers" in result.output
    result = cli("rollout", "evaluate", *MPDTA_ARGS, "--method", "synth")
    assert result.exit_code == 1
    assert "exactly one adopting unit; this rollout has 191" in result.output
    result = cli("rollout", "evaluate", "--panel", MPDTA)
    assert result.exit_code == 2 and "--unit, --time, --outcome" in result.output


QUEUES = [f"Q{i}" for i in range(1, 9)]
ADOPTED = {"Q1": "2025-06-10", "Q2": "2025-06-02", "Q3": "2025-08-20", "Q4": "2025-08-01"}
EFFECT = 2.0


def _load_calls(cli, tmp_path, seed=7):
    """Three calls per queue and month in 2025, with a numeric outcome 'csat' that rises by
    EFFECT in adopting queues from their adoption month on; queue and month effects."""
    rng = np.random.default_rng(seed)
    queue_effect = dict(zip(QUEUES, rng.normal(0, 1, len(QUEUES)), strict=True))
    month_effect = rng.normal(0, 1, 13)
    calls, outcomes = [], ["call_id,csat"]
    for queue in QUEUES:
        adopted_month = int(ADOPTED[queue][5:7]) if queue in ADOPTED else 99
        for month in range(1, 13):
            for k in range(3):
                call_id = f"{queue}-{month:02d}-{k}"
                started = f"2025-{month:02d}-{10 + k:02d}T10:00:00Z"
                calls.append(
                    [call_id, "Ana", TRANSCRIPT, "T", queue, "voice", "billing", started, "", "100"]
                )
                value = (
                    5
                    + queue_effect[queue]
                    + month_effect[month]
                    + (EFFECT if month >= adopted_month else 0.0)
                    + rng.normal(0, 0.5)
                )
                outcomes.append(f"{call_id},{value:.4f}")
    assert cli("import", "calls", write_calls(tmp_path / "calls.csv", calls, HEADER)).exit_code == 0
    (tmp_path / "outcomes.csv").write_text("\n".join(outcomes) + "\n")
    assert cli("import", "outcomes", tmp_path / "outcomes.csv").exit_code == 0
    rollout = tmp_path / "rollout.csv"
    rollout.write_text("queue,adopted_on\n" + "".join(f"{q},{d}\n" for q, d in ADOPTED.items()))
    return rollout


def test_rollout_file_on_database_calls_recovers_the_planted_lift(app, cli, tmp_path):
    rollout = _load_calls(cli, tmp_path)
    result = cli(
        "rollout",
        "evaluate",
        "--rollouts",
        rollout,
        "--metric",
        "outcome:csat",
        "--period",
        "month",
        "--window",
        "4",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["method"] == "did"
    assert (report["treated_units"], report["control_units"]) == (4, 4)
    assert report["ci"][0] <= EFFECT <= report["ci"][1]
    assert report["ci"][0] > 0
    assert report["warnings"][0] == "metric: outcome 'csat', mean per queue and month"
    # Placebo dates are months: Q1/Q2 adopted in 2025-06, so one month early is 2025-05.
    assert report["placebos"][0]["fake_start"] == "2025-05"
    assert report["placebos"][0]["fake_starts"] == ["2025-05", "2025-07"]
    assert report["sensitivity"]["shorter_window"]["periods"] == ["2025-04", "2025-09"]
    assert report["sensitivity"]["longer_window"]["periods"] == ["2025-01", "2025-12"]
    assert report["sensitivity"]["leave_one_out"]["runs"] == 8


def test_rollout_file_problems_change_nothing(app, cli, tmp_path):
    from qa_app import db

    rollout = _load_calls(cli, tmp_path)
    before = snapshot(db.get_engine_for(app))
    bad = tmp_path / "bad.csv"
    bad.write_text("queue,adopted_on\nQ1,2025-13-01\n,2025-06-01\nQ1,2025-06-01\n")
    result = cli("rollout", "evaluate", "--rollouts", bad, "--metric", "outcome:csat")
    assert result.exit_code == 1
    assert "row 2: column 'adopted_on': '2025-13-01' is not a date" in result.output
    assert "row 3: column 'queue' is blank" in result.output
    # Years that would overflow the calendar later are refused at their row (was a traceback).
    far = tmp_path / "far.csv"
    far.write_text("queue,adopted_on\nQ1,0001-01-05\nQ3,9999-12-01\nQ4,2025-06-02junk\n")
    result = cli("rollout", "evaluate", "--rollouts", far, "--metric", "outcome:csat")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "row 2: column 'adopted_on': '0001-01-05' is outside the years" in result.output
    assert "row 3: column 'adopted_on': '9999-12-01' is outside the years" in result.output
    assert "row 4: column 'adopted_on': '2025-06-02junk' is not a date" in result.output
    result = cli("rollout", "evaluate", "--rollouts", rollout, "--metric", "outcome:nps")
    assert result.exit_code == 1
    assert "no outcome named 'nps'" in result.output and "csat" in result.output
    result = cli("rollout", "evaluate", "--rollouts", rollout, "--metric", "nps")
    assert result.exit_code == 1 and "unknown metric 'nps'" in result.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("queue,adopted_on\nZ9,2025-06-01\n")
    result = cli("rollout", "evaluate", "--rollouts", unknown, "--metric", "outcome:csat")
    assert result.exit_code == 1 and "queues with calls: Q1, Q2" in result.output
    assert snapshot(db.get_engine_for(app)) == before


def test_synthetic_control_for_a_rollout_to_one_unit(cli, tmp_path):
    """--method synth hands the panel to the synthetic control (qa_app.domain.rollouts.synth)
    with the one adopting unit and its adoption period; the gap chart is written."""
    rng = np.random.default_rng(3)
    rows = ["unit,t,y,g"]
    for i in range(8):
        base = rng.normal(0, 1)
        for t in range(1, 13):
            y = 5 + base + 0.2 * t + (3.0 if i == 0 and t >= 8 else 0.0) + rng.normal(0, 0.2)
            rows.append(f"u{i},{t},{y:.4f},{8 if i == 0 else ''}")
    panel = tmp_path / "one.csv"
    panel.write_text("\n".join(rows) + "\n")
    chart = tmp_path / "gap.png"
    result = cli(
        "rollout", "evaluate", "--panel", panel, "--unit", "unit", "--time", "t",
        "--outcome", "y", "--first-treated", "g", "--method", "synth",
        "--format", "json", "--chart", chart,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["method"] == "synth"
    assert report["treated_unit"] == "u0" and report["treatment_start"] == 8
    assert report["att"] > 2.0
    assert set(report["weights"]) <= {f"u{i}" for i in range(1, 8)}
    assert report["placebo_p_value"] == pytest.approx(1 / 8)
    assert [row["time"] for row in report["gap"]] == list(range(1, 13))
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = cli(
        "rollout", "evaluate", "--panel", panel, "--unit", "unit", "--time", "t",
        "--outcome", "y", "--first-treated", "g", "--method", "synth",
    )  # fmt: skip
    assert "donor weights: u" in table.output and "in-space placebo p-value: 0.125" in table.output


def test_panel_with_unpadded_week_labels_is_evaluated_in_calendar_order(cli, tmp_path):
    """Weeks written 2025-W4 ... 2025-W15 (as text, W10 would sort before W4): the same
    estimate as the panel numbered 1..12, with padded week labels in the report."""
    from tests.domain.rollouts.test_did import simulate

    frame = simulate(seed=1, units=10, periods=12, effect=2.0, cohorts=(0, 6, 9))
    numbered = tmp_path / "numbered.csv"
    frame.to_csv(numbered, index=False)
    labelled = tmp_path / "labelled.csv"
    week = {t: f"2025-W{t + 3}" for t in range(1, 13)}
    frame.assign(
        week=frame["week"].map(week), adopted=frame["adopted"].map({0: "", **week})
    ).sample(frac=1, random_state=0).to_csv(labelled, index=False)
    args = ("--unit", "queue", "--time", "week", "--outcome", "score", "--first-treated",
            "adopted", "--format", "json")  # fmt: skip
    by_number = json.loads(cli("rollout", "evaluate", "--panel", numbered, *args).output)
    result = cli("rollout", "evaluate", "--panel", labelled, *args)
    assert result.exit_code == 0, result.output
    by_label = json.loads(result.output)
    assert by_label["att"] == pytest.approx(by_number["att"])
    assert by_label["event_study"] == by_number["event_study"]
    # Adoptions in periods 6 and 9 (2025-W09, 2025-W12); one period early: 2025-W08, W11.
    assert by_label["placebos"][0]["fake_starts"] == ["2025-W08", "2025-W11"]
    assert by_label["placebos"][0]["fake_start"] == "2025-W08"
    assert by_label["sensitivity"]["shorter_window"]["periods"] == ["2025-W07", "2025-W12"]


def test_synthetic_control_with_named_predictors_from_the_panel(cli, tmp_path):
    """--predictor columns reach the synthetic control: donors are matched on their
    pre-rollout means (with outcome lags) and the report lists them."""
    rng = np.random.default_rng(5)
    rows = ["unit,t,y,g,tenure"]
    for i in range(6):
        base, tenure = rng.normal(0, 1), rng.uniform(2, 10)
        for t in range(1, 11):
            y = 5 + base + 0.2 * t + (3.0 if i == 0 and t >= 7 else 0.0) + rng.normal(0, 0.2)
            rows.append(f"u{i},{t},{y:.4f},{7 if i == 0 else ''},{tenure + rng.normal(0, 0.1):.3f}")
    panel = tmp_path / "one.csv"
    panel.write_text("\n".join(rows) + "\n")
    args = ("rollout", "evaluate", "--panel", panel, "--unit", "unit", "--time", "t",
            "--outcome", "y", "--first-treated", "g")  # fmt: skip
    result = cli(*args, "--method", "synth", "--predictor", "tenure", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["treated_unit"] == "u0" and report["att"] > 2.0
    assert report["predictors"] == [
        "y (pre-period mean)", "y at 1", "y at 3", "y at 6", "tenure (pre-period mean)",
    ]  # fmt: skip
    assert report["placebo_p_value"] == pytest.approx(1 / 6)
    result = cli(*args, "--predictor", "tenure")
    assert (
        result.exit_code == 2 and "--predictor is for --panel with --method synth" in result.output
    )
    result = cli(*args, "--method", "synth", "--predictor", "seniority")
    assert result.exit_code == 1 and "no column for --predictor seniority" in result.output
    lines = panel.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ","  # row 4: tenure blank
    panel.write_text("\n".join(lines) + "\n")
    result = cli(*args, "--method", "synth", "--predictor", "tenure")
    assert result.exit_code == 1
    assert (
        "row 4: column 'tenure' is blank (a predictor needs a value in every row)" in result.output
    )

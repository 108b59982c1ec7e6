"""`qa-app rollout instrument`: two-stage least squares on an analyst's file."""

from __future__ import annotations

import json

import pytest
from linearmodels.datasets import mroz
from openpyxl import Workbook

from tests.domain.rollouts.test_instrument import simulated

MROZ_ARGS = (
    "--outcome", "lwage", "--exposure", "educ", "--instrument", "motheduc",
    "--instrument", "fatheduc", "--control", "exper", "--control", "expersq",
)  # fmt: skip
SIMULATED_ARGS = ("--outcome", "csat", "--exposure", "trained_share", "--instrument", "rotation")


@pytest.fixture(scope="module")
def mroz_csv(tmp_path_factory):
    """Wooldridge's MROZ data (linearmodels' copy): the 428 women in the labour force."""
    path = tmp_path_factory.mktemp("iv") / "mroz.csv"
    mroz.load().dropna(subset=["lwage"]).to_csv(path, index=False)
    return path


def test_published_return_to_education_as_json_and_table(cli, mroz_csv):
    """Wooldridge, Introductory Econometrics, Example 15.5: educ instrumented by motheduc and
    fatheduc, controls exper and exper²: .0614 (robust errors leave the estimate unchanged)."""
    result = cli("rollout", "instrument", "--panel", mroz_csv, *MROZ_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["estimate"] == pytest.approx(0.0614, abs=5e-5)
    assert report["n"] == 428 and report["cov_type"] == "robust"
    assert report["instruments"] == ["motheduc", "fatheduc"]
    assert report["first_stage_f"] > 10 and report["weak_instrument"] is False
    assert report["ci"][0] < report["estimate"] < report["ci"][1]
    assert "association" in report["association"]
    table = cli("rollout", "instrument", "--panel", mroz_csv, *MROZ_ARGS)
    assert table.exit_code == 0, table.output
    assert "2SLS: effect of educ on lwage, instrumented by motheduc, fatheduc" in table.output
    assert "estimate: 0.0614" in table.output and "95% CI [" in table.output
    assert "strong enough by the usual rule" in table.output
    assert "n: 428; errors: heteroskedasticity-robust" in table.output
    assert "warning:" not in table.output
    assert "Otherwise the estimate is an association" in table.output


def test_a_weak_instrument_in_a_workbook_is_flagged_in_words(cli, tmp_path):
    frame = simulated(seed=3, n=400, strength=0.03)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([float(row.csat), float(row.trained_share), float(row.rotation),
                      f"team-{row.team}"])  # fmt: skip
    path = tmp_path / "agents.xlsx"
    workbook.save(path)
    args = ("rollout", "instrument", "--panel", path, *SIMULATED_ARGS, "--cluster", "team")
    report = json.loads(cli(*args, "--format", "json").output)
    assert report["weak_instrument"] is True and report["first_stage_f"] < 10
    assert report["cov_type"] == "clustered" and report["n_clusters"] == 40
    table = cli(*args).output
    assert ": weak (an F below 10 marks a weak instrument" in table
    assert "warning: Weak instrument: the first-stage F is" in table
    assert "do not act on it" in table
    assert "errors: clustered by team (40 clusters)" in table


def test_bad_columns_and_cells_are_named_and_nothing_is_computed(cli, tmp_path):
    path = tmp_path / "agents.csv"
    simulated(seed=1, n=50, strength=0.8).to_csv(path, index=False)
    result = cli("rollout", "instrument", "--panel", path, *SIMULATED_ARGS,
                 "--instrument", "supervisor", "--cluster", "site")  # fmt: skip
    assert result.exit_code == 1
    assert "no column for --instrument supervisor, --cluster site" in result.output
    assert "the columns are csat, trained_share, rotation, team" in result.output
    assert "estimate" not in result.output

    lines = path.read_text().splitlines()
    lines[2] = "n/a," + lines[2].split(",", 1)[1]  # row 3 of the file: csat
    lines[4] = ",".join(lines[4].split(",")[:3]) + ","  # row 5: team blank
    path.write_text("\n".join(lines) + "\n")
    result = cli("rollout", "instrument", "--panel", path, *SIMULATED_ARGS, "--cluster", "team")
    assert result.exit_code == 1
    assert "row 3: column 'csat': 'n/a' is not a number" in result.output
    assert "row 5: column 'team' is blank" in result.output
    assert "estimate" not in result.output

    good = tmp_path / "good.csv"
    simulated(seed=1, n=50, strength=0.8).to_csv(good, index=False)
    result = cli("rollout", "instrument", "--panel", good, *SIMULATED_ARGS,
                 "--control", "rotation")  # fmt: skip
    assert result.exit_code == 1
    assert "good.csv: column(s) 'rotation' are both instruments and controls" in result.output
    result = cli("rollout", "instrument", "--panel", good, "--outcome", "csat")
    assert result.exit_code == 2 and "--exposure" in result.output

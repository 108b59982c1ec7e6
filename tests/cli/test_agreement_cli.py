"""`qa-app agreement`: published values through the command, formats, and refused input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook

from tests.domain.agreement.agreement_data import PUBLISHED_ALPHA, krippendorff_2011_csv


@pytest.fixture
def k2011(tmp_path):
    path = tmp_path / "k2011.csv"
    path.write_text(krippendorff_2011_csv(), encoding="utf-8")
    return path


@pytest.mark.parametrize(("level", "published"), PUBLISHED_ALPHA.items())
def test_published_values_through_the_command(cli, k2011, level, published):
    """Krippendorff (2011), Computing Krippendorff's Alpha-Reliability, section C."""
    result = cli("agreement", k2011, "--level", level, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    value = report["dimensions"]["value"]
    assert report["level"] == level and round(value["alpha"], 3) == published
    assert value["ci"] is None and value["q_below"] is None
    for key in (
        "units",
        "pairable_units",
        "pairable_values",
        "raters",
        "observed_disagreement",
        "expected_disagreement",
        "percent_agreement",
        "within_one_agreement",
        "ac2",
        "reason",
    ):
        assert key in value and key in report["overall"]


def test_bootstrap_flag_adds_interval_and_q(cli, k2011):
    result = cli("agreement", k2011, "--bootstrap", "500", "--seed", "4", "--format", "json")
    value = json.loads(result.stdout)["dimensions"]["value"]
    low, high = value["ci"]
    assert low < value["alpha"] < high <= 1
    assert set(value["q_below"]) == {"0.800", "0.667"}
    assert value["bootstrap"] == {
        "method": "units",
        "interval": "jackknife t",
        "replicates": 500,
        "undefined_replicates": 0,
    }
    assert value["undefined_replicates"] == 0
    # Krippendorff's example has 11 calls: too few for the interval to be taken at face value.
    assert value["ci_warning"].startswith("Only 11 calls: below 20 the interval is less reliable")
    # ... and says how often such intervals held the truth in simulation (issue 23, item 9).
    assert "with 10 calls it held the true alpha in 90–97% (93.7% on average)" in (
        value["ci_warning"]
    )
    again = cli("agreement", k2011, "--bootstrap", "500", "--seed", "4", "--format", "json")
    assert json.loads(again.stdout)["dimensions"]["value"]["ci"] == value["ci"]
    default = cli("agreement", k2011, "--seed", "1", "--format", "json", "--bootstrap")
    assert json.loads(default.stdout)["dimensions"]["value"]["bootstrap"]["replicates"] == 2000


def test_table_and_csv_formats(cli, k2011):
    table = cli("agreement", k2011, "--bootstrap", "200", "--seed", "1").stdout
    assert "Krippendorff's alpha (ordinal)" in table and "0.815" in table and "0.914" in table
    assert "Discuss first (value)" in table
    rows = list(csv.DictReader(io.StringIO(cli("agreement", k2011, "--format", "csv").stdout)))
    assert [r["dimension"] for r in rows] == ["value", "overall"]
    assert round(float(rows[0]["alpha"]), 3) == 0.815


def test_dimensions_xlsx_and_degenerate_json(cli, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["unit", "dimension", "rater", "value"])
    for unit in range(1, 6):
        sheet.append([unit, "summary", "A", 4])
        sheet.append([unit, "summary", "B", 4])
        sheet.append([unit, "@danger", "A", unit % 5 + 1])
        sheet.append([unit, "@danger", "B", "N/A"])
    path = tmp_path / "ratings.xlsx"
    workbook.save(path)
    result = cli("agreement", path, "--format", "json", "--bootstrap", "200")
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    dimensions = json.loads(result.stdout)["dimensions"]
    assert dimensions["summary"]["alpha"] is None
    assert "every pairable score is the same (4)" in dimensions["summary"]["reason"]
    assert dimensions["summary"]["percent_agreement"] == 1.0
    assert dimensions["@danger"]["not_applicable"] == 5
    assert "only one rater scored this" in dimensions["@danger"]["reason"]
    rows = cli("agreement", path, "--format", "csv").stdout
    assert "'@danger" in rows  # CSV cells never start a formula


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("unit,rater,value\n1,A,3\n1,B,high\n", [], "row 3: value 'high' is not a number"),
        (
            "unit,rater,value\n1,A,3\n1,A,4\n",
            [],
            "row 3: rater 'A' already rated unit '1' on 'value' in row 2",
        ),
        ("unit,value\n1,3\n", [], "row 1: missing required column(s): rater"),
        ("unit,rater,value\n1,A,-2\n1,B,3\n", ["--level", "ratio"], "row 2: value -2 is negative"),
        ("unit,rater,value\n,A,3\n", [], "row 2: unit is empty"),
        # Squared differences of these would overflow to NaN: a row error, not a null alpha.
        ("unit,rater,value\n1,A,1e200\n1,B,3\n", [], "row 2: value 1e200 is beyond ±1e+12"),
    ],
)
def test_malformed_input_exits_non_zero_with_row_and_reason(cli, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = cli("agreement", path, *args)
    assert result.exit_code != 0
    assert f"bad.csv: {message}" in result.stderr
    assert "nothing was computed" in result.stderr


def test_unknown_level_is_refused(cli, k2011):
    result = cli("agreement", k2011, "--level", "fuzzy")
    assert result.exit_code == 2 and "'fuzzy' is not one of" in result.output


def test_a_file_where_nobody_scored_says_so(cli, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("unit,rater,value\nu1,A,\nu1,B,N/A\n", encoding="utf-8")
    result = cli("agreement", path, "--format", "json")
    assert result.exit_code == 0, result.output
    value = json.loads(result.stdout)["dimensions"]["value"]
    assert value["alpha"] is None
    assert value["reason"] == "nobody scored this: every value is blank or N/A"


def test_unit_diagnostics_only_with_units(cli, k2011):
    plain = json.loads(cli("agreement", k2011, "--format", "json").stdout)
    assert "unit_diagnostics" not in plain["overall"]
    assert plain["overall"]["rater_diagnostics"]
    full = json.loads(cli("agreement", k2011, "--format", "json", "--units").stdout)
    units = full["overall"]["unit_diagnostics"]
    assert len(units) == full["overall"]["pairable_units"]
    assert {"unit", "values", "spread", "disagreement"} <= set(units[0])
    assert full["overall"]["alpha"] == plain["overall"]["alpha"]


def write(tmp_path, name, rows, header="unit,rater,dimension,value"):
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def perfect(calls):
    """Three raters in perfect agreement on ``calls`` calls (scores vary between calls)."""
    return [(f"c{c}", r, "d", c % 5 + 1) for c in range(calls) for r in "ABC"]


@pytest.mark.parametrize("calls", [3, 8])
def test_perfect_agreement_on_few_calls_is_not_shown_as_certainty(cli, tmp_path, calls):
    path = write(tmp_path, "perfect.csv", perfect(calls))
    result = cli("agreement", path, "--bootstrap", "500", "--seed", "1", "--format", "json")
    value = json.loads(result.stdout)["dimensions"]["d"]
    assert value["alpha"] == 1.0 and value["ci"] == [1.0, 1.0]
    warning = value["ci_warning"]
    assert f"Only {calls} calls: below 20 the interval is less reliable" in warning
    assert "no width" in warning
    # q says "no chance of being below the bar" here: the warning covers it too.
    assert value["q_below"] == {"0.800": 0.0, "0.667": 0.0}
    assert "and so is q, the share of resamples below 0.800 and 0.667" in warning
    assert "a q of 0 is not 'no chance of being below the bar'" in warning
    # Resamples that drew one score only have no alpha: counted, and said.
    assert value["undefined_replicates"] == value["bootstrap"]["undefined_replicates"]
    if value["undefined_replicates"]:
        assert f"{value['undefined_replicates']} of 500 resamples" in warning
    assert json.loads(result.stdout)["overall"]["ci_warning"] == warning


def test_three_calls_report_the_undefined_resamples(cli, tmp_path):
    path = write(tmp_path, "perfect.csv", perfect(3))
    value = json.loads(
        cli("agreement", path, "--bootstrap", "1000", "--seed", "2", "--format", "json").stdout
    )["dimensions"]["d"]
    # 3 of the 27 equally likely resamples draw one call three times: about 11% undefined.
    assert 70 <= value["undefined_replicates"] <= 150
    assert f"{value['undefined_replicates']} of 1000 resamples" in value["ci_warning"]


def test_table_and_csv_show_the_interval_warning(cli, tmp_path):
    path = write(tmp_path, "perfect.csv", perfect(8))
    table = cli("agreement", path, "--bootstrap", "300", "--seed", "1").stdout
    assert "d: interval — Only 8 calls: below 20 the interval is less reliable" in table
    assert "categories: the values observed in the ratings" in table
    rows = list(
        csv.DictReader(
            io.StringIO(cli("agreement", path, "--bootstrap", "300", "--format", "csv").stdout)
        )
    )
    assert rows[0]["ci_warning"].startswith("Only 8 calls")
    assert rows[0]["undefined_replicates"] != ""
    assert rows[0]["category_set"] == "the values observed in the ratings"


def test_krippendorff_method_says_it_is_not_a_confidence_interval(cli, k2011):
    help_text = " ".join(cli("agreement", "--help").output.split())
    assert "for comparison with Krippendorff's macro; not a confidence interval" in help_text
    args = ("--bootstrap", "500", "--bootstrap-method", "krippendorff", "--seed", "1")
    value = json.loads(cli("agreement", k2011, *args, "--format", "json").stdout)
    warning = value["dimensions"]["value"]["ci_warning"]
    assert "for comparison with Krippendorff's macro; not a confidence interval" in warning
    assert "not a confidence interval" in cli("agreement", k2011, *args).stdout


def test_scale_gives_the_dashboards_ac2_and_says_so(cli, tmp_path):
    from qa_app.domain.agreement import Rating, compute_agreement

    # Only 2s, 3s and 4s used, on a 1-5 rubric: AC2 depends on whether 1 and 5 count.
    rows = [
        (f"c{c}", r, "d", 2 + (c + (r == "C" and c % 3 == 0)) % 3) for c in range(30) for r in "ABC"
    ]
    path = write(tmp_path, "ratings.csv", rows)
    observed = json.loads(cli("agreement", path, "--format", "json").stdout)
    scaled = json.loads(cli("agreement", path, "--scale", "1-5", "--format", "json").stdout)
    dashboard = compute_agreement(  # what calibration_dashboard.build_dashboard computes
        [Rating(u, r, d, float(v)) for u, r, d, v in rows], "ordinal", scale=[1, 2, 3, 4, 5]
    )
    assert scaled["dimensions"]["d"]["ac2"] == pytest.approx(dashboard.dimensions["d"].ac2)
    assert observed["dimensions"]["d"]["ac2"] != pytest.approx(scaled["dimensions"]["d"]["ac2"])
    assert observed["dimensions"]["d"]["alpha"] == pytest.approx(scaled["dimensions"]["d"]["alpha"])
    assert scaled["category_set"] == "the rubric's scale 1–5"
    assert scaled["dimensions"]["d"]["categories"] == [1, 2, 3, 4, 5]
    assert observed["category_set"] == "the values observed in the ratings"
    assert observed["dimensions"]["d"]["categories"] == [2, 3, 4]


@pytest.mark.parametrize(
    ("scale", "message"),
    [("1-3", "value 4 is not on the rubric scale 1–3"), ("five", "'five' is not MIN-MAX")],
)
def test_bad_or_too_small_scale_is_refused(cli, tmp_path, scale, message):
    path = write(tmp_path, "ratings.csv", perfect(8))
    result = cli("agreement", path, "--scale", scale)
    assert result.exit_code != 0 and message in result.output


def test_the_command_loads_no_pandas(k2011):
    """`qa-app agreement` answers without loading pandas (4 of its 9 seconds at 20 raters
    × 10,000 calls went to loading it and building frames)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from qa_app.cli.main import main\n"
        "try:\n"
        f"    main(['agreement', {str(k2011)!r}, '--bootstrap', '200', '--seed', '1'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"

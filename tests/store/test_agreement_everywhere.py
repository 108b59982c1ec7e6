"""The export's About line and the rater-drift page read a session's ratings as its dashboard
does: on the rubric's scale, so AC2, its category set and the biases agree everywhere."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from qa_app.domain.agreement import compute_agreement
from qa_app.domain.calibration.dashboard import build_dashboard
from qa_app.domain.calibration.drift import rater_history
from qa_app.domain.calibration.sessions import engine_ratings
from qa_app.models import CalibrationSession, RubricVersion
from qa_app.store.calibration.results import drift_inputs, session_ratings
from qa_app.store.rubrics import rubric_from_row
from tests.store.test_calibration_cli import DIMENSIONS, HEADER, rows, setup
from tests.store.test_exports import load as load_reviewed_calls


def revealed_session(cli, tmp_path, calls=("C-1", "C-2"), lead="lee@example.com"):
    """A paper panel whose scores use only 2-4 of the rubric's 1-5: AC2 counted over the
    values seen differs from AC2 over the scale."""
    first, second = calls
    path = tmp_path / "ratings.csv"
    path.write_text(
        HEADER
        + rows(first, "rita@example.com", "qa", ("4", "3", "4", "2"))
        + rows(first, "Panel 7", "panel", ("3", "3", "4", "2"))
        + rows(first, "Panel 8", "panel", ("4", "2", "4", "3"))
        + rows(second, "rita@example.com", "qa", ("2", "2", "3", "2"))
        + rows(second, "Panel 7", "panel", ("2", "3", "3", "2"))
        + rows(second, "Panel 8", "panel", ("3", "2", "3", "2"))
    )
    result = cli(
        "import",
        "ratings",
        path,
        "--session",
        "Paper panel",
        "--by",
        lead,
        "--create-reviewers",
    )
    assert result.exit_code == 0, result.output


def dashboard(engine):
    with Session(engine) as db:
        stored = db.exec(select(CalibrationSession)).one()
        rubric = rubric_from_row(db.get(RubricVersion, stored.rubric_pk))
        ratings = session_ratings(db, stored.id)
    return ratings, build_dashboard(ratings, rubric, {}, seed=1)


def test_the_exports_session_line_gives_the_dashboards_ac2_and_category_set(
    app, engine, cli, tmp_path
):
    load_reviewed_calls(cli, tmp_path)  # reviewed calls to export
    cli(
        "users",
        "add",
        "--email",
        "lena@example.com",
        "--name",
        "Lena",
        "--role",
        "lead",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    revealed_session(cli, tmp_path, ("E-1", "E-2"), "lena@example.com")
    ratings, numbers = dashboard(engine)
    overall = numbers["agreement"]["everyone"].overall
    observed_only = compute_agreement(engine_ratings(ratings), "ordinal").overall.ac2
    assert f"{observed_only:.3f}" != f"{overall.ac2:.3f}"  # the category set matters here

    out = tmp_path / "flags.xlsx"
    result = cli("export", "flags", "--out", out)
    assert result.exit_code == 0, result.output
    about = {r[0]: r[1] for r in load_workbook(out)["About"].iter_rows(values_only=True)}
    line = about["calibration: Paper panel"]
    assert line.startswith(f"alpha {overall.alpha:.3f} (ordinal")
    assert f"AC2 {overall.ac2:.3f} over the rubric's scale 1–5" in line
    assert numbers["category_set"] == "the rubric's scale 1–5"


def test_the_drift_page_reads_each_session_on_its_rubrics_scale_as_the_dashboard(
    app, engine, cli, tmp_path
):
    setup(cli, tmp_path)
    revealed_session(cli, tmp_path)
    _ratings, numbers = dashboard(engine)
    with Session(engine) as db:
        inputs = drift_inputs(db)
    assert [list(i.scale) for i in inputs] == [[1, 2, 3, 4, 5]]
    points = rater_history(inputs, list(DIMENSIONS), threshold=0.5)
    everyone = numbers["agreement"]["everyone"]
    assert {p.participant for p in points} == {"Rita"}
    assert len(points) == len(DIMENSIONS)
    for point in points:
        expected = {
            d.rater: d.bias for d in everyone.dimensions[point.dimension].rater_diagnostics
        }[point.participant]
        assert point.bias == pytest.approx(expected, abs=1e-12)

"""The calibration session report as a QA lead opens and prints it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from qa_app.domain.calibration.dashboard import build_dashboard
from qa_app.domain.calibration.report import write_session_report
from qa_app.domain.calibration.sessions import SessionRating
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR
from tests.domain.flags.test_flag_export_writer import assert_prints_landscape_one_page_wide

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
DIMENSIONS = [d.id for d in RUBRIC.dimensions]
RATINGS_COLUMNS = ("call_id", "participant", "role", "dimension", "score", "submitted_at")
PEOPLE = (("Rita", "qa"), ("Sam", "qa"), ("Tess", "qa"), ("Panel 1", "panel"), ("Panel 2", "panel"))


def session_ratings(calls: int, people=PEOPLE) -> list[SessionRating]:
    """Scores that mostly agree; Sam leaves one dimension N/A, Panel 2 skips one."""
    ratings = []
    for n in range(calls):
        for p, (name, role) in enumerate(people):
            for d, dimension in enumerate(DIMENSIONS):
                score = 1 + (n + d + (p == 4 and n % 3 == 0)) % 5
                if name == "Sam" and n == 0 and d == 0:
                    ratings.append(SessionRating(f"C-{n}", name, role, dimension, None, True))
                elif name == "Panel 2" and n == 1 and d == 1:
                    ratings.append(SessionRating(f"C-{n}", name, role, dimension, None))
                else:
                    ratings.append(SessionRating(f"C-{n}", name, role, dimension, score))
    return ratings


def write_report(target, calls: int = 6, people=PEOPLE) -> dict:
    """Write the report; returns the dashboard's numbers it was written from."""
    ratings = session_ratings(calls, people)
    consensus = {
        (f"C-{n}", d): 1 + (n + i) % 5 for n in range(calls) for i, d in enumerate(DIMENSIONS)
    }
    numbers = build_dashboard(ratings, RUBRIC, consensus, seed=1)
    write_session_report(
        target,
        "=March calibration",
        RUBRIC,
        numbers,
        [
            {
                "call_id": r.call_id,
                "participant": r.participant,
                "role": r.role,
                "dimension": r.dimension,
                "score": "N/A" if r.not_applicable else r.score,
                "submitted_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
            }
            for r in ratings
        ],
        RATINGS_COLUMNS,
        {"C-0": [("Panel 1", "-felt rushed")]},
        consensus,
    )
    return numbers


def report_workbook(**options):
    target = io.BytesIO()
    write_report(target, **options)
    return load_workbook(io.BytesIO(target.getvalue()))


def gap_table(summary) -> list[dict]:
    """The Summary's QA − panel gap rows, by the gap table's own header."""
    rows = list(summary.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == "QA − panel gap")
    header = [c.value for c in rows[start]]
    return [dict(zip(header, r, strict=False)) for r in rows[start + 1 :]]


def test_every_sheet_prints_landscape_one_page_wide_with_the_header_on_each_page():
    workbook = report_workbook()
    assert workbook.sheetnames == ["Summary", "Ratings", "Per call", "Per rater", "About"]
    for title in ("Summary", "Ratings", "Per call", "Per rater"):
        assert_prints_landscape_one_page_wide(workbook[title])
    assert_prints_landscape_one_page_wide(workbook["About"], header_rows=0)


def test_coefficients_rates_and_means_read_with_their_own_formats():
    workbook = report_workbook()
    summary = workbook["Summary"]
    header = [c.value for c in summary[1]]
    overall = next(r for r in summary.iter_rows(min_row=2) if r[1].value == "overall")
    cells = dict(zip(header, overall, strict=True))
    for name in ("alpha", "ci_low", "ci_high", "ac2"):
        assert isinstance(cells[name].value, int | float), name
        assert cells[name].number_format == "0.000", name
    for name in ("percent_agreement", "within_one_agreement"):
        assert 0 <= cells[name].value <= 1 and cells[name].number_format == "0.0%", name
    assert cells["units"].number_format == "General"  # counts stay whole numbers
    gap = next(r for r in summary.iter_rows() if r[0].value == "QA − panel gap")
    first_gap = summary[gap[0].row + 1]
    assert [c.number_format for c in first_gap[2:6:2]] == ["0.00", "0.00"]
    assert isinstance(first_gap[2].value, float)

    rater = workbook["Per rater"]
    header = [c.value for c in rater[1]]
    panelist = dict(zip(header, rater[2], strict=True))
    assert panelist["participant"].value == "Panel 1"
    # Alignment is a percentage: 0.9 shown as 90.0%, not 90 shown as 9000.0%.
    assert 0 < panelist["alignment_percent"].value <= 1
    assert panelist["alignment_percent"].number_format == "0.0%"
    assert panelist["bias"].number_format == "0.00"
    assert panelist["effect_of_removing"].number_format == "0.000"


def test_per_call_scores_are_numbers_and_text_never_runs_as_a_formula():
    workbook = report_workbook()
    per_call = workbook["Per call"]
    header = [c.value for c in per_call[1]]
    rows = {
        (r[0], r[2]): dict(zip(header, r, strict=True))
        for r in per_call.iter_rows(min_row=2, values_only=True)
    }
    first = DIMENSIONS[0]
    assert rows[("C-2", "Rita")][first] == 1 + 2 % 5  # a number a lead can average
    assert isinstance(rows[("C-2", "Rita")][first], int)
    assert rows[("C-0", "Sam")][first] == "N/A"  # not applicable says so
    assert rows[("C-1", "Panel 2")][DIMENSIONS[1]] is None  # not scored is blank
    assert rows[("C-0", "Panel 1")]["comment"] == "'-felt rushed"
    assert per_call.cell(2, header.index("disagreement") + 1).number_format == "0.00"
    about = {r[0]: r[1] for r in workbook["About"].iter_rows(values_only=True)}
    assert about["session"] == "'=March calibration"


def test_each_interval_has_its_warning_beside_it_as_on_the_dashboard():
    """Six calls: every BCa interval is marked unreliable on the dashboard; the printed
    Summary, read without the dashboard, says so in the column next to the interval."""
    target = io.BytesIO()
    numbers = write_report(target)
    summary = load_workbook(io.BytesIO(target.getvalue()))["Summary"]
    header = [c.value for c in summary[1]]
    assert header[header.index("ci_high") + 1] == "ci_warning"
    printed = {
        (r[0], r[1]): r[header.index("ci_warning")]
        for r in summary.iter_rows(min_row=2, values_only=True)
        if r and r[0] in numbers["agreement"]
    }
    expected = {
        (group, result.name): result.interval.warning
        for group, report in numbers["agreement"].items()
        for result in [*report.dimensions.values(), report.overall]
    }
    assert printed == expected
    warning = printed[("everyone", "overall")]
    assert "Only 6 calls: below 20 the interval is less reliable" in warning
    # The warning is text, the interval beside it keeps its number format.
    overall = next(r for r in summary.iter_rows(min_row=2) if r[1].value == "overall")
    assert overall[header.index("ci_low")].number_format == "0.000"
    assert summary.column_dimensions["G"].width == 40  # a sentence, readable in print


def test_the_gap_says_it_describes_these_raters_and_why_there_is_no_mixed_estimate():
    summary = report_workbook()["Summary"]
    table = gap_table(summary)
    first = table[0]
    assert first["dimension"].value == RUBRIC.dimensions[0].name
    assert first["mixed_mean"].value is None  # 3 QA reviewers, 2 panelists: too few
    assert first["mixed_warning"].value == ("not estimated: needs 3 raters per role and 8 calls")
    scope = next(r for r in table if r["dimension"].value == "interval")
    text = scope["mean"].value
    assert text.startswith("Student's t over calls, 95%: describes these raters on these calls")
    assert "not QA reviewers and customers in general" in text
    method = next(r for r in table if r["dimension"].value == "mixed model")
    assert "(1 | rater)" in method["mean"].value


def test_the_mixed_model_estimate_prints_with_its_interval_and_warning():
    """Three panelists and ten calls: the dashboard shows the crossed random-effects gap;
    the report carries the same numbers, formatted as means, and its warning when it has
    one."""
    people = (*PEOPLE, ("Panel 3", "panel"))
    target = io.BytesIO()
    numbers = write_report(target, calls=10, people=people)
    table = gap_table(load_workbook(io.BytesIO(target.getvalue()))["Summary"])
    for dimension, row in zip(RUBRIC.dimensions, table, strict=False):
        mixed = numbers["gaps"][dimension.id].mixed
        assert mixed is not None and mixed.mean is not None
        assert row["dimension"].value == dimension.name
        assert row["mixed_mean"].value == pytest.approx(mixed.mean, abs=1e-12)
        assert row["mixed_ci_low"].value == pytest.approx(mixed.low, abs=1e-12)
        assert row["mixed_ci_high"].value == pytest.approx(mixed.high, abs=1e-12)
        assert {row[c].number_format for c in ("mixed_mean", "mixed_ci_low")} == {"0.00"}
        assert row["mixed_warning"].value == (
            None if mixed.warning is None else protect_formula(mixed.warning)
        )
    warnings = [row["mixed_warning"].value for row in table[: len(RUBRIC.dimensions)]]
    assert None in warnings  # a fit that converged reads at face value...
    assert any(
        w and w.startswith("Mixed model warning: the fit did not converge") for w in warnings
    )

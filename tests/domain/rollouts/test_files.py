"""Rollout files and panel files: what is accepted, and every problem named by row and column."""

from __future__ import annotations

from datetime import date

import pytest

from qa_app.domain.rollouts.files import RolloutFileError, read_panel_file, read_rollout_file


def _write(tmp_path, text, name="rollout.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_unit_column_names_the_unit_kind(tmp_path):
    rollout = read_rollout_file(_write(tmp_path, "team,adopted_on\nHarbour,2025-03-04\n"))
    assert (rollout.kind, rollout.adopted_on) == ("team", {"Harbour": date(2025, 3, 4)})
    path = _write(tmp_path, "unit,adopted_on\nBilling,2025-03-04\n")
    assert read_rollout_file(path, "queue").kind == "queue"
    with pytest.raises(RolloutFileError, match="--unit-kind"):
        read_rollout_file(path)
    both = _write(tmp_path, "queue,team,adopted_on\nA,B,2025-03-04\n")
    with pytest.raises(RolloutFileError, match="both 'queue' and 'team'"):
        read_rollout_file(both)
    with pytest.raises(RolloutFileError, match="missing column 'adopted_on'"):
        read_rollout_file(_write(tmp_path, "queue,date\nA,2025-03-04\n"))


def test_every_bad_row_is_named_and_nothing_is_returned(tmp_path):
    path = _write(tmp_path, "queue,adopted_on\nA,2025-03-04\nB,March\nA,2025-04-01\n,2025-01-01\n")
    with pytest.raises(RolloutFileError) as raised:
        read_rollout_file(path)
    assert raised.value.problems == [
        "row 3: column 'adopted_on': 'March' is not a date (YYYY-MM-DD)",
        "row 4: column 'queue': 'A' is listed again (first on row 2); give each unit one date",
        "row 5: column 'queue' is blank",
    ]
    assert "rollout.csv: nothing was read" in str(raised.value)


def test_adoption_dates_are_whole_cells_in_a_sane_range(tmp_path):
    """Trailing text is refused, not cut off; years a calendar cannot count periods around
    (0001, 9999) are refused at the row rather than failing later; an ISO date and time (as
    an XLSX date cell reads) gives its date."""
    path = _write(
        tmp_path,
        "queue,adopted_on\nA,2025-06-02junk\nB,0001-01-05\nC,9999-12-01\nD,2025-06-02 noon\n",
    )
    with pytest.raises(RolloutFileError) as raised:
        read_rollout_file(path)
    assert raised.value.problems == [
        "row 2: column 'adopted_on': '2025-06-02junk' is not a date (YYYY-MM-DD)",
        "row 3: column 'adopted_on': '0001-01-05' is outside the years 1900 to 2199: "
        "check the year",
        "row 4: column 'adopted_on': '9999-12-01' is outside the years 1900 to 2199: "
        "check the year",
        "row 5: column 'adopted_on': '2025-06-02 noon' is not a date (YYYY-MM-DD)",
    ]
    path = _write(tmp_path, "queue,adopted_on\nA,2025-06-02 00:00:00\nB,2025-07-01T09:30Z\n")
    assert read_rollout_file(path).adopted_on == {"A": date(2025, 6, 2), "B": date(2025, 7, 1)}


def test_panel_file_reads_blank_first_treated_as_never(tmp_path):
    path = _write(tmp_path, "u,t,y,g\na,1,1.5,2\na,2,2.5,2\nb,1,1.0,\nb,2,1.2,0\n", "p.csv")
    panel = read_panel_file(path, unit="u", time="t", outcome="y", first_treated="g")
    assert panel.labels is None
    assert panel.frame.to_dict("list") == {
        "u": ["a", "a", "b", "b"],
        "t": [1, 2, 1, 2],
        "y": [1.5, 2.5, 1.0, 1.2],
        "g": [2, 2, 0, 0],
    }


def test_panel_file_problems(tmp_path):
    path = _write(
        tmp_path, "u,t,y,g\na,1,1.5,2\na,1,2.5,2\nb,1.5,1.0,-1\nc,1,1,1\nc,2,1,2\n", "p.csv"
    )
    with pytest.raises(RolloutFileError) as raised:
        read_panel_file(path, unit="u", time="t", outcome="y", first_treated="g")
    assert raised.value.problems == [
        "row 3: unit 'a' has period 1 already (row 2)",
        "row 4: column 't': '1.5' is not a period: use whole numbers (1, 2, ...), ISO weeks "
        "(2025-W09) or months (2025-03)",
        "row 4: column 'g': '-1' is not a period (use whole numbers (1, 2, ...), ISO weeks "
        "(2025-W09) or months (2025-03); 0 or blank for never treated)",
        "unit 'c': first-treated period differs between its rows (1, 2)",
    ]
    with pytest.raises(RolloutFileError, match="no column for --outcome sales"):
        read_panel_file(path, unit="u", time="t", outcome="sales", first_treated="g")


def test_panel_week_and_month_labels_are_put_in_calendar_order(tmp_path):
    """As text, 2025-W9 sorts after 2025-W10 and 2025-W52 after 2026-W1; the panel numbers
    periods on the calendar instead, counts a week no row has, and shows padded labels."""
    path = _write(
        tmp_path,
        "u,t,y,g\n"
        "a,2025-W10,2,2025-W10\na,2025-W9,1,2025-W10\na,2026-W1,4,2025-W10\n"
        "b,2025W09,1,\nb,2025-w10,1,0\nb,2025-W52,3,\n",
        "weeks.csv",
    )
    panel = read_panel_file(path, unit="u", time="t", outcome="y", first_treated="g")
    rows = sorted(zip(panel.frame["u"], panel.frame["t"], panel.frame["g"], strict=True))
    # 2025-W09 is period 1; 2025-W52 is 44 weeks later; 2026-W01 the week after.
    assert rows == [("a", 1, 2), ("a", 2, 2), ("a", 45, 2), ("b", 1, 0), ("b", 2, 0), ("b", 44, 0)]
    assert [panel.labels[p] for p in (1, 2, 3, 44, 45)] == [
        "2025-W09", "2025-W10", "2025-W11", "2025-W52", "2026-W01",
    ]  # fmt: skip
    months = _write(tmp_path, "u,t,y,g\na,2025-9,1,2025-10\na,2025-10,2,2025-10\n", "m.csv")
    panel = read_panel_file(months, unit="u", time="t", outcome="y", first_treated="g")
    assert panel.frame["t"].tolist() == [1, 2] and panel.frame["g"].tolist() == [2, 2]
    assert panel.labels == {1: "2025-09", 2: "2025-10"}


def test_panel_labels_that_are_not_periods_or_mix_kinds_are_refused(tmp_path):
    path = _write(
        tmp_path,
        "u,t,y,g\na,2025-W9,1,2025-W10\na,2025-W54,1,2025-W10\nb,3,1,0\nb,2025-13,1,0\n",
        "p.csv",
    )
    with pytest.raises(RolloutFileError) as raised:
        read_panel_file(path, unit="u", time="t", outcome="y", first_treated="g")
    assert raised.value.problems == [
        "row 3: column 't': '2025-W54' is not a period: use whole numbers (1, 2, ...), ISO "
        "weeks (2025-W09) or months (2025-03)",
        "row 5: column 't': '2025-13' is not a period: use whole numbers (1, 2, ...), ISO "
        "weeks (2025-W09) or months (2025-03)",
        "the periods mix ISO weeks (first: row 2, column 't'), whole numbers (first: row 4, "
        "column 't'): use one kind of period throughout",
    ]


def test_panel_predictors_are_read_as_numbers_and_may_not_be_another_role(tmp_path):
    path = _write(tmp_path, "u,t,y,g,tenure\na,1,1.5,2,3\na,2,2.5,2,3.5\nb,1,1,0,7\n", "p.csv")
    panel = read_panel_file(
        path, unit="u", time="t", outcome="y", first_treated="g", predictors=["tenure"]
    )
    assert panel.frame["tenure"].tolist() == [3.0, 3.5, 7.0]
    with pytest.raises(RolloutFileError, match="--predictor y is the --outcome column"):
        read_panel_file(path, unit="u", time="t", outcome="y", first_treated="g", predictors=["y"])

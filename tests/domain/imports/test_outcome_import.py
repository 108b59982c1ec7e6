"""Outcome files: kinds, values and the rows that are refused."""

from __future__ import annotations

import pytest

from qa_app.domain.files.tables import Table
from qa_app.domain.imports.outcomes import (
    BOOLEAN,
    NUMBER,
    infer_kind,
    reject_unknown_calls,
    validate_outcomes,
)


def table(columns, *rows):
    return Table(columns, [(i, dict(zip(columns, r, strict=True))) for i, r in enumerate(rows, 2)])


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["yes", "No", ""], BOOLEAN),
        (["1", "0"], BOOLEAN),
        (["TRUE", "false"], BOOLEAN),
        (["12.5", "0"], NUMBER),
        (["1", "2"], NUMBER),
    ],
)
def test_kind_is_inferred_from_the_column(values, kind):
    assert infer_kind(values) == kind


def test_values_are_read_per_kind_and_blanks_skipped():
    report = validate_outcomes(
        table(["call_id", "saved", "credit_amount"], ["C-1", "yes", "12.50"], ["C-2", "no", ""]),
        {},
    )
    assert report.ok
    assert [(r.call_id, r.name, r.value) for r in report.records] == [
        ("C-1", "saved", 1.0),
        ("C-1", "credit_amount", 12.5),
        ("C-2", "saved", 0.0),
    ]


def test_stored_kind_wins_and_mismatches_are_row_errors():
    report = validate_outcomes(
        table(["call_id", "saved"], ["C-1", "yes"], ["C-2", "25"]), {"saved": BOOLEAN}
    )
    assert [str(e) for e in report.errors] == [
        "row 3: saved: '25' is not true/false/yes/no/1/0 (saved is boolean)"
    ]


def test_bad_numbers_and_column_names_are_reported():
    report = validate_outcomes(table(["call_id", "credit_amount"], ["C-1", "a lot"]), {})
    assert "credit_amount: 'a lot' is not a number" in report.errors[0].message
    report = validate_outcomes(table(["call_id", "Saved?"], ["C-1", "yes"]), {})
    assert "'Saved?' must be lower-case" in report.errors[0].message


def test_unknown_calls_are_moved_to_errors():
    data = table(["call_id", "saved"], ["C-1", "yes"], ["C-404", "no"])
    report = validate_outcomes(data, {})
    reject_unknown_calls(report, data, {"C-1"})
    assert [r.call_id for r in report.records] == ["C-1"]
    assert [str(e) for e in report.errors] == [
        "row 3: unknown call_id 'C-404' (import the call first)"
    ]


def test_numbers_too_large_to_compare_are_refused():
    report = validate_outcomes(
        table(["call_id", "credit_amount"], ["C-1", "12.5"], ["C-2", "1e308"]), {}
    )
    assert [(e.row, e.message) for e in report.errors] == [
        (3, "credit_amount: 1e308 is beyond ±1e+12")
    ]


def test_a_spreadsheets_1_0_and_0_0_still_read_as_a_boolean_column():
    report = validate_outcomes(table(["call_id", "saved"], ["C-1", "1.0"], ["C-2", "0.0"]), {})
    assert report.ok
    assert [(r.kind, r.value) for r in report.records] == [(BOOLEAN, 1.0), (BOOLEAN, 0.0)]

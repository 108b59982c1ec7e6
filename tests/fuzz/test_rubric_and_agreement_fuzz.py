"""Fuzzing the rubric loader and the agreement engine: a result or a one-line error.

Rubrics: arbitrary TOML text, and valid rubric files with one part changed (a key removed,
a value replaced by any TOML value); either a Rubric whose ids are real slugs, or a
RubricError whose problems are one line each. Agreement: any ratings table gives a
report that serialises as JSON without NaN, or a RatingsError naming rows.
"""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from qa_app.domain.agreement import RatingsError, compute_agreement, ratings_from_table
from qa_app.domain.agreement.ratings import parse_value
from qa_app.domain.files.csv_readers import read_columns
from qa_app.domain.files.tables import Columns, FileProblem, read_table
from qa_app.domain.rubrics.definitions import SLUG, Rubric, RubricError, parse_rubric
from tests.conftest import RUBRICS_DIR
from tests.fuzz.strategies import CELL, FEW, FUZZ, raw_text, table_text

VALID = {path.name: path.read_text(encoding="utf-8") for path in RUBRICS_DIR.glob("*.toml")}


def toml_value(value) -> str:
    """Any parsed TOML value written back as TOML (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
        )
    if isinstance(value, str):
        # JSON's escapes are TOML's, but DEL must be escaped in TOML and JSON leaves it.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items())
            + "}"
        )
    return json.dumps(str(value))  # dates and times: as text


def toml_document(doc: dict) -> str:
    return "\n".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in doc.items()) + "\n"


TOML_VALUE = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(),
        st.text(max_size=8),
        st.sampled_from(["x", "acknowledgment >= 4", "a >= 1 and b <= 2 or c", "1", "abc\n"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["1", "2", "x", "id", "min", " 3 "]), inner, max_size=3),
    ),
    max_leaves=6,
)


@st.composite
def mutated_rubric(draw) -> str:
    """A shipped rubric with one key removed or one value replaced, somewhere inside."""
    doc = tomllib.loads(VALID[draw(st.sampled_from(sorted(VALID)))])
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["remove", "replace", "suffix"]))
        if action == "remove":
            del node[key]
        elif action == "suffix" and isinstance(child, str):
            node[key] = child + draw(st.sampled_from(["\n", " ", "\u2028", "x"]))
        else:
            node[key] = draw(TOML_VALUE)
        break
    return toml_document(doc)


def check_rubric(text: str) -> None:
    try:
        rubric = parse_rubric(text, "fuzz.toml")
    except RubricError as error:
        assert error.problems
        for problem in error.problems:
            assert len(str(problem).splitlines()) == 1, repr(str(problem))
        return
    assert isinstance(rubric, Rubric)
    # What the app builds URLs and form fields from must be what the README promises.
    for dimension in rubric.dimensions:
        assert SLUG.fullmatch(dimension.id) and set(dimension.points) == set(rubric.scale)
    for flag in rubric.flags:
        assert SLUG.fullmatch(flag.name)


def test_the_shipped_rubrics_survive_the_round_trip_through_the_writer():
    for text in VALID.values():
        assert parse_rubric(toml_document(tomllib.loads(text))) == parse_rubric(
            toml_document(tomllib.loads(text))
        )


@FUZZ
@given(text=st.one_of(raw_text(), st.sampled_from(list(VALID.values())).map(lambda t: t[:300])))
@example(text="a = [" * 2000)
@example(text='id = "x"\n[scale]\nmin = 1\nmax = 99999999999999999999\n')
def test_any_text_is_a_rubric_or_one_line_problems(text):
    check_rubric(text)


@FUZZ
@given(text=mutated_rubric())
# A dimension id or flag name ending in a line break passed the slug check ($ matches
# before a final \n) and became part of URLs and form field names.
@example(text=toml_document({**tomllib.loads(VALID["empathy-v1.toml"]), "id": "empathy\n"}))
@example(
    text=toml_document(
        {
            **tomllib.loads(VALID["empathy-v1.toml"]),
            "dimensions": [
                {**d, "id": d["id"] + "\n"}
                for d in tomllib.loads(VALID["empathy-v1.toml"])["dimensions"]
            ],
        }
    )
)
# A point key with a line break: the problem printed over two lines.
@example(
    text=toml_document({**tomllib.loads(VALID["empathy-v1.toml"]), "panel_labels": {"1\n2": "x"}})
)
def test_mutated_rubric_files(text):
    check_rubric(text)


def test_a_slug_with_a_trailing_line_break_is_refused():
    doc = tomllib.loads(VALID["empathy-v1.toml"])
    doc["dimensions"][0]["id"] += "\n"
    try:
        parse_rubric(toml_document(doc))
    except RubricError as error:
        assert "dimension #1 needs an 'id'" in str(error)
    else:
        raise AssertionError("accepted a dimension id with a line break")


RATING_VALUE = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "N/A", "", "-2", "1e13", "nan", "x", "1_0", "٣"]),
    CELL,
)
RATINGS = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2", "C3", ""]),
        st.sampled_from(["A", "B", "C", ""]),
        st.sampled_from(["", "d1", "d2"]),
        RATING_VALUE,
    ),
    max_size=14,
)


@FUZZ
@given(
    rows=RATINGS,
    text=table_text(["unit", "rater", "value", "dimension", "call_id", "score", "reviewer"]),
    level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
    use_text=st.booleans(),
)
# "1_0" and "٣" are numbers to Python's float(), as parse_value reads them; the column
# reader must say the same as the one-cell reader.
@example(
    rows=[("C1", "A", "", "1_0"), ("C1", "B", "", "٣")], text="", level="interval", use_text=False
)
def test_agreement_of_any_ratings_table(tmp_path, rows, text, level, use_text):
    from tests.fuzz.strategies import csv_text

    path = tmp_path / "ratings.csv"
    content = text if use_text else csv_text(["unit", "rater", "dimension", "value"], rows)
    path.write_text(content, encoding="utf-8", newline="")
    try:
        columns = read_columns(path)
    except FileProblem:
        return
    try:
        frame = ratings_from_table(columns, level)
    except RatingsError as error:
        assert error.errors and all(len(str(e).splitlines()) == 1 for e in error.errors)
        return
    # The quick reader and the row-by-row table say the same.
    table = read_table(path)
    assert frame.equals(ratings_from_table(Columns.of(table), level))
    if not use_text:  # every kept value is what the one-cell reader makes of it
        cells = dict(table.rows)
        for row, number, label in zip(frame.row, frame.number, frame.label, strict=True):
            value, _na, _error = parse_value(cells[row]["value"], level)
            if isinstance(value, str):
                assert label == value
            elif value is None:
                assert math.isnan(number) and label is None
            else:
                assert number == value
    if frame.empty:
        return
    report = compute_agreement(frame, level, replicates=100, seed=1)
    json.dumps(report.as_dict(), allow_nan=False)
    for result in [*report.dimensions.values(), report.overall]:
        assert (result.alpha is None) == (result.reason is not None)


@FEW
@given(rows=RATINGS, level=st.sampled_from(["ordinal", "nominal"]))
def test_one_dimension_overall_is_the_dimension(rows, level):
    """The shortcut for one dimension gives what pooling every (unit, dimension) gives."""
    from qa_app.domain.agreement import ratings as ratings_module
    from qa_app.domain.agreement import report as report_module
    from qa_app.domain.agreement.ratings import Rating, rating_columns

    ratings = [
        Rating(u, r, "value", float(v) if v.isdigit() else None, row=i + 2)
        for i, (u, r, _d, v) in enumerate(dict.fromkeys(rows))
        if u and r
    ]
    once = {(r.unit, r.rater): r for r in reversed(ratings)}  # the first of each pair
    frame = rating_columns(sorted(once.values(), key=lambda r: r.row))
    if frame.empty:
        return
    quick = compute_agreement(frame, level, replicates=100, seed=3).overall
    pooled = report_module.analyse_dimension(
        ratings_module.dimension_data(
            "overall", frame, None, units=np.array([f"{u}\x1fvalue" for u in frame.unit])
        ),
        level,
        100,
        3,
    )
    pooled.unit_diagnostics = [
        type(u)(u.unit.replace("\x1f", " · "), u.values, u.spread, u.disagreement)
        for u in pooled.unit_diagnostics
    ]
    assert json.dumps(quick.as_dict()) == json.dumps(pooled.as_dict())

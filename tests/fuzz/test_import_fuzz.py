"""Fuzzing the import readers and validators: a clean report or a one-line error, never a crash.

Every importer goes through qa_app.domain.files.tables (CSV, XLSX, JSONL) and then its
validator; whatever the file holds, the outcome is a Table and an ImportReport, or a
FileProblem naming the problem on one line.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, time, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook

from qa_app.domain.files.csv_readers import csv_chunks, read_columns
from qa_app.domain.files.reports import ImportReport, RowError
from qa_app.domain.files.tables import Columns, FileProblem, Table, read_table
from qa_app.domain.imports.calls import OPTIONAL_COLUMNS, validate_calls
from qa_app.domain.imports.calls import REQUIRED_COLUMNS as CALL_COLUMNS
from qa_app.domain.imports.outcomes import validate_outcomes
from qa_app.domain.imports.ratings import REQUIRED_COLUMNS as RATING_COLUMNS
from qa_app.domain.imports.ratings import validate_ratings
from qa_app.domain.imports.reviews import REQUIRED_COLUMNS as REVIEW_COLUMNS
from qa_app.domain.imports.reviews import validate_reviews
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR
from tests.fuzz.strategies import CELL, FEW, FUZZ, raw_text, table_text

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
DIMENSIONS = [d.id for d in RUBRIC.dimensions]
SCORES = st.sampled_from(["1", "3", "5", "0", "6", "N/A", "na", "", "x", " 4 "])


def one_line(text: str) -> bool:
    return len(str(text).splitlines()) == 1


def read(path, text: str | bytes) -> Table | None:
    """The file's table, or None after checking the FileProblem is one line."""
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    try:
        return read_table(path)
    except FileProblem as problem:
        assert one_line(problem), repr(str(problem))
        return None


def check_report(report: ImportReport, table: Table) -> None:
    """Errors are one-line RowErrors naming rows of the file; a rejected row made no record."""
    rows = {row for row, _raw in table.rows} | {1}
    for error in report.errors:
        assert isinstance(error, RowError)
        assert error.row in rows
        assert one_line(str(error)), repr(str(error))
    assert report.ok == (not report.errors)


@FUZZ
@given(
    text=st.one_of(raw_text(), st.binary(max_size=120)), suffix=st.sampled_from([".csv", ".jsonl"])
)
@example(text="a\n\x00", suffix=".csv")
@example(text=b"\xff\xfe", suffix=".csv")
@example(text="a,a\n1,2", suffix=".csv")
@example(text='"a\nb","a\nb"\n', suffix=".csv")  # a header name with a line break, twice
def test_any_text_reads_or_is_refused_in_one_line(tmp_path, text, suffix):
    table = read(tmp_path / f"file{suffix}", text)
    if table is not None:
        assert all(isinstance(raw, dict) for _row, raw in table.rows)


@FUZZ
@given(text=st.one_of(table_text(["unit", "rater", "value", "dimension"]), raw_text()))
@example(text='a,b\n"1",x"\n')  # a quote error: the quick reader gives read_table's message
@example(text="unit,rater,value\n\n \n1,A,3\n")  # blank rows keep their numbers
def test_quick_column_reader_agrees_with_read_table(tmp_path, text):
    path = tmp_path / "ratings.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        expected = Columns.of(read_table(path))
    except FileProblem as problem:
        with pytest.raises(FileProblem) as quick:
            read_columns(path)
        assert str(quick.value) == str(problem)
        return
    assert read_columns(path) == expected


@FUZZ
@given(
    text=st.one_of(table_text(["call_id", "agent", "transcript"]), raw_text()),
    size=st.integers(1, 4),
)
@example(text='a,b\n"1",x"\n', size=1)  # a quote error after a piece was read
@example(text="call_id,agent\n\n \nC1,Ana\nC2\n", size=1)  # blank and short rows
@example(text="\ufeffcall_id,agent\nC1,Ana\x00\n", size=1)  # a byte-order mark; a NUL
@example(text=" \n\n", size=2)  # nothing but blanks
def test_csv_in_pieces_agrees_with_read_table(tmp_path, text, size):
    """The import's piece-by-piece reader gives read_table's rows and numbers, or its error."""
    path = tmp_path / "calls.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        expected = read_table(path)
    except FileProblem as problem:
        with pytest.raises(FileProblem) as pieces:
            columns, chunks = csv_chunks(path, size)
            list(chunks)
        assert str(pieces.value) == str(problem)
        return
    columns, chunks = csv_chunks(path, size)
    pieces = list(chunks)
    assert columns == expected.columns
    assert all(0 < len(piece.rows) <= size for piece in pieces)
    assert [row for piece in pieces for row in piece.rows] == expected.rows


@FUZZ
@given(text=table_text([*CALL_COLUMNS, *OPTIONAL_COLUMNS]))
@example(text='call_id,agent,transcript\nC1,Ana,"Agent: hi\nmore"\n')
@example(text='call_id,agent,transcript\n"C\n1",Ana,Agent: hi\n"C\n1",Ana,Agent: hi\n')
def test_calls_csv(tmp_path, text):
    table = read(tmp_path / "calls.csv", text)
    if table is not None:
        report = validate_calls(table)
        check_report(report, table)
        assert len(report.records) + len(report.rejected_rows) == len(table.rows) or not (
            table.rows
        )


JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["Agent: hi", "a\u2028b", "2026-03-01T14:05:00Z", "-3", "1.5"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
TURN = st.fixed_dictionaries(
    {"speaker": JSON_VALUE, "text": JSON_VALUE}, optional={"offset": JSON_VALUE}
)
CALL_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "call_id": st.one_of(st.sampled_from(["C1", "C2", ""]), JSON_VALUE),
        "agent": st.one_of(st.just("Ana"), JSON_VALUE),
        "transcript": st.one_of(st.lists(TURN, max_size=3), JSON_VALUE),
        "started_at": JSON_VALUE,
        "agent_tenure_days": JSON_VALUE,
    },
)


def json_line(value) -> str:
    # allow_nan: Python's json writes NaN and Infinity, and reads them back, so files may.
    return json.dumps(value, ensure_ascii=False)


@FUZZ
@given(lines=st.lists(st.one_of(CALL_OBJECT.map(json_line), JSON_VALUE.map(json_line)), max_size=5))
# An offset of 10**400 seconds: float() overflowed, a traceback instead of a row error.
@example(
    lines=[
        '{"call_id": "C1", "agent": "A", "transcript": [{"speaker": "A", "text": "x", '
        '"offset": 1' + "0" * 400 + "}]}"
    ]
)
# NaN and Infinity offsets were accepted as seconds.
@example(
    lines=[
        '{"call_id": "C1", "agent": "A", "transcript": [{"speaker": "A", "text": "x", '
        '"offset": Infinity}]}'
    ]
)
# A U+2028 inside a JSON string is not a line break: the line was cut there and refused.
@example(lines=['{"call_id": "C1", "agent": "A\u2028B", "transcript": "Agent: hi"}'])
def test_calls_jsonl(tmp_path, lines):
    table = read(tmp_path / "calls.jsonl", "\n".join(lines))
    if table is not None:
        report = validate_calls(table)
        check_report(report, table)
        for record in report.records:
            for turn in record.transcript:
                assert turn.offset_seconds is None or 0 <= turn.offset_seconds < float("inf")


def test_a_line_separator_inside_a_json_string_is_text(tmp_path):
    path = tmp_path / "calls.jsonl"
    path.write_text('{"call_id": "C1", "agent": "A\u2028B", "transcript": "Agent: hi"}\r\n')
    report = validate_calls(read_table(path))
    assert report.errors == [] and report.records[0].agent == "A\u2028B"


@FUZZ
@given(text=table_text(["call_id", "saved", "credit_amount", "Bad Name"]), stored=st.booleans())
def test_outcomes_csv(tmp_path, text, stored):
    table = read(tmp_path / "outcomes.csv", text)
    if table is not None:
        kinds = {"saved": "boolean", "credit_amount": "number"} if stored else {}
        report = validate_outcomes(table, kinds)
        check_report(report, table)
        assert all(abs(r.value) <= 1e12 for r in report.records)


def review_rows():
    row = st.tuples(
        st.sampled_from(["C1", "C2", ""]),
        st.sampled_from(["rita@example.com", "RITA@example.com", "", "x"]),
        st.one_of(st.sampled_from(DIMENSIONS), CELL),
        SCORES,
        st.one_of(st.just(""), CELL),
        st.sampled_from(["", "empathy@1", "empathy@9", "nope"]),
    )
    return st.lists(row, max_size=10)


@FUZZ
@given(rows=review_rows(), text=table_text([*REVIEW_COLUMNS, "submitted_at", "rubric"]))
def test_reviews_csv(tmp_path, rows, text):
    from tests.fuzz.strategies import csv_text

    header = [*REVIEW_COLUMNS, "submitted_at", "rubric"]
    for content in (csv_text(header, rows), text):
        table = read(tmp_path / "reviews.csv", content)
        if table is not None:
            report = validate_reviews(table, {RUBRIC.key: RUBRIC}, RUBRIC.key)
            check_report(report, table)
            for record in report.records:
                # A rater may skip items (paper forms): those are missing, and named as skipped.
                assert record.answers and set(record.answers) <= set(DIMENSIONS)
                assert len(record.answers) + len(record.skipped) == len(DIMENSIONS)


@FUZZ
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", ""]),
            st.sampled_from(["rita@example.com", "Pat", ""]),
            st.sampled_from(["qa", "panel", "QA", "x", ""]),
            st.one_of(st.sampled_from(DIMENSIONS), CELL),
            SCORES,
            CELL,
        ),
        max_size=10,
    ),
    text=table_text([*RATING_COLUMNS, "comment"]),
)
def test_calibration_ratings_csv(tmp_path, rows, text):
    from tests.fuzz.strategies import csv_text

    for content in (csv_text([*RATING_COLUMNS, "comment"], rows), text):
        table = read(tmp_path / "ratings.csv", content)
        if table is not None:
            report = validate_ratings(table, RUBRIC)
            check_report(report, table)
            for record in report.records:
                # A rater may skip items (paper forms): those are missing, and named as skipped.
                assert record.answers and set(record.answers) <= set(DIMENSIONS)
                assert len(record.answers) + len(record.skipped) == len(DIMENSIONS)


XLSX_CELL = st.one_of(
    CELL,
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),
    st.times(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1000)),
    st.none(),
)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        # openpyxl refuses control characters in cells; a spreadsheet cannot hold them either.
        sheet.append(
            [
                "".join(ch for ch in v if ch >= " " or ch in "\t\n\r") if isinstance(v, str) else v
                for v in row
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@FEW
@given(
    kind=st.sampled_from(["calls", "outcomes", "reviews", "ratings"]),
    header=st.lists(
        st.sampled_from(
            [
                "call_id",
                "agent",
                "transcript",
                "started_at",
                "agent_tenure_days",
                "saved",
                "reviewer",
                "dimension",
                "score",
                "rater",
                "role",
                "x",
            ]
        ),
        min_size=1,
        max_size=6,
    ),
    rows=st.lists(st.lists(XLSX_CELL, max_size=6), max_size=4),
)
@example(kind="calls", header=["call_id", "agent", "transcript"], rows=[[1.0, 2, time(12, 0)]])
def test_xlsx_cells_of_every_type(tmp_path, kind, header, rows):
    table = read(tmp_path / "file.xlsx", xlsx_bytes([header, *rows]))
    if table is None:
        return
    if kind == "calls":
        report = validate_calls(table)
    elif kind == "outcomes":
        report = validate_outcomes(table, {})
    elif kind == "reviews":
        report = validate_reviews(table, {RUBRIC.key: RUBRIC}, RUBRIC.key)
    else:
        report = validate_ratings(table, RUBRIC)
    check_report(report, table)


def damaged(data: bytes, member: str, start: int, length: int, insert: bytes) -> bytes:
    """The workbook with part of one member's bytes replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == member:
                at = start % (len(content) + 1)
                content = content[:at] + insert + content[at + length :]
            target.writestr(item, content)
    return out.getvalue()


GOOD_XLSX = xlsx_bytes([["call_id", "agent", "transcript"], ["C1", "Ana", "Agent: hi"]])


@FEW
@given(
    member=st.sampled_from(sorted(zipfile.ZipFile(io.BytesIO(GOOD_XLSX)).namelist())),
    start=st.integers(0, 5000),
    length=st.integers(0, 40),
    insert=st.one_of(st.binary(max_size=20), st.sampled_from([b"<", b"</row>", b'r="ZZ9"', b"&"])),
)
# Sheet XML broken after the workbook opened: openpyxl reads a read-only sheet lazily, and the
# parse error escaped as a traceback.
@example(member="xl/worksheets/sheet1.xml", start=400, length=5, insert=b"<")
def test_damaged_workbooks_are_refused_in_one_line(tmp_path, member, start, length, insert):
    table = read(tmp_path / "calls.xlsx", damaged(GOOD_XLSX, member, start, length, insert))
    if table is not None:
        check_report(validate_calls(table), table)

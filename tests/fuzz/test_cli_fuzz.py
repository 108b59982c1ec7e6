"""Fuzzing the import and agreement commands end to end, on a real SQLite database.

Whatever the file holds, `qa-app import ...` and `qa-app agreement` finish with exit code
0, 1 or 2 and a message, never a traceback; an import that is refused, or a dry run,
leaves every table exactly as it was (all-or-nothing).
"""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from qa_app.cli.main import main as cli_main
from qa_app.domain.imports.calls import OPTIONAL_COLUMNS
from tests.fuzz.strategies import CELL, FUZZ, csv_text, raw_text, table_text
from tests.fuzz.test_import_fuzz import DIMENSIONS, SCORES, xlsx_bytes

KNOWN_CALLS = ["C-1001", "C-1002", "C-1003"]
HEADERS = {
    "calls": ["call_id", "agent", "transcript", *OPTIONAL_COLUMNS],
    "outcomes": ["call_id", "saved", "credit_amount"],
    "reviews": ["call_id", "reviewer", "dimension", "score", "submitted_at", "rubric"],
    "ratings": ["call_id", "rater", "role", "dimension", "score", "comment"],
}
SMALL_CELL = st.one_of(
    st.sampled_from(
        [
            *KNOWN_CALLS,
            "reviewer@example.com",
            "x@example.com",
            "qa",
            "panel",
            "Agent: hi",
            *DIMENSIONS,
            "empathy@1",
        ]
    ),
    SCORES,
    CELL,
)


@pytest.fixture
def database(sqlite_url, tmp_path):
    """A migrated SQLite database with a rubric, users and three calls."""
    runner = CliRunner()
    assert runner.invoke(cli_main, ["rubric", "load"]).exit_code == 0
    added = runner.invoke(
        cli_main,
        [
            "users",
            "add",
            "--email",
            "reviewer@example.com",
            "--role",
            "reviewer",
            "--name",
            "Rita",
            "--password-stdin",
        ],
        input="a-long-password-1\n",
    )
    assert added.exit_code == 0, added.output
    calls = tmp_path / "seed.csv"
    calls.write_text(
        csv_text(["call_id", "agent", "transcript"], [[c, "Ana", "Agent: hi"] for c in KNOWN_CALLS])
    )
    seeded = runner.invoke(cli_main, ["import", "calls", str(calls)])
    assert seeded.exit_code == 0, seeded.output
    return sqlite_url.removeprefix("sqlite:///")


def snapshot(path: str) -> dict[str, list]:
    """Every row of every table: what an all-or-nothing import must leave alone."""
    with sqlite3.connect(path) as connection:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'login_attempts'"
            )
        ]
        # Table names come from sqlite_master, not from input.
        query = 'SELECT * FROM "{}"'
        return {n: sorted(map(repr, connection.execute(query.format(n)))) for n in names}


def run(*args: str):
    result = CliRunner().invoke(cli_main, [str(a) for a in args])
    # An unexpected exception is a crash, whatever was printed; SystemExit is an exit code.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception,
        result.output,
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code:
        assert result.stderr.strip(), "a refusal must say why"
    return result


def file_content(kind: str):
    header = st.just(HEADERS[kind])
    rows = st.lists(st.lists(SMALL_CELL, max_size=len(HEADERS[kind])), max_size=5)
    return st.one_of(
        st.tuples(header, rows).map(lambda hr: csv_text(*hr)),
        table_text(HEADERS[kind], SMALL_CELL),
        raw_text(100),
    )


@FUZZ
@given(
    kind=st.sampled_from(["calls", "outcomes", "reviews"]),
    data=st.data(),
    suffix=st.sampled_from([".csv", ".csv", ".jsonl", ".xlsx", ".txt"]),
    mode=st.sampled_from([[], ["--dry-run"], ["--skip-invalid"]]),
)
@example(kind="outcomes", data=None, suffix=".csv", mode=[])
def test_imports_never_crash_and_never_half_write(database, tmp_path, kind, data, suffix, mode):
    if data is None:  # unknown call next to a known one: nothing of the file may be written
        content = "call_id,saved\nC-1001,yes\nC-9999,no\n"
    else:
        content = data.draw(file_content(kind))
    path = tmp_path / f"upload{suffix}"
    if suffix == ".xlsx":
        import csv
        import io

        path.write_bytes(xlsx_bytes(list(csv.reader(io.StringIO(content)))))
    else:
        path.write_text(content, encoding="utf-8", newline="")
    extra = ["--create-reviewers"] if kind == "reviews" and "--skip-invalid" in mode else []
    before = snapshot(database)
    result = run("import", kind, path, *mode, *extra)
    if "--dry-run" in mode or (result.exit_code and "--skip-invalid" not in mode):
        assert snapshot(database) == before, result.output


@FUZZ
@given(content=file_content("ratings"), session=st.sampled_from(["s1", "s2"]))
def test_import_ratings_never_crashes_and_never_half_writes(database, tmp_path, content, session):
    path = tmp_path / "ratings.csv"
    path.write_text(content, encoding="utf-8", newline="")
    before = snapshot(database)
    result = run("import", "ratings", path, "--session", session)
    if result.exit_code:
        assert snapshot(database) == before, result.output


@FUZZ
@given(
    content=st.one_of(
        table_text(["unit", "rater", "value", "dimension", "call_id", "score"], SMALL_CELL),
        raw_text(150),
    ),
    options=st.sampled_from(
        [
            [],
            ["--format", "json"],
            ["--format", "csv", "--bootstrap", "100", "--seed", "1"],
            ["--level", "nominal", "--units"],
            ["--level", "ratio", "--bootstrap-method", "krippendorff", "--bootstrap", "100"],
        ]
    ),
)
@example(content="unit,rater,value\n1,A,1_0\n1,B,2\n", options=["--level", "interval"])
def test_agreement_never_crashes(tmp_path, content, options):
    path = tmp_path / "ratings.csv"
    path.write_text(content, encoding="utf-8", newline="")
    run("agreement", path, *options)

"""Benchmark (make bench): the flag export against DataFrame.to_excel, and its memory on 1M rows.

Targets from the coach-export issue: 100,000 calls export to XLSX in at most half the time
that ``DataFrame.to_excel(engine="openpyxl")`` takes for the same rows, measured in the
same run; a 1,000,000-row export's peak memory stays under 500 MB.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import insert
from sqlmodel import Session

from qa_app import db
from qa_app.domain.flags.export import flag_columns, write_xlsx
from qa_app.models import Call, Outcome, Review, ReviewScore
from qa_app.store import final_scores
from qa_app.store.flags.exports import export_flags
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.rubrics import register_rubric_files, rubric_files
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR

pytestmark = pytest.mark.benchmark

CALLS = 100_000
BATCH = 20_000
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
MEMORY_ROWS = 1_000_000
MEMORY_LIMIT_MB = 500


def build(engine, calls: int = CALLS) -> None:
    """``calls`` reviewed calls, each with one submitted review and two outcomes."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        reviewer = create_user(session, "r@bench.example", "R", "reviewer", "benchmark-pass").id
    with engine.begin() as connection:
        for start in range(0, calls, BATCH):
            numbers = range(start + 1, min(start + BATCH, calls) + 1)
            connection.execute(
                insert(Call),
                [
                    {
                        "id": n,
                        "call_id": f"X-{n:06d}",
                        "agent": f"Agent {n % 300}",
                        "team": f"T{n % 8}",
                        "queue": "retention",
                        "channel": ("voice", "chat")[n % 2],
                        "interaction_type": ("escalation", "quick_win", "billing_correction")[
                            n % 3
                        ],
                        "save_script": ("discount-first", "empathy-first", None)[n % 3],
                        "agent_tenure_days": n % 700,
                        "started_at": now,
                        "imported_at": now,
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
            connection.execute(
                insert(Review),
                [
                    {
                        "id": n,
                        "call_pk": n,
                        "reviewer_id": reviewer,
                        "rubric_pk": 1,
                        "status": "submitted",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "submitted_at": now,
                    }
                    for n in numbers
                ],
            )
            connection.execute(
                insert(ReviewScore),
                [
                    {
                        "review_id": n,
                        "dimension": d,
                        "score": 1 + (n + i) % 5,
                        "not_applicable": False,
                        "note": "",
                        "evidence": [],
                    }
                    for n in numbers
                    for i, d in enumerate(DIMENSIONS)
                ],
            )
            connection.execute(
                insert(Outcome),
                [
                    {"call_pk": n, "name": name, "kind": kind, "value": value, "updated_at": now}
                    for n in numbers
                    for name, kind, value in (
                        ("saved", "boolean", float(n % 2)),
                        ("credit_amount", "number", float(n % 40)),
                    )
                ],
            )
        # Written around the app, as a restored database would be: store their final scores
        # as `qa-app db upgrade` does.
        final_scores.rebuild(connection)


def test_xlsx_export_is_twice_as_fast_as_dataframe_to_excel(tmp_path):
    """Both sides write the same 100,000 rows from memory; the full export is timed too."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'export.sqlite3'}")
    db.upgrade(engine)
    build(engine)
    filters = CallFilters()

    start = time.perf_counter()
    summary = export_flags(engine, filters, "xlsx", io.BytesIO())
    end_to_end = time.perf_counter() - start
    assert summary.rows == CALLS

    with Session(engine) as session:
        plan = plan_export(session, filters, None, "empathy")
        rows = list(iter_flag_rows(session, filters, plan))
    engine.dispose()
    columns = flag_columns(plan.rubric, plan.outcomes)
    start = time.perf_counter()
    write_xlsx(io.BytesIO(), columns, rows, [], plan.rubric)
    ours = time.perf_counter() - start

    frame = pd.DataFrame(rows)
    frame["started_at"] = frame["started_at"].dt.tz_localize(None)
    start = time.perf_counter()
    frame.to_excel(io.BytesIO(), engine="openpyxl", index=False)
    baseline = time.perf_counter() - start

    # For the record: openpyxl's own write-only cell writer on the same rows, the reason
    # the data rows are serialised by qa_app.domain.files.xlsx_rows instead.
    start = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Flags")
    for row in frame.itertuples(index=False):
        sheet.append([None if value is pd.NaT else value for value in row])
    workbook.save(io.BytesIO())
    per_cell = time.perf_counter() - start
    print(
        f"\n{CALLS:,} rows to XLSX: ours {ours:.1f} s, "
        f"DataFrame.to_excel {baseline:.1f} s, ratio {baseline / ours:.2f}x (target 2x); "
        f"openpyxl write-only cells alone {per_cell:.1f} s ({baseline / per_cell:.2f}x); "
        f"full export from the database with the Comparison sheets {end_to_end:.1f} s "
        f"({baseline / end_to_end:.2f}x)"
    )
    # The target on both readings: the writer alone, and the whole export from the database
    # (queries, final scores, flags, weights, comparison) against to_excel's writing alone.
    assert ours <= baseline / 2
    assert end_to_end <= baseline / 2


MEMORY_SCRIPT = """
import sys
from qa_app import db
from qa_app.store import final_scores
from qa_app.store.flags.exports import export_flags
from qa_app.store.reviews.queue import CallFilters
engine = db.make_engine(f"sqlite:///{sys.argv[1]}")
summary = export_flags(engine, CallFilters(), "xlsx", sys.argv[2])
# VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec).
status = open("/proc/self/status").read()
peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
print(summary.rows, peak_kb // 1024)
"""


def test_a_million_call_export_from_the_database_stays_under_500_mb(tmp_path):
    """The whole export (queries, scores, flags, comparison, workbook) in a process of its own."""
    database = tmp_path / "million.sqlite3"
    engine = db.make_engine(f"sqlite:///{database}")
    db.upgrade(engine)
    build(engine, MEMORY_ROWS)
    engine.dispose()
    start = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(database), str(tmp_path / "big.xlsx")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rows, peak_mb = int(output[0]), int(output[1])
    size_mb = (tmp_path / "big.xlsx").stat().st_size / 1e6
    print(
        f"\n{rows:,} calls exported from the database to XLSX in "
        f"{time.perf_counter() - start:.0f} s, peak memory {peak_mb} MB "
        f"(target < {MEMORY_LIMIT_MB} MB), file {size_mb:.0f} MB"
    )
    assert rows == MEMORY_ROWS and peak_mb < MEMORY_LIMIT_MB

"""Benchmark (make bench): analyses read the stored final scores, near the cost of reading them.

Issue 25's target: ``qa-app flags summary`` (and the other analyses that read every reviewed
call's final scores and flags) at most 3x the time of reading the reviewed calls' final-score
rows with the database driver alone, a baseline measured in the same run. Measured here on
100,000 reviewed calls in SQLite (``QA_APP_BENCH_ANALYSIS_CALLS`` changes it): the rows
(``iter_flag_rows``) and the whole flag summary (rows, weights and design-based intervals),
in-process, against ``sqlite3`` reading ``final_values`` and ``final_scores``.
"""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from sqlmodel import Session

from qa_app import db
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.flags.summary import flags_summary
from qa_app.store.reviews.queue import CallFilters
from tests.benchmarks.test_export_speed import build

pytestmark = pytest.mark.benchmark

CALLS = int(os.environ.get("QA_APP_BENCH_ANALYSIS_CALLS") or 100_000)
TARGET = 3.0


def _best(run, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def test_the_flag_summary_reads_stored_rows_near_the_drivers_speed(tmp_path):
    path = tmp_path / "analysis.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    build(engine, CALLS)

    def driver():
        connection = sqlite3.connect(path)
        values = connection.execute(
            "SELECT call_pk, rubric_pk, kind, name, value FROM final_values").fetchall()
        scores = connection.execute(
            "SELECT call_pk, rubric_pk, source, review_count FROM final_scores").fetchall()
        connection.close()
        assert len(scores) == CALLS and len(values) > CALLS

    def rows():
        with Session(engine) as session:
            plan = plan_export(session, CallFilters(), None, "empathy")
            assert sum(1 for _ in iter_flag_rows(session, CallFilters(), plan,
                                                 outcomes=False)) == CALLS  # fmt: skip

    def summary():
        report = flags_summary(engine, CallFilters(), "team")
        assert report

    baseline, read, summarised = _best(driver), _best(rows), _best(summary)
    engine.dispose()
    print(
        f"\n{CALLS:,} reviewed calls: the driver reads their final-score rows in {baseline:.2f} s; "
        f"iter_flag_rows {read:.2f} s ({read / baseline:.1f}x), flags summary by team "
        f"{summarised:.2f} s ({summarised / baseline:.1f}x); target <= {TARGET:g}x"
    )
    assert read <= TARGET * baseline
    assert summarised <= TARGET * baseline

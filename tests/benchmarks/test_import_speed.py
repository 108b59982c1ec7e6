"""Benchmark (make bench): call and review imports against one ORM object per row.

Target from the speed issue: calls/s and reviews/s at 1,000,000 calls at least 10x the rate
of a simple loop adding one ORM object per row (flushing each call or review for its id),
measured in the same run. The import side is the real service (``run_import``) reading CSV
files within the 1,000,000-row limit: the calls file, then a reviews file of 250,000 reviews
(4 rows each). The baseline writes BASELINE records into the same database (rolled back) and
is compared as a rate. QA_APP_BENCH_IMPORT_CALLS makes the run smaller.
"""

from __future__ import annotations

import csv
import os
import time

import pytest
from sqlmodel import Session

from qa_app import db
from qa_app.models import AuditEvent, Call, Review, ReviewScore, TranscriptTurn
from qa_app.store.imports.service import run_import
from qa_app.store.rubrics import register_rubric_files, rubric_files
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR

pytestmark = pytest.mark.benchmark

CALLS = int(os.environ.get("QA_APP_BENCH_IMPORT_CALLS", "1000000"))
REVIEWS = min(CALLS, 250_000)
BASELINE = 5_000
TARGET_RATIO = 10.0
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")


def write_files(folder):
    calls, reviews = folder / "calls.csv", folder / "reviews.csv"
    with calls.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["call_id", "agent", "team", "queue", "started_at", "transcript"])
        for n in range(CALLS):
            out.writerow(
                [f"C-{n:07d}", f"Agent {n % 300}", f"T{n % 8}", "billing",
                 "2026-05-01T09:00:00Z", "Agent: Hello.\nCustomer: My bill is wrong."]
            )  # fmt: skip
    with reviews.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["call_id", "reviewer", "dimension", "score"])
        for n in range(REVIEWS):
            for i, dimension in enumerate(DIMENSIONS):
                out.writerow([f"C-{n:07d}", "rita@bench.example", dimension, 1 + (n + i) % 5])
    return calls, reviews


def orm_baseline(engine, rubric_pk: int, reviewer_id: int) -> tuple[float, float]:
    """Calls/s and reviews/s of one ORM object per row, rolled back afterwards."""
    with Session(engine) as session:
        start = time.perf_counter()
        pks = []
        for n in range(BASELINE):
            call = Call(call_id=f"ORM-{n}", agent="Agent", team="T1", queue="billing")
            session.add(call)
            session.flush()
            pks.append(call.id)
            for position, speaker in enumerate(("Agent", "Customer")):
                session.add(TranscriptTurn(call_pk=call.id, position=position, speaker=speaker,
                                           text="Hello."))  # fmt: skip
        session.flush()
        calls_rate = BASELINE / (time.perf_counter() - start)
        start = time.perf_counter()
        for pk in pks:
            review = Review(call_pk=pk, reviewer_id=reviewer_id, rubric_pk=rubric_pk,
                            status="submitted", version=1)  # fmt: skip
            session.add(review)
            session.flush()
            for dimension in DIMENSIONS:
                session.add(ReviewScore(review_id=review.id, dimension=dimension, score=3))
            session.add(AuditEvent(actor_label="system", action="review.imported",
                                   entity_type="review", entity_id=str(review.id)))  # fmt: skip
        session.flush()
        reviews_rate = BASELINE / (time.perf_counter() - start)
        session.rollback()
    return calls_rate, reviews_rate


def test_bulk_imports_are_10x_one_orm_object_per_row(tmp_path):
    path = tmp_path / "import.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        rita = create_user(session, "rita@bench.example", "Rita", "reviewer", "bench-password")
        rita_id = rita.id
    calls_file, reviews_file = write_files(tmp_path)
    start = time.perf_counter()
    calls = run_import(engine, "calls", calls_file)
    calls_rate = CALLS / (time.perf_counter() - start)
    assert calls.written.created == CALLS
    start = time.perf_counter()
    reviews = run_import(engine, "reviews", reviews_file)
    reviews_rate = REVIEWS / (time.perf_counter() - start)
    assert reviews.written.created == REVIEWS
    orm_calls, orm_reviews = orm_baseline(engine, 1, rita_id)
    print(
        f"\nimports into SQLite, {CALLS:,} calls then {REVIEWS:,} reviews (CSV, run_import):"
        f"\n  calls   {calls_rate:,.0f}/s vs one ORM object per row {orm_calls:,.0f}/s "
        f"({calls_rate / orm_calls:.1f}x)\n  reviews {reviews_rate:,.0f}/s vs one ORM object "
        f"per row {orm_reviews:,.0f}/s ({reviews_rate / orm_reviews:.1f}x; target "
        f"{TARGET_RATIO:.0f}x)"
    )
    engine.dispose()
    assert calls_rate / orm_calls >= TARGET_RATIO and reviews_rate / orm_reviews >= TARGET_RATIO

"""Benchmark (make bench): the machine rater trained on 5,000 reviewed calls, then scoring
100,000 calls, with calls/s and peak memory.

Issue 26's speed item: training on 5,000 reviewed calls and scoring 100,000 on this machine,
reported with calls/s and peak memory; scoring runs in batches and streams its results to
the database, so its memory is flat in the number of calls. Each command runs as a fresh
process (`qa-app machine train`, `qa-app machine score`) that reports its own peak resident
memory; the first tenth of the calls is scored first, then the rest, and the two peaks are
compared. QA_APP_BENCH_MACHINE_CALLS changes the number of calls (reviewed: a twentieth).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from datetime import date, timedelta

import numpy as np
import pytest

from qa_app import db
from qa_app.store.imports.service import run_import
from qa_app.store.rubrics import register_rubric_files, rubric_files
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR
from tests.store.test_machine_rater import DIMENSIONS, FILLER, PHRASES

pytestmark = pytest.mark.benchmark

CALLS = int(os.environ.get("QA_APP_BENCH_MACHINE_CALLS") or 100_000)
REVIEWED = CALLS // 20
DAYS = 100
MEMORY_RATIO = 1.5

RUN = """
import resource, sys
from qa_app.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    if exit.code:
        raise
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _run(url: str, *args: str) -> tuple[float, int, str]:
    """(seconds, peak KB, output) of ``qa-app ARGS`` in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True,
        env={**os.environ, "QA_APP_DATABASE_URL": url},
    )  # fmt: skip
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    return seconds, int(done.stderr.strip().splitlines()[-1]), done.stdout


def _files(folder) -> tuple:
    """A calls CSV whose agent turns say (mostly) the score people gave, and the reviews of
    the first REVIEWED calls."""
    rng = np.random.default_rng(7)
    calls, reviews = folder / "calls.csv", folder / "reviews.csv"
    first = date(2026, 1, 1)
    with calls.open("w", newline="") as c, reviews.open("w", newline="") as r:
        out, said = csv.writer(c), csv.writer(r)
        out.writerow(["call_id", "agent", "channel", "started_at", "transcript"])
        said.writerow(["call_id", "reviewer", "dimension", "score"])
        for n in range(CALLS):
            scores = rng.integers(1, 6, size=len(DIMENSIONS))
            turns = [f"Agent: Thanks for calling about your {' '.join(rng.choice(FILLER, 5))}.",
                     f"Customer: My {rng.choice(FILLER)} is wrong."]  # fmt: skip
            for dimension, score in zip(DIMENSIONS, scores, strict=True):
                shown = min(5, max(1, score + int(rng.choice([-1, 0, 0, 0, 1]))))
                turns.append(f"Agent: The agent {PHRASES[dimension][shown - 1]}.")
            day = first + timedelta(days=n * DAYS // CALLS)
            out.writerow([f"C-{n:07d}", f"Agent {n % 40}", ("voice", "chat")[n % 2],
                          f"{day}T10:00:00Z", "\n".join(turns)])  # fmt: skip
            if n < REVIEWED:
                for dimension, score in zip(DIMENSIONS, scores, strict=True):
                    said.writerow([f"C-{n:07d}", "rita@bench.example", dimension, int(score)])
    return calls, reviews, first


def test_training_and_scoring_every_call(tmp_path):
    path = tmp_path / "machine.sqlite3"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        create_user(session, "rita@bench.example", "Rita", "reviewer", "bench-password")
    calls_file, reviews_file, first = _files(tmp_path)
    assert run_import(engine, "calls", calls_file).written.created == CALLS
    assert run_import(engine, "reviews", reviews_file).written.created == REVIEWED
    engine.dispose()
    trained, train_peak, output = _run(url, "machine", "train")
    assert f"({REVIEWED} calls)" in output
    tenth = first + timedelta(days=DAYS // 10 - 1)
    early, early_peak, output = _run(url, "machine", "score", "--until", tenth.isoformat())
    early_calls = int(output.split("Scored ")[1].split()[0])
    rest, rest_peak, output = _run(url, "machine", "score")
    rest_calls = int(output.split("Scored ")[1].split()[0])
    assert early_calls + rest_calls == CALLS
    print(
        f"\nmachine rater on SQLite, {CALLS:,} calls ({REVIEWED:,} reviewed):"
        f"\n  train (5-fold cross-validation, then the model): {trained:.1f} s, "
        f"{REVIEWED / trained:,.0f} reviewed calls/s, peak {train_peak / 1024:.0f} MB"
        f"\n  score {early_calls:,} calls: {early:.1f} s ({early_calls / early:,.0f} calls/s), "
        f"peak {early_peak / 1024:.0f} MB"
        f"\n  score {rest_calls:,} calls: {rest:.1f} s ({rest_calls / rest:,.0f} calls/s), "
        f"peak {rest_peak / 1024:.0f} MB ({rest_peak / early_peak:.2f}x; target at most "
        f"{MEMORY_RATIO}x)"
    )
    assert rest_peak <= MEMORY_RATIO * early_peak

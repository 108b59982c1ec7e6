"""Benchmark (make bench): calls through ``POST /api/v1/calls:bulk`` against the file import
of the same rows, in the same run.

Issue 27's target: the API ingests at least half the file import's calls per second. Both
start from a fresh SQLite database; the file side is ``run_import`` reading a CSV of CALLS
calls, the API side the app answering NDJSON requests of 10,000 calls each through Flask's
test client (no network: what is measured is the app's own work).
QA_APP_BENCH_API_CALLS changes the number of calls (default 50,000).
"""

from __future__ import annotations

import csv
import json
import os
import time

import pytest

from qa_app import create_app, db
from qa_app.store.imports.service import run_import
from qa_app.store.rubrics import register_rubric_files, rubric_files
from qa_app.store.tokens import create_token
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR

pytestmark = pytest.mark.benchmark

CALLS = int(os.environ.get("QA_APP_BENCH_API_CALLS") or 50_000)
PER_REQUEST = 10_000
TARGET = 0.5
TRANSCRIPT = "Agent: Hello, how can I help?\nCustomer: My bill is wrong this month."


def _call(n: int) -> dict:
    return {"call_id": f"A-{n:07d}", "agent": f"Agent {n % 300}", "team": f"T{n % 8}",
            "queue": "billing", "started_at": "2026-05-01T09:00:00Z", "transcript": TRANSCRIPT}


def _database(path):
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        create_user(session, "sync@bench.example", "Sync", "lead", "benchmark-pass")
    return engine


def test_the_bulk_api_ingests_at_least_half_the_file_imports_rate(tmp_path):
    calls = [_call(n) for n in range(CALLS)]
    path = tmp_path / "calls.csv"
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(calls[0]))
        out.writeheader()
        out.writerows(calls)
    engine = _database(tmp_path / "file.sqlite3")
    start = time.perf_counter()
    result = run_import(engine, "calls", path)
    file_seconds = time.perf_counter() - start
    assert result.written.created == CALLS
    engine.dispose()

    api_db = tmp_path / "api.sqlite3"
    _database(api_db).dispose()
    app = create_app({"DATABASE_URL": f"sqlite:///{api_db}", "TESTING": True,
                      "RUBRICS_DIR": str(RUBRICS_DIR), "API_RATE_LIMIT": "10000 per second"})
    with db.transaction(db.get_engine_for(app)) as session:
        _row, token = create_token(session, "sync@bench.example", "bench", "calls:write",
                                   None, "bench")  # fmt: skip
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    bodies = ["\n".join(json.dumps(c) for c in calls[i : i + PER_REQUEST])
              for i in range(0, CALLS, PER_REQUEST)]  # fmt: skip
    start = time.perf_counter()
    created = 0
    for body in bodies:
        answer = client.post("/api/v1/calls:bulk", data=body, headers=headers)
        assert answer.status_code == 200, answer.get_data(True)[:500]
        created += answer.get_json()["created"]
    api_seconds = time.perf_counter() - start
    assert created == CALLS
    db.get_engine_for(app).dispose()
    file_rate, api_rate = CALLS / file_seconds, CALLS / api_seconds
    print(f"\n{CALLS:,} calls: file import {file_rate:,.0f} calls/s ({file_seconds:.1f} s); "
          f"POST /api/v1/calls:bulk {api_rate:,.0f} calls/s ({api_seconds:.1f} s), "
          f"{api_rate / file_rate:.2f}x; target >= {TARGET}x")
    assert api_rate >= TARGET * file_rate

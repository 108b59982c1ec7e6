"""Benchmark (make bench): the analysis pages at a million calls, warm and cold, on SQLite and
PostgreSQL, against ``/healthz`` in the same run.

Issue 25's targets: at 1,000,000 calls (10% reviewed), the Mix page's flag rates and the coach
page's outcome comparison answer within 20x ``/healthz`` once worked out (warm), and when
cold no request takes over 2 s: the page says it is working on it and asks again by itself
(qa_app.web.background), while the analysis runs outside the request. Each page's time to
its answer is reported too. QA_APP_BENCH_PAGE_CALLS changes the number of calls (the
reviewed tenth carries two outcomes each, as the export benchmark's calls do).
"""

from __future__ import annotations

import os
import re
import statistics
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from qa_app import create_app, db
from qa_app.models import Call
from qa_app.store.users import create_user
from tests.benchmarks.test_export_speed import build
from tests.conftest import RUBRICS_DIR

pytestmark = pytest.mark.benchmark

CALLS = int(os.environ.get("QA_APP_BENCH_PAGE_CALLS") or 1_000_000)
REVIEWED = CALLS // 10
BATCH = 50_000
WARM_RATIO = 20.0
COLD_SECONDS = 2.0
REQUESTS = 20
PASSWORD = "benchmark-password"
# The flag rates and the comparison are fragments the full pages fetch (htmx); the Mix page
# itself counts the month's calls by type and channel.
PAGES = {"mix flag rates": ("/mix?month=2026-06", True), "coach comparison":
         ("/coach?outcome=saved", True), "mix page": ("/mix?month=2026-06", False)}


def _million(engine) -> None:
    """REVIEWED reviewed calls with final scores and outcomes, then the rest unreviewed."""
    build(engine, REVIEWED)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for start in range(REVIEWED + 1, CALLS + 1, BATCH):
            connection.execute(insert(Call), [
                {"id": n, "call_id": f"U-{n:07d}", "agent": f"Agent {n % 300}",
                 "team": f"T{n % 8}", "queue": "retention", "channel": ("voice", "chat")[n % 2],
                 "interaction_type": ("escalation", "quick_win", "billing_correction")[n % 3],
                 "started_at": now, "imported_at": now, "updated_at": now}
                for n in range(start, min(start + BATCH, CALLS + 1))
            ])  # fmt: skip
    with db.transaction(engine) as session:
        create_user(session, "lead@bench.example", "Lead", "lead", PASSWORD)


def _median_ms(client, path: str, headers=None) -> float:
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def _pending(text: str) -> bool:
    return 'hx-trigger="load delay:1s"' in text


def test_analysis_pages_answer_from_the_background_at_a_million_calls(db_url):
    engine = db.make_engine(db_url)
    started = time.perf_counter()
    _million(engine)
    engine.dispose()
    built = time.perf_counter() - started
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-" * 8,
                      "RUBRICS_DIR": str(RUBRICS_DIR)})  # fmt: skip
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/login", data={"email": "lead@bench.example", "password": PASSWORD,
                                "csrf_token": token})  # fmt: skip
    fragment = {"HX-Request": "true"}
    bare = _median_ms(client, "/healthz")
    lines, failures = [], []
    for name, (path, is_fragment) in PAGES.items():
        headers = fragment if is_fragment else None
        start = time.perf_counter()
        first = client.get(path, headers=headers)
        cold = time.perf_counter() - start
        assert first.status_code == 200
        text = first.get_data(as_text=True)
        while _pending(text):
            time.sleep(0.5)
            text = client.get(path, headers=headers).get_data(as_text=True)
        answered = time.perf_counter() - start
        assert "data-figure" in text or "<table" in text, text[:500]
        warm = _median_ms(client, path, headers)
        lines.append(f"{name}: cold request {cold:.2f} s, answer after {answered:.1f} s, warm "
                     f"{warm:.1f} ms ({warm / bare:.1f}x /healthz {bare:.1f} ms)")
        if cold > COLD_SECONDS:
            failures.append(f"{name} cold request {cold:.2f} s > {COLD_SECONDS} s")
        if warm > WARM_RATIO * bare:
            failures.append(f"{name} warm {warm / bare:.1f}x > {WARM_RATIO}x /healthz")
    db.get_engine_for(app).dispose()
    backend = db_url.split(":", 1)[0].split("+")[0]
    print(f"\n{backend}, {CALLS:,} calls ({REVIEWED:,} reviewed; built in {built:.0f} s):\n  "
          + "\n  ".join(lines))
    assert not failures, failures

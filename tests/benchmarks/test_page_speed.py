"""Benchmark (make bench): queue page, 200-turn scoring page and autosave on a big SQLite file.

Target from the scoring issue: with 100,000 calls and 400,000 submitted reviews in SQLite,
the queue page and the scoring page of a 200-turn call render in under 50 ms median and
the autosave request in under 20 ms median, each reported beside a bare Flask endpoint
on the same app measured in the same run.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from qa_app import create_app, db
from qa_app.models import Assignment, Call, Review, ReviewScore, TranscriptTurn
from qa_app.store.rubrics import register_rubric_files, rubric_files
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR

pytestmark = pytest.mark.benchmark

CALLS = 100_000
REVIEWS_PER_CALL = 4
REVIEWERS = 40
QUEUE_SIZE = 2_000
LONG_CALL_TURNS = 200
REQUESTS = 200
BATCH = 20_000
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
PASSWORD = "benchmark-password"


def build(engine) -> None:
    """100,000 calls (one with 200 turns), 400,000 submitted reviews, a 2,000-call queue."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        reviewers = [
            create_user(session, f"r{i}@bench.example", f"Reviewer {i}", "reviewer", PASSWORD)
            for i in range(REVIEWERS)
        ]
        reviewer_ids = [r.id for r in reviewers]
        rubric_pk = 1
    with engine.begin() as connection:
        for start in range(0, CALLS, BATCH):
            connection.execute(
                insert(Call),
                [
                    {
                        "call_id": f"B-{n:06d}",
                        "agent": f"Agent {n % 300}",
                        "team": f"T{n % 8}",
                        "queue": ("billing", "retention", "logistics")[n % 3],
                        "channel": "voice",
                        "interaction_type": ("escalation", "quick_win")[n % 2],
                        "started_at": now,
                        "imported_at": now,
                        "updated_at": now,
                    }
                    for n in range(start, min(start + BATCH, CALLS))
                ],
            )
        turns = [
            {
                "call_pk": pk,
                "position": p,
                "speaker": ("Agent", "Customer")[p % 2],
                "text": "A turn of ordinary length in a conversation about a bill.",
            }
            for pk in range(2, CALLS + 1)
            for p in range(2)
        ]
        turns += [
            {
                "call_pk": 1,
                "position": p,
                "speaker": ("Agent", "Customer")[p % 2],
                "text": f"Turn {p}: " + "words in a long transcript " * 6,
            }
            for p in range(LONG_CALL_TURNS)
        ]
        for start in range(0, len(turns), BATCH * 5):
            connection.execute(insert(TranscriptTurn), turns[start : start + BATCH * 5])
        review_id = 0
        for start in range(0, CALLS, BATCH // 4):
            reviews, scores = [], []
            for call_pk in range(start + 1, min(start + BATCH // 4, CALLS) + 1):
                for k in range(REVIEWS_PER_CALL):
                    review_id += 1
                    reviewer = reviewer_ids[(call_pk + k) % REVIEWERS]
                    reviews.append(
                        {
                            "id": review_id,
                            "call_pk": call_pk,
                            "reviewer_id": reviewer,
                            "rubric_pk": rubric_pk,
                            "status": "submitted",
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                            "submitted_at": now,
                        }
                    )
                    scores += [
                        {
                            "review_id": review_id,
                            "dimension": d,
                            "score": 1 + (call_pk + i) % 5,
                            "not_applicable": False,
                            "note": "",
                            "evidence": [],
                        }
                        for i, d in enumerate(DIMENSIONS)
                    ]
            connection.execute(insert(Review), reviews)
            connection.execute(insert(ReviewScore), scores)
        queue_owner = reviewer_ids[0]
        # The long call and 1,999 others, half already reviewed by this reviewer, half to do.
        assigned = [1] + [pk for pk in range(2, CALLS + 1) if pk % 50 == 0][: QUEUE_SIZE - 1]
        connection.execute(
            insert(Assignment),
            [{"call_pk": pk, "reviewer_id": queue_owner, "assigned_at": now} for pk in assigned],
        )
        # The queue owner has not reviewed the long call yet: it is the one they score.
        mine = {"owner": queue_owner}
        connection.execute(
            text(
                "DELETE FROM review_scores WHERE review_id IN "
                "(SELECT id FROM reviews WHERE call_pk = 1 AND reviewer_id = :owner)"
            ),
            mine,
        )
        connection.execute(
            text("DELETE FROM reviews WHERE call_pk = 1 AND reviewer_id = :owner"), mine
        )
        connection.exec_driver_sql("ANALYZE")


def median_ms(client, method: str, path: str, data_for=None) -> float:
    times = []
    for number in range(REQUESTS):
        kwargs = {} if data_for is None else data_for(number)
        start = time.perf_counter()
        response = client.open(path, method=method, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(times)



def served(path):
    """The app on the benchmark's SQLite file, with a bare endpoint as the baseline."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "RUBRICS_DIR": str(RUBRICS_DIR),
        }
    )
    app.add_url_rule("/bench-bare", "bench_bare", lambda: "ok")
    yield app
    db.get_engine_for(app).dispose()


def log_in(client) -> None:
    """Log in as the first benchmark reviewer."""
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/login", data={"email": "r0@bench.example", "password": PASSWORD, "csrf_token": token}
    )

@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "big.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    started = time.perf_counter()
    build(engine)
    print(
        f"\nbuilt {CALLS:,} calls and {CALLS * REVIEWS_PER_CALL:,} reviews in "
        f"{time.perf_counter() - started:.0f} s"
    )
    engine.dispose()
    yield from served(path)


def test_queue_scoring_page_and_autosave_medians(big_app):
    client = big_app.test_client()
    log_in(client)
    # Logging in starts a new session, so the page's token is the one htmx would send.
    scoring_page = client.get("/calls/B-000000/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', scoring_page).group(1)
    bare = median_ms(client, "GET", "/bench-bare")
    queue = median_ms(client, "GET", "/queue")
    page = median_ms(client, "GET", "/calls/B-000000/review")
    assert page and "Turn 199" in client.get("/calls/B-000000/review").get_data(as_text=True)
    versions = {"current": 0}

    def autosave_data(number):
        return {
            "data": {"version": versions["current"], "score": str(1 + number % 5)},
            "headers": {"HX-Request": "true", "X-CSRFToken": token},
        }

    def autosave(number):
        response = client.post("/calls/B-000000/review/dimensions/summary", **autosave_data(number))
        versions["current"] += 1
        return response

    times = []
    for number in range(REQUESTS):
        start = time.perf_counter()
        response = autosave(number)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    save = statistics.median(times)
    print(
        f"\nmedians over {REQUESTS} requests, {CALLS:,} calls, {CALLS * REVIEWS_PER_CALL:,} "
        f"reviews (SQLite):\n  bare endpoint {bare:.2f} ms\n  queue page {queue:.1f} ms "
        f"({queue / bare:.0f}x bare; target 50 ms)\n  scoring page, {LONG_CALL_TURNS} turns "
        f"{page:.1f} ms ({page / bare:.0f}x bare; target 50 ms)\n  autosave {save:.1f} ms "
        f"({save / bare:.0f}x bare; target 20 ms)"
    )
    assert queue < 50 and page < 50 and save < 20


MILLION = 1_000_000


@pytest.fixture(scope="module")
def million_app(tmp_path_factory):
    """1,000,000 calls (no transcripts: the queue never reads them), a 2,000-call queue."""
    path = tmp_path_factory.mktemp("bench") / "million.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        owner = create_user(session, "r0@bench.example", "Reviewer 0", "reviewer", PASSWORD).id
    with engine.begin() as connection:
        for start in range(0, MILLION, BATCH * 5):
            connection.execute(
                insert(Call),
                [
                    {
                        "call_id": f"M-{n:07d}",
                        "agent": f"Agent {n % 300}",
                        "team": f"T{n % 8}",
                        "queue": ("billing", "retention", "logistics")[n % 3],
                        "channel": "voice",
                        "interaction_type": ("escalation", "quick_win")[n % 2],
                        "save_script": ("offer", "none", None)[n % 3],
                        "started_at": now,
                        "imported_at": now,
                        "updated_at": now,
                    }
                    for n in range(start, min(start + BATCH * 5, MILLION))
                ],
            )
        connection.execute(
            insert(Assignment),
            [
                {"call_pk": pk, "reviewer_id": owner, "assigned_at": now}
                for pk in range(1, MILLION + 1, MILLION // QUEUE_SIZE)
            ],
        )
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    yield from served(path)


def test_queue_page_at_a_million_calls(million_app):
    """The queue's filter choices are index seeks, so the page does not grow with the table."""
    client = million_app.test_client()
    log_in(client)
    page = client.get("/queue").get_data(as_text=True)
    assert "retention" in page and "quick_win" in page  # the drop-downs are filled
    bare = median_ms(client, "GET", "/bench-bare")
    queue = median_ms(client, "GET", "/queue")
    print(
        f"\nmedians over {REQUESTS} requests, {MILLION:,} calls, a {QUEUE_SIZE:,}-call queue "
        f"(SQLite):\n  bare endpoint {bare:.2f} ms\n  queue page {queue:.1f} ms "
        f"({queue / bare:.0f}x bare; target 50 ms)"
    )
    assert queue < 50

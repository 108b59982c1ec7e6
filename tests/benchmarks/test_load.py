"""Benchmark (make bench): 50 simulated reviewers against `qa-app serve`, on SQLite and PostgreSQL.

Each reviewer logs in, then until the time is up: opens the queue, opens its first call,
autosaves every dimension (some twice, the second save replacing the first) and submits.
The server is the venv's `qa-app serve` as a real process. Reported per request type:
count, requests/s, p50/p95/p99, and each as a ratio to /healthz measured during the same
run by a prober thread. Afterwards the database is checked: every autosave answered 200
must be stored with its value (unless a later acknowledged save of the same answer
replaced it), every submit answered 204 must be submitted. Asserted: 0 lost writes, 0
5xx, 0 failed requests. Duration: QA_APP_BENCH_LOAD_SECONDS (default 60).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import subprocess
import threading
import time
from collections import defaultdict
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from qa_app import db
from qa_app.domain.imports.calls import CallRecord, parse_transcript_text
from qa_app.models import Assignment, Role
from qa_app.store.calls import existing_call_ids, upsert_calls
from qa_app.store.users import create_user
from tests.benchmarks.test_cli_speed import qa_app_command
from tests.install.conftest import CSRF, free_port

pytestmark = pytest.mark.benchmark

REVIEWERS = 50
CALLS_EACH = 40
SECONDS = float(os.environ.get("QA_APP_BENCH_LOAD_SECONDS", "60"))
PASSWORD = "load-test-password"
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
TRANSCRIPT = "\n".join(
    f"{'Agent' if i % 2 else 'Customer'}: turn {i}, about the second charge this month."
    for i in range(30)
)
QUEUE_LINK = re.compile(r'href="(/calls/[^"/]+/review)"')
VERSION = re.compile(r'id="review-version" name="version" value="(\d+)"')


def seed(url: str) -> None:
    """The schema and rubrics by the CLI, as an installation does; reviewers and calls."""
    env = {**os.environ, "QA_APP_DATABASE_URL": url}
    for args in (["db", "upgrade"], ["rubric", "load"]):
        done = subprocess.run([*qa_app_command(), *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    engine = db.make_engine(url)
    transcript = parse_transcript_text(TRANSCRIPT)
    calls = [
        CallRecord(f"L-{r:02d}-{c:03d}", "Ana B.", transcript, team="Harbour")
        for r in range(REVIEWERS)
        for c in range(CALLS_EACH)
    ]
    with db.transaction(engine) as session:
        upsert_calls(session, calls)
        pks = existing_call_ids(session, [c.call_id for c in calls])
        for r in range(REVIEWERS):
            user = create_user(session, f"r{r:02d}@example.com", f"R {r}", Role.REVIEWER, PASSWORD)
            session.flush()
            for c in range(CALLS_EACH):
                session.add(Assignment(call_pk=pks[f"L-{r:02d}-{c:03d}"], reviewer_id=user.id))
    engine.dispose()


class Recorder:
    """Latencies by request type, status counts, failures; shared by every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.failures: list[str] = []

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class Client:
    """One browser: a keep-alive connection, cookies, and every request timed."""

    def __init__(self, port: int, recorder: Recorder):
        self.port = port
        self.recorder = recorder
        self.cookies = SimpleCookie()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, kind: str, path: str, form: dict | None = None, headers: dict | None = None):
        """(status, body) of one request, timed under ``kind``; redirects are not followed."""
        cookie = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        sent = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.connection.request("POST" if form is not None else "GET", path, body, sent)
            response = self.connection.getresponse()
            content = response.read().decode("utf-8")
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.fail(f"{kind} {path}: {exc!r}")
            self.connection.close()  # reconnects on the next request
            return 0, ""
        self.recorder.add(kind, time.perf_counter() - start, response.status)
        for value in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        return response.status, content


def reviewer(port: int, index: int, deadline: float, recorder: Recorder, acks: list) -> None:
    """Log in, then review calls until the deadline; every acknowledged write goes in acks."""
    client = Client(port, recorder)
    try:
        review_calls(client, index, deadline, recorder, acks)
    finally:
        client.connection.close()


def review_calls(client: Client, index: int, deadline: float, recorder: Recorder, acks: list):
    """The reviewer's session: see :func:`reviewer`."""
    rng = random.Random(index)
    email = f"r{index:02d}@example.com"
    _, page = client.send("login page", "/login")
    status, _ = client.send(
        "login",
        "/login",
        {"email": email, "password": PASSWORD, "csrf_token": unescape(CSRF.search(page)[1])},
    )
    if status not in (302, 303):
        recorder.fail(f"{email}: login answered {status}")
        return
    while time.monotonic() < deadline:
        status, queue = client.send("queue", "/queue")
        links = QUEUE_LINK.findall(queue)
        if status != 200 or not links:
            recorder.fail(f"{email}: queue answered {status} with {len(links)} calls")
            return
        call_path = unescape(links[0])
        status, scoring = client.send("open call", call_path)
        if status != 200:
            recorder.fail(f"{email}: {call_path} answered {status}")
            return
        headers = {"HX-Request": "true", "X-CSRFToken": unescape(CSRF.search(scoring)[1])}
        version = VERSION.search(scoring)[1]
        saves = [*DIMENSIONS, *rng.sample(DIMENSIONS, 2)]  # two answers saved twice
        for dimension in saves:
            score = str(rng.randint(1, 5))
            status, answer = client.send(
                "autosave",
                f"{call_path}/dimensions/{dimension}",
                {"version": version, "score": score},
                headers,
            )
            if status != 200:
                recorder.fail(f"{email}: autosave {dimension} answered {status}")
                return
            version = VERSION.search(answer)[1]
            acks.append(("save", email, call_path.split("/")[2], dimension, int(score)))
        status, _ = client.send("submit", f"{call_path}/submit", {"version": version}, headers)
        if status != 204:
            recorder.fail(f"{email}: submit answered {status}")
            return
        acks.append(("submit", email, call_path.split("/")[2], None, None))


def prober(port: int, deadline: float, recorder: Recorder) -> None:
    """/healthz about 20 times a second: the trivial endpoint under the same load."""
    client = Client(port, recorder)
    while time.monotonic() < deadline:
        client.send("/healthz", "/healthz")
        time.sleep(0.05)
    client.connection.close()


def lost_writes(url: str, acks: list) -> tuple[int, int, int]:
    """(lost saves, lost submits, acknowledged writes): acknowledged but not in the database."""
    final: dict[tuple, int] = {}
    submitted = set()
    for kind, email, call_id, dimension, score in acks:  # one thread's acks are in order
        if kind == "save":
            final[(email, call_id, dimension)] = score
        else:
            submitted.add((email, call_id))
    engine = db.make_engine(url)
    with engine.connect() as connection:
        stored = {
            (email, call_id, dimension): score
            for email, call_id, dimension, score in connection.execute(
                text(
                    "SELECT u.email, c.call_id, s.dimension, s.score FROM review_scores s "
                    "JOIN reviews r ON r.id = s.review_id JOIN users u ON u.id = r.reviewer_id "
                    "JOIN calls c ON c.id = r.call_pk"
                )
            )
        }
        done = set(
            connection.execute(
                text(
                    "SELECT u.email, c.call_id FROM reviews r JOIN users u ON u.id = "
                    "r.reviewer_id JOIN calls c ON c.id = r.call_pk WHERE r.status = 'submitted'"
                )
            ).all()
        )
    engine.dispose()
    lost_saves = sum(stored.get(key) != score for key, score in final.items())
    lost_submits = len(submitted - {tuple(row) for row in done})
    return lost_saves, lost_submits, len(acks)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.fixture(params=["sqlite", "postgres"])
def load_db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'load.sqlite3'}"
    return request.getfixturevalue("postgres_empty_url")


def test_50_reviewers_lose_no_acknowledged_write(load_db_url, tmp_path):
    seed(load_db_url)
    port = free_port()
    env = {**os.environ, "QA_APP_DATABASE_URL": load_db_url}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*qa_app_command(), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        probe = Client(port, Recorder())
        for _ in range(200):
            if probe.send("up", "/healthz")[0] == 200:
                break
            time.sleep(0.1)
        probe.connection.close()
        recorder, acks = Recorder(), [[] for _ in range(REVIEWERS)]
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=prober, args=(port, deadline, recorder))] + [
            threading.Thread(target=reviewer, args=(port, i, deadline, recorder, acks[i]))
            for i in range(REVIEWERS)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    lost_saves, lost_submits, acknowledged = lost_writes(
        load_db_url, [ack for thread_acks in acks for ack in thread_acks]
    )
    backend = load_db_url.split(":", 1)[0]
    total = sum(len(v) for v in recorder.latencies.values())
    health = recorder.latencies["/healthz"]
    base = {share: percentile(health, share) for share in (0.5, 0.95, 0.99)}
    print(
        f"\n{REVIEWERS} reviewers against qa-app serve on {backend}, {elapsed:.0f} s: "
        f"{total / elapsed:.0f} requests/s, {acknowledged} acknowledged writes, "
        f"lost saves {lost_saves}, lost submits {lost_submits}, "
        f"5xx {sum(n for s, n in recorder.statuses.items() if s >= 500)}, "
        f"failures {len(recorder.failures)}"
    )
    print(
        f"  {'request':<11} {'count':>6} {'/s':>6}  {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        "   ratio to /healthz (p50, p95, p99)"
    )
    for kind in ("/healthz", "login page", "login", "queue", "open call", "autosave", "submit"):
        values = recorder.latencies.get(kind, [])
        if not values:
            continue
        p = {share: percentile(values, share) for share in (0.5, 0.95, 0.99)}
        ratios = ", ".join(f"{p[s] / base[s]:.1f}x" for s in (0.5, 0.95, 0.99))
        print(
            f"  {kind:<11} {len(values):>6} {len(values) / elapsed:>6.1f}  "
            f"{p[0.5] * 1000:>8.1f} {p[0.95] * 1000:>8.1f} {p[0.99] * 1000:>8.1f}   {ratios}"
        )
    for failure in recorder.failures[:10]:
        print(f"  failure: {failure}")
    assert lost_saves == 0 and lost_submits == 0
    assert not [s for s in recorder.statuses if s >= 500]
    assert recorder.failures == []
    assert recorder.latencies["submit"], "no review was submitted"

"""Two server processes on one PostgreSQL database, as behind a proxy: a session ended on one
is ended on the other, and the login throttle holds under a concurrent burst over both."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from qa_app import db
from qa_app.models import LoginAttempt
from qa_app.store.users import create_user
from tests.conftest import TEST_SECRET
from tests.install.conftest import CSRF, Browser, free_port
from tests.views.conftest import PASSWORD

QA_APP = Path(sys.executable).parent / "qa-app"


@pytest.fixture
def two_servers(postgres_empty_url, tmp_path):
    engine = db.make_engine(postgres_empty_url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        create_user(session, "rita@example.com", "Rita", "reviewer", PASSWORD)
    env = {
        **os.environ,
        "QA_APP_DATABASE_URL": postgres_empty_url,
        "QA_APP_SECRET_KEY": TEST_SECRET,
        "QA_APP_INSTANCE_PATH": str(tmp_path),
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [str(QA_APP), "serve", "--port", str(port), "--threads", "16"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            Browser(base).wait_until_up()
        yield bases, engine
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        engine.dispose()


def token_of(browser: Browser, path: str) -> str:
    return unescape(CSRF.search(browser.get(path)[2]).group(1))


@pytest.mark.postgres
def test_a_logout_on_one_server_ends_the_session_on_the_other(two_servers):
    (first, second), _ = two_servers
    on_first = Browser(first)
    on_first.login("rita@example.com", PASSWORD)
    cookie = f"session={on_first.cookies['session'].value}"
    on_second = Browser(second)
    on_second.cookies.load(cookie)
    assert "Log out" in on_second.get("/")[2]  # one session, any server
    on_first.request("/logout", {"csrf_token": token_of(on_first, "/")})
    stale = Browser(second)
    stale.cookies.load(cookie)
    assert "Log out" not in stale.get("/queue")[2]


@pytest.mark.postgres
def test_a_burst_of_guesses_over_two_servers_gets_five_checks(two_servers):
    bases, engine = two_servers

    def guess(number: int) -> int:
        browser = Browser(bases[number % 2])
        guessed = {"email": "rita@example.com", "password": f"wrong-guess-{number}"}
        status, _, _ = browser.request(
            "/login", {**guessed, "csrf_token": token_of(browser, "/login")}
        )
        return status

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(guess, range(30)))
    # 200: the password was checked and was wrong; 429: refused before any check.
    assert statuses.count(200) <= 5 and statuses.count(429) >= 25
    right = Browser(bases[0])
    login = {"email": "rita@example.com", "password": PASSWORD}
    status, _, body = right.request("/login", {**login, "csrf_token": token_of(right, "/login")})
    assert status == 429 and "Too many failed logins for this account" in body
    with Session(engine) as session:
        kept = session.exec(select(func.count()).select_from(LoginAttempt)).one()
    assert kept == 31  # every guess is kept; none deleted

"""`qa-app serve` behind a reverse proxy (QA_APP_TRUSTED_PROXIES=1), over real HTTP: each client
is its own address for the login throttle and the audit trail, and links the app writes for
people outside (panel invites) are https when the proxy says the user came over HTTPS.

Through the real server, not the Flask test client: the server (waitress) decides which of the
proxy's headers reach the app.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.domain.demo.calls import DEMO_USERS
from qa_app.models import AuditEvent
from tests.conftest import TEST_SECRET
from tests.install.conftest import CSRF, Browser, free_port

QA_APP = Path(sys.executable).parent / "qa-app"
LEAD = next(user for user in DEMO_USERS if user.role == "lead")
ADMIN = next(user for user in DEMO_USERS if user.role == "admin")


# One worker runs the module, so the served demo is built once, not once per worker.
pytestmark = pytest.mark.xdist_group("behind_a_proxy")


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    """A served demo database that trusts one proxy in front of it."""
    instance = tmp_path_factory.mktemp("proxied")
    env = {
        **os.environ,
        "QA_APP_INSTANCE_PATH": str(instance),
        "QA_APP_SECRET_KEY": TEST_SECRET,
        "QA_APP_TRUSTED_PROXIES": "1",
    }
    env.pop("QA_APP_DATABASE_URL", None)
    # The demo without its machine rater: these tests are about addresses and sign-in.
    for command in (["db", "upgrade"], ["demo", "--no-machine"]):
        subprocess.run([str(QA_APP), *command], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [str(QA_APP), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    engine = db.make_engine(f"sqlite:///{instance / 'qa_app.sqlite3'}")
    try:
        base = f"http://127.0.0.1:{port}"
        Browser(base).wait_until_up()
        yield base, engine
    finally:
        server.terminate()
        server.wait(timeout=10)
        engine.dispose()


def client_at(base: str, address: str, https: bool = False) -> Browser:
    """A browser whose requests the proxy forwards from ``address``."""
    browser = Browser(base, behind_https_proxy=https)
    browser.extra["X-Forwarded-For"] = address
    return browser


def failed_login(browser: Browser, email: str) -> int:
    _, _, page = browser.get("/login")
    token = unescape(CSRF.search(page).group(1))
    status, _, _ = browser.request(
        "/login", {"email": email, "password": "not the password", "csrf_token": token}
    )
    return status


def test_wrong_passwords_from_many_clients_do_not_lock_out_another(proxied_server):
    base, engine = proxied_server
    # More failures than one address may have, but each from its own client.
    for n in range(21):
        assert failed_login(client_at(base, f"198.51.100.{n + 1}"), f"nobody{n}@example.com") == 200
    client_at(base, "203.0.113.7").login(ADMIN.email, ADMIN.password)
    with Session(engine) as session:
        logins = session.exec(
            select(AuditEvent).where(AuditEvent.action == "login.succeeded")
        ).all()
        failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    # The audit trail names each client, never the proxy.
    assert [event.after["address"] for event in logins] == ["203.0.113.7"]
    assert {event.after["address"] for event in failures} == {
        f"198.51.100.{n + 1}" for n in range(21)
    }


def test_one_client_guessing_is_throttled_alone(proxied_server):
    base, _ = proxied_server
    guesser = client_at(base, "192.0.2.66")
    statuses = [failed_login(guesser, f"guess{n}@example.com") for n in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    client_at(base, "192.0.2.67").login(LEAD.email, LEAD.password)  # another client: not blocked


def test_invite_links_are_https_behind_an_https_proxy(proxied_server):
    base, _ = proxied_server
    lead = client_at(base, "203.0.113.8", https=True)
    lead.login(LEAD.email, LEAD.password)
    _, _, page = lead.get("/calibration")
    token = unescape(CSRF.search(page).group(1))
    rubric_pk = re.search(r'name="rubric_pk"[^>]*>\s*<option value="(\d+)"', page)
    rubric_pk = rubric_pk or re.search(r'<option value="(\d+)"[^>]*>\s*empathy', page)
    status, _, session_page = lead.request(
        "/calibration",
        {
            "csrf_token": token,
            "name": "Behind the proxy",
            "rubric_pk": rubric_pk.group(1),
            "call_ids": "DEMO-0001",
            "panelists": "Pat Panel",
        },
    )
    assert status == 200, session_page[:2000]
    links = re.findall(r"(https?://[^\s\"<]+/panel/[^\s\"<]+)", session_page)
    assert links and all(link.startswith("https://") for link in links), links

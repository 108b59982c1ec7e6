"""The built wheel, installed into a fresh virtualenv outside the checkout, is a working app.

Follows what a new admin does on a server: ``pip install`` the package, then from an empty
folder ``qa-app db upgrade``, ``qa-app demo``, ``qa-app rubric check``, ``qa-app serve``; then a
reviewer logs in, the page's CSS and htmx load, and one answer autosaves. Nothing may be
written into the installation (the secret key once landed in site-packages).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from tests.conftest import PROJECT_ROOT

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A wheel built from this checkout, installed into a new virtualenv; its paths."""
    root = tmp_path_factory.mktemp("installed")
    wheels = root / "wheels"
    run_checked(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
         str(PROJECT_ROOT)],
        cwd=root,
    )
    (wheel,) = wheels.glob("qa_app-*.whl")
    venv = root / "venv"
    run_checked([sys.executable, "-m", "venv", str(venv)])
    run_checked(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)],
    )
    empty = root / "empty-folder"
    empty.mkdir()
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_APP_")}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    env.pop("XDG_DATA_HOME", None)
    env.pop("PYTHONPATH", None)
    return {"venv": venv, "cwd": empty, "env": env, "home": home}


def run_checked(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{command[:4]} failed:\n{done.stdout}\n{done.stderr}"


def qa_app(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(installed["venv"] / "bin" / "qa-app"), *args],
        cwd=installed["cwd"],
        env=installed["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_installed_package_runs_from_an_empty_folder(installed):
    site_packages = next((installed["venv"] / "lib").glob("python3*/site-packages"))
    before = {p for p in site_packages.rglob("*") if "__pycache__" not in p.parts}

    upgraded = qa_app(installed, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # A fresh database is ready after db upgrade alone: the shipped rubrics are registered.
    assert "rubric empathy@1: loaded" in upgraded.stdout
    assert "rubric empathy-7pt@1: loaded" in upgraded.stdout

    demo = qa_app(installed, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "reviewer@example.com" in demo.stdout

    checked = qa_app(installed, "rubric", "check")
    assert checked.returncode == 0, checked.stderr
    assert "2 rubric file(s) OK." in checked.stdout

    # Data and the generated secret key live in the documented instance folder, not the install.
    instance = installed["home"] / ".local" / "share" / "qa_app"
    assert (instance / "secret_key").is_file() and (instance / "qa_app.sqlite3").is_file()
    assert list(installed["cwd"].iterdir()) == []

    port = free_port()
    log = installed["home"].parent / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(installed["venv"] / "bin" / "qa-app"), "serve", "--port", str(port)],
            cwd=installed["cwd"],
            env=installed["env"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            check_a_reviewer_can_score(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert "Traceback" not in log.read_text()

    after = {p for p in site_packages.rglob("*") if "__pycache__" not in p.parts}
    assert after - before == set(), "files were written into the installation"


class Browser:
    """Just enough of a browser: cookies, form posts and htmx headers."""

    def __init__(self, base: str):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            body = response.read().decode("utf-8")
            return response.status, response.headers.get("Content-Type", ""), body

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, str]:
        request = Request(self.base + path, data=urlencode(data).encode(), headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except HTTPError as error:
            return error.code, error.read().decode("utf-8")


def wait_until_up(browser: Browser) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            browser.get("/login")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def check_a_reviewer_can_score(base: str) -> None:
    browser = Browser(base)
    wait_until_up(browser)
    _, _, login_page = browser.get("/login")
    token = unescape(CSRF.search(login_page).group(1))
    status, home = browser.post(
        "/login",
        {"email": "reviewer@example.com", "password": "demo-reviewer-pass", "csrf_token": token},
    )
    assert status == 200 and "Log out" in home

    # The page's own stylesheet and htmx are served from the installed package.
    for asset, kind in (
        (re.search(r'href="(/static/app\.css[^"]*)"', home).group(1), "text/css"),
        (re.search(r'src="(/static/vendor/htmx[^"]*)"', home).group(1), "javascript"),
    ):
        status, content_type, body = browser.get(unescape(asset))
        assert status == 200 and kind in content_type and len(body) > 100

    _, _, queue = browser.get("/queue")
    call_path = unescape(re.search(r'href="(/calls/[^"/]+/review)"', queue).group(1))
    _, _, scoring = browser.get(call_path)
    token = unescape(CSRF.search(scoring).group(1))
    version = re.search(r'id="review-version" name="version" value="(\d+)"', scoring).group(1)
    status, answer = browser.post(
        f"{call_path}/dimensions/acknowledgment",
        {"version": version, "score": "4"},
        {"HX-Request": "true", "X-CSRFToken": token},
    )
    assert status == 200 and "Saved Acknowledgment" in answer
    _, _, reloaded = browser.get(call_path)
    assert re.search(r'name="score" value="4"\s+checked', reloaded)

"""The wheel built from this checkout, installed into a fresh virtualenv outside it, and a
small HTTP client that logs in and autosaves as a browser would."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest

from tests.conftest import PROJECT_ROOT

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def run_checked(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{command[:4]} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory) -> Path:
    """A new virtualenv holding only the built wheel and its dependencies."""
    root = tmp_path_factory.mktemp("installed")
    wheels = root / "wheels"
    # Built from a copy: setuptools builds in the source folder (build/, *.egg-info), where
    # the other tests running meanwhile write and remove files of their own.
    source = root / "source"
    shutil.copytree(
        PROJECT_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
            ".ruff_cache", ".hypothesis", "site", "instance",
        ),
    )  # fmt: skip
    run_checked(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
         str(source)],
        cwd=root,
    )
    (wheel,) = wheels.glob("qa_app-*.whl")
    venv = root / "venv"
    run_checked([sys.executable, "-m", "venv", str(venv)])
    run_checked(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)],
    )
    return venv


def clean_environment(venv: Path, home: Path) -> dict[str, str]:
    """The shell of a new user: no QA_APP_* settings, the virtualenv first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QA_APP_") and k not in ("XDG_DATA_HOME", "PYTHONPATH")
    }
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirects(HTTPRedirectHandler):
    """Redirects come back as answers, so the client can send its cookies along."""

    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Just enough of a browser behind a proxy: cookies (Secure ones too, since the proxy
    speaks HTTPS to the user), the headers nginx adds, form posts and htmx headers."""

    def __init__(self, base: str, behind_https_proxy: bool = False):
        self.base = base
        self.cookies = SimpleCookie()
        self.extra = {"X-Forwarded-Proto": "https"} if behind_https_proxy else {}
        self.opener = build_opener(_NoRedirects)

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        """(status, content type, body); follows redirects like a browser."""
        for _ in range(5):
            cookie = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
            request = Request(
                self.base + path,
                data=urlencode(data).encode() if data is not None else None,
                headers={
                    **self.extra,
                    **self._referer(path),
                    **(headers or {}),
                    **({"Cookie": cookie} if cookie else {}),
                },
            )
            try:
                response = self.opener.open(request, timeout=30)
            except HTTPError as error:
                response = error
            with response:
                for value in response.headers.get_all("Set-Cookie") or []:
                    self.cookies.load(value)
                location = response.headers.get("Location")
                if response.status in (301, 302, 303) and location:
                    path, data, headers = location.removeprefix(self.base), None, None
                    continue
                body = response.read().decode("utf-8")
                return response.status, response.headers.get("Content-Type", ""), body
        raise AssertionError("too many redirects")

    def _referer(self, path: str) -> dict[str, str]:
        """Behind HTTPS a browser names the page it was on (Referrer-Policy same-origin), and
        the CSRF check of an HTTPS request insists on it being this site."""
        if self.extra.get("X-Forwarded-Proto") != "https":
            return {}
        return {"Referer": "https://" + self.base.split("://", 1)[1] + path}

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/healthz")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def login(self, email: str, password: str) -> str:
        _, _, page = self.get("/login")
        token = unescape(CSRF.search(page).group(1))
        status, _, home = self.request(
            "/login", {"email": email, "password": password, "csrf_token": token}
        )
        assert status == 200 and "Log out" in home, home[:2000]
        return home

    def autosave_first_call(self, dimension: str = "acknowledgment", score: str = "4") -> str:
        """Open the first call in my queue, answer one dimension; the call's path."""
        _, _, queue = self.get("/queue")
        call_path = unescape(re.search(r'href="(/calls/[^"/]+/review)"', queue).group(1))
        _, _, scoring = self.get(call_path)
        token = unescape(CSRF.search(scoring).group(1))
        version = re.search(r'id="review-version" name="version" value="(\d+)"', scoring).group(1)
        status, _, answer = self.request(
            f"{call_path}/dimensions/{dimension}",
            {"version": version, "score": score},
            {"HX-Request": "true", "X-CSRFToken": token},
        )
        assert status == 200 and "Saved" in answer, answer
        _, _, reloaded = self.get(call_path)
        assert re.search(rf'name="score" value="{score}"\s+checked', reloaded)
        return call_path

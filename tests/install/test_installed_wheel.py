"""The built wheel, installed into a fresh virtualenv outside the checkout, is a working app.

Follows what a new user does: ``pip install`` the package, then from an empty folder
``qa-app db upgrade``, ``qa-app demo``, ``qa-app rubric check``, ``qa-app serve``; then a
reviewer logs in, the page's CSS and htmx load, and one answer autosaves. Nothing may be
written into the installation (the secret key once landed in site-packages).
"""

from __future__ import annotations

import re
import subprocess
from html import unescape

from tests.install.conftest import Browser, clean_environment, free_port


def test_the_installed_package_runs_from_an_empty_folder(installed_venv, tmp_path):
    site_packages = next((installed_venv / "lib").glob("python3*/site-packages"))
    before = {p for p in site_packages.rglob("*") if "__pycache__" not in p.parts}
    empty, home = tmp_path / "empty-folder", tmp_path / "home"
    empty.mkdir()
    env = clean_environment(installed_venv, home)

    def qa_app(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["qa-app", *args], cwd=empty, env=env, capture_output=True, text=True, timeout=300
        )

    upgraded = qa_app("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # A fresh database is ready after db upgrade alone: the shipped rubrics are registered.
    assert "rubric empathy@1: loaded" in upgraded.stdout
    assert "rubric empathy-7pt@1: loaded" in upgraded.stdout

    demo = qa_app("demo")
    assert demo.returncode == 0, demo.stderr
    assert "reviewer@example.com" in demo.stdout

    checked = qa_app("rubric", "check")
    assert checked.returncode == 0, checked.stderr
    assert "2 rubric file(s) OK." in checked.stdout
    # The customer surveys ship beside the rubrics, and their items map to rubric dimensions.
    surveys = qa_app("survey", "check")
    assert surveys.returncode == 0, surveys.stderr
    assert "2 survey file(s) OK." in surveys.stdout

    # Data lives in the documented instance folder; commands sign nothing, so no key yet.
    instance = home / ".local" / "share" / "qa_app"
    assert (instance / "qa_app.sqlite3").is_file() and not (instance / "secret_key").exists()
    assert list(empty.iterdir()) == []

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["qa-app", "serve", "--port", str(port)],
            cwd=empty, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            browser.wait_until_up()
            home_page = browser.login("reviewer@example.com", "demo-reviewer-pass")
            # The page's own stylesheet and htmx are served from the installed package.
            for pattern, kind in (
                (r'href="(/static/app\.css[^"]*)"', "text/css"),
                (r'src="(/static/vendor/htmx[^"]*)"', "javascript"),
            ):
                asset = unescape(re.search(pattern, home_page).group(1))
                status, content_type, body = browser.get(asset)
                assert status == 200 and kind in content_type and len(body) > 100
            browser.autosave_first_call()
            assert (instance / "secret_key").is_file()  # the server generated and kept it
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert "Traceback" not in log.read_text()

    after = {p for p in site_packages.rglob("*") if "__pycache__" not in p.parts}
    assert after - before == set(), "files were written into the installation"

"""The guide's screenshots are made by docs/screenshots.py from today's pages: it renders a
role's pages of the demo to PNG, each with the page's content (not a login or error page)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import chromium_path

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "screenshots.py"
pytestmark = pytest.mark.browser


def test_the_script_renders_each_page_of_a_role(tmp_path):
    """Run as the guide says (its own process: Playwright's sync API cannot start inside a
    test worker that already drives a browser)."""
    chromium = chromium_path()
    if chromium is None:
        if os.environ.get("QA_APP_REQUIRE_BROWSER") == "1":
            pytest.fail("QA_APP_REQUIRE_BROWSER=1 but Debian chromium is not installed")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--role", "admin"],
        env={**os.environ, "QA_APP_CHROMIUM": chromium},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(tmp_path / "admin-users.png")]
    data = (tmp_path / "admin-users.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    # Every page the script renders is in the guide, and every shot the guide uses exists.
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    guide = "".join(p.read_text("utf-8") for p in SCRIPT.parent.glob("*.md"))
    for role, pages in script.PAGES.items():
        for name, _path, _title in pages:
            assert f"images/screens/{role}-{name}.png" in guide, (role, name)
            assert (SCRIPT.parent / "images" / "screens" / f"{role}-{name}.png").exists()

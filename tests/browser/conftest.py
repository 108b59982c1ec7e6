"""Real-browser fixtures: the demo app served by waitress, driven by Playwright in Debian chromium.

Playwright's own browser download cannot work here, so tests use /usr/bin/chromium.
Without it they skip, unless QA_APP_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

from qa_app import create_app, db
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR, serving

EXPECTED_REFUSAL = "Failed to load resource: the server responded with a status of 4"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("QA_APP_CHROMIUM") or shutil.which("chromium")


# How long an assertion polls for a page state before failing (exports, statistics pages).
PATIENCE_MS = 90_000


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    required = os.environ.get("QA_APP_REQUIRE_BROWSER") == "1"
    if path is None:
        message = "Debian chromium is not installed (apt-get install chromium)"
        if required:
            pytest.fail(f"QA_APP_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("QA_APP_REQUIRE_BROWSER=1 but playwright is not installed")
        pytest.skip("playwright is not installed")
    from playwright.sync_api import expect

    # Pages that load a fragment after the page (htmx) answer in well under a second alone, but
    # the suite runs on every core at once. Assertions poll for the state they need, so a
    # generous bound costs nothing when the page is quick and spares a loaded machine.
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_demo(sqlite_url):
    """The demo data set served on a free local port; yields the base URL."""
    app = create_app({"DATABASE_URL": sqlite_url, "RUBRICS_DIR": str(RUBRICS_DIR)})
    load_demo(db.get_engine_for(app), RUBRICS_DIR)
    with serving(app) as base:
        yield base
    db.get_engine_for(app).dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    # 4xx answers are part of what the tests check (refusals, conflicts); script errors are not.
    unexpected = [e for e in errors if not e.startswith(EXPECTED_REFUSAL)]
    assert not unexpected, f"browser console errors: {unexpected}"


def open_from_menu(page, group: str, link: str) -> None:
    """Open a page from the grouped navigation as a person does: the group, then the link."""
    header = page.locator("header")
    header.locator("summary", has_text=group).click()
    header.get_by_role("link", name=link, exact=True).click()

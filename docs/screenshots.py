"""Render each role's main pages of the demo to PNG for the user guide (docs/images/screens/).

    .venv/bin/python docs/screenshots.py [--out docs/images/screens] [--role lead ...]

``make screenshots`` runs it. It loads the demo into a new SQLite file in a temporary folder,
serves it on a free local port and visits each page as that role in Debian's chromium through
Playwright (``QA_APP_CHROMIUM`` names another chromium), at 1280 × 800, waiting for every
htmx fragment to arrive before taking the picture. So the screenshots in the guide are always
today's pages: run it after changing a page, and commit the PNGs with the change.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 800}
DEFAULT_OUT = HERE / "images" / "screens"
HERO = ("reviewer", "scoring")
# Each role's main pages: (file name, path, what the guide calls it). The demo's own data.
PAGES = {
    "reviewer": [
        ("home", "/", "Home"),
        ("queue", "/queue", "My queue"),
        ("scoring", "/calls/DEMO-0002/review", "Scoring a call"),
    ],
    "lead": [
        ("calibration", "/calibration", "Calibration sessions"),
        ("assign", "/assign", "Assigning calls"),
        ("experiment", "/experiments/demo-empathy-pilot/report", "An experiment's report"),
    ],
    "coach": [
        ("coaching", "/coach", "The Coaching page"),
        ("survival", "/survival", "Survival"),
        ("outreach", "/outreach", "Outreach"),
    ],
    "admin": [("users", "/admin/users", "Users")],
}
LOGINS = {
    "reviewer": ("reviewer@example.com", "demo-reviewer-pass"),
    "lead": ("lead@example.com", "demo-lead-pass"),
    "coach": ("coach@example.com", "demo-coach-pass"),
    "admin": ("admin@example.com", "demo-admin-pass"),
}
# The longest an htmx fragment (a statistics page) may take before the picture is taken anyway.
FRAGMENT_MS = 120_000


def _settle(page) -> None:
    """Wait until no htmx request is running and no region is still busy."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "!document.querySelector('.htmx-request, [aria-busy=\"true\"], [hx-trigger=\"load\"]')",
        timeout=FRAGMENT_MS,
    )


def render(out: Path, roles: list[str]) -> list[Path]:
    """Render the pages of ``roles`` into ``out``; returns the files written."""
    from playwright.sync_api import sync_playwright

    from qa_app import create_app, db
    from qa_app.cli.serve import serving
    from qa_app.resources import shipped_rubrics_dir
    from qa_app.store.demo import load_demo

    chromium = os.environ.get("QA_APP_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite3'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": os.urandom(32).hex(),
                          "ORGANISATION_NAME": "Example Energy", "CURRENCY": "EUR"})  # fmt: skip
        load_demo(db.get_engine_for(app), shipped_rubrics_dir())
        try:
            with serving(app) as base, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
                )
                for role in roles:
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    email, password = LOGINS[role]
                    page.goto(f"{base}/login")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(password)
                    page.keyboard.press("Enter")
                    page.wait_for_url(f"{base}/")
                    for name, path, _title in PAGES[role]:
                        page.goto(f"{base}{path}")
                        _settle(page)
                        target = out / f"{role}-{name}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                        if (role, name) == HERO and out == DEFAULT_OUT:
                            # The README's and the guide's first picture is the scoring page.
                            shutil.copyfile(target, HERE / "images" / "scoring.png")
                    context.close()
                browser.close()
        finally:
            db.get_engine_for(app).dispose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--role", action="append", choices=sorted(PAGES), dest="roles")
    args = parser.parse_args(argv)
    for path in render(args.out, args.roles or list(PAGES)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

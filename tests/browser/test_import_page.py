"""An upload on the Import page shows its progress, then its report, without a reload."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from qa_app.store.imports import jobs as import_jobs
from qa_app.store.imports import service as import_service
from tests.browser.conftest import PATIENCE_MS
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser

CALLS = b"call_id,agent,transcript\nUP-1,Ana,Agent: Hi\nUP-2,,Agent: Hello\n"


def test_an_upload_shows_progress_then_the_report_on_the_same_page(live_demo, page, monkeypatch):
    # The server runs in this process: hold the import half-way so the progress is seen.
    release = threading.Event()

    def held_import(engine, kind, path, *, progress_factory=None, **options):
        progress_factory(10).update(4)
        release.wait(30)
        return import_service.run_import(engine, kind, path, **options)

    monkeypatch.setattr(import_jobs, "run_import", held_import)
    try:
        log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
        page.goto(f"{live_demo}/imports")
        page.get_by_role("radio", name="calls").check()
        page.get_by_label("Import the valid rows and skip invalid ones").check()
        page.locator("input[type=file]").set_input_files(
            {"name": "calls.csv", "mimeType": "text/csv", "buffer": CALLS}
        )
        page.get_by_role("button", name="Upload").click()
        page.wait_for_url(f"{live_demo}/imports/jobs/**")
        job = page.locator("#import-job")
        expect(job).to_contain_text("calls.csv: writing 4 of 10 calls")
        expect(job.locator("progress")).to_have_attribute("value", "4")
        page.evaluate("window.stillTheSamePage = true")  # gone if the page were reloaded
        release.set()
        expect(job).to_contain_text(
            "Imported 1 row (1 call): 1 created, 0 updated, 0 unchanged; 1 invalid row(s) skipped",
            timeout=PATIENCE_MS,
        )
        expect(job.locator("table.errors")).to_contain_text("agent is empty")
        expect(job.locator("progress")).to_have_count(0)
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        release.set()

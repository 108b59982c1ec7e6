"""A calibration meeting in real browsers: the lead sets it up, two reviewers and a panelist on a
phone-sized screen score, the lead reveals, and the dashboard's alpha is the engine's."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser
CALLS = ("DEMO-0001", "DEMO-0002", "DEMO-0003")


def score_calls(page, base, url_for_call, choices):
    for call, answers in zip(CALLS, choices, strict=True):
        page.goto(url_for_call(call))
        for dimension, value in answers.items():
            page.locator(f'[data-dimension="{dimension}"] input[value="{value}"]').check()
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flash-info")).to_be_visible()


def test_lead_runs_a_meeting_end_to_end(live_demo, browser, cli, tmp_path):
    lead = browser.new_context().new_page()
    log_in(lead, live_demo, "lead@example.com", "demo-lead-pass")
    lead.goto(f"{live_demo}/calibration")
    lead.get_by_label("Name", exact=True).fill("Browser calibration")
    lead.get_by_label("Rubric").select_option(label="empathy@1 — Operational empathy (5-point)")
    lead.get_by_label("Call IDs").fill("\n".join(CALLS))
    lead.get_by_label("Rita Reviewer").check()
    lead.get_by_label("Rob Reviewer").check()
    lead.get_by_label("Customer panelists").fill("Customer A")
    lead.get_by_role("button", name="Create session").click()
    link = lead.locator('code[data-link="Customer A"]').inner_text()
    session_path = re.search(r"/calibration/\d+", lead.url + lead.content()).group(0)
    lead.get_by_role("button", name="Open for scoring").click()
    expect(lead.get_by_text("Session is now open.")).to_be_visible()

    qa_choices = {"reviewer": ("4", "2", "5"), "reviewer2": ("3", "2", "4")}
    for who, password in (("reviewer", "demo-reviewer-pass"), ("reviewer2", "demo-reviewer2-pass")):
        page = browser.new_context().new_page()
        log_in(page, live_demo, f"{who}@example.com", password)
        page.get_by_role("link", name="Browser calibration").click()
        score_calls(
            page,
            live_demo,
            lambda c: f"{live_demo}{session_path}/score/{c}",
            [
                {"acknowledgment": a, "summary": "3", "next_steps": "4", "loop_closure": "na"}
                for a in qa_choices[who]
            ],
        )
        page.context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(link)
    expect(phone.get_by_text("Welcome, Customer A.")).to_be_visible()
    score_calls(
        phone,
        live_demo,
        lambda c: f"{link}/calls/{c}",
        [
            {"acknowledgment": a, "summary": "4", "next_steps": "4", "loop_closure": "5"}
            for a in ("2", "1", "5")
        ],
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the panel page scrolls sideways on a phone"

    lead.goto(f"{live_demo}{session_path}")
    assert lead.locator(".progress-grid").inner_text().count("✓") == 9
    lead.get_by_role("button", name="Reveal scores").click()
    lead.get_by_role("button", name="Open the dashboard").click()
    shown = lead.locator('[data-group="everyone"][data-dimension="overall"] .alpha').inner_text()

    csv_text = lead.request.get(f"{live_demo}{session_path}/ratings.csv").text()
    path = tmp_path / "ratings.csv"
    path.write_text(csv_text, encoding="utf-8")
    engine = json.loads(cli("agreement", path, "--format", "json").stdout)
    assert shown.strip() == f"{engine['overall']['alpha']:.3f}"
    phone.goto(link)
    expect(phone.get_by_text("This calibration session has ended")).to_be_visible()

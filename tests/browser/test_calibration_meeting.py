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
    # One click copies the link (static/copy_link.js), for pasting into an email.
    lead.context.grant_permissions(["clipboard-read", "clipboard-write"])
    lead.get_by_role("button", name="Copy Customer A's link").click()
    expect(lead.locator(".copy-status")).to_have_text("Copied.")
    assert lead.evaluate("navigator.clipboard.readText()") == link
    session_path = re.search(r"/calibration/\d+", lead.url + lead.content()).group(0)
    lead.get_by_role("button", name="Open for scoring").click()
    expect(lead.get_by_text("Session is now open.")).to_be_visible()
    # Open for scoring leaves the draft page: the link is still here to copy, not yet opened.
    expect(lead.locator('code[data-link="Customer A"]')).to_have_text(link)
    expect(lead.get_by_role("button", name="Copy Customer A's link")).to_be_visible()
    expect(lead.locator('[data-link-state="Customer A"]')).to_have_text("not opened yet")

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
    expect(phone.get_by_text("How this works")).to_be_visible()
    phone.get_by_role("button", name="Start with conversation 1").click()
    for number, ack in enumerate(("2", "1", "5"), start=1):
        # Guided: where they are, the conversation open above the statements, Save goes on.
        expect(phone.locator(".call-position")).to_have_text(f"Conversation {number} of 3")
        expect(phone.locator(".transcript .turn").first).to_be_visible()
        # Statements only (no evidence turns or notes), each answer a 44 px target.
        expect(phone.locator(".evidence-input, .note-input")).to_have_count(0)
        heights = phone.locator(".dimension .point").evaluate_all(
            "labels => labels.map(l => l.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, heights
        for dimension, value in {
            "acknowledgment": ack,
            "summary": "4",
            "next_steps": "4",
            "loop_closure": "5",
        }.items():
            phone.locator(f'[data-dimension="{dimension}"] input[value="{value}"]').check()
        phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("heading", name="You're finished — thank you")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the panel page scrolls sideways on a phone"

    lead.goto(f"{live_demo}{session_path}")
    assert lead.locator(".progress-grid").inner_text().count("✓") == 9
    expect(lead.locator('[data-link-state="Customer A"]')).to_have_text("finished")
    lead.get_by_role("button", name="Reveal scores").click()
    lead.get_by_role("button", name="Open the dashboard").click()
    shown = lead.locator('[data-group="everyone"][data-dimension="overall"] .alpha').inner_text()
    # The answer first, in one sentence with its number, then the alpha chart, then the table.
    expect(lead.locator("#agreement-answer")).to_contain_text(
        f"Overall agreement for everyone together: α = {shown.strip()}"
    )
    tops = [lead.locator(s).first.bounding_box()["y"] for s in
            ("#agreement-answer", 'img[src*="charts/alpha"]', "table.agreement")]  # fmt: skip
    assert tops == sorted(tops) and tops[0] < 700, tops

    csv_text = lead.request.get(f"{live_demo}{session_path}/ratings.csv").text()
    path = tmp_path / "ratings.csv"
    path.write_text(csv_text, encoding="utf-8")
    engine = json.loads(cli("agreement", path, "--format", "json").stdout)
    assert shown.strip() == f"{engine['overall']['alpha']:.3f}"
    phone.goto(link)
    expect(phone.get_by_text("This calibration session has ended")).to_be_visible()


def test_calibration_scoring_has_the_review_pages_keys_notes_and_evidence(live_demo, browser):
    lead = browser.new_context().new_page()
    log_in(lead, live_demo, "lead@example.com", "demo-lead-pass")
    lead.goto(f"{live_demo}/calibration")
    lead.get_by_label("Name", exact=True).fill("Keys")
    lead.get_by_label("Call IDs").fill("\n".join(CALLS))
    lead.get_by_label("Rita Reviewer").check()
    lead.get_by_role("button", name="Create session").click()
    session_path = re.search(r"/calibration/\d+", lead.url).group(0)
    lead.get_by_role("button", name="Open for scoring").click()

    page = browser.new_context().new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_demo)
    page.goto(f"{live_demo}{session_path}/score/{CALLS[0]}")
    expect(page.locator(".call-position")).to_contain_text("Call 1 of 3")
    for key in ["4", "j", "3", "j", "2", "k"]:
        page.keyboard.press(key)
    page.keyboard.press("t")  # a note on the focused dimension (summary)
    page.keyboard.type("Restated the bill, no check")
    page.keyboard.press("Escape")
    page.locator('.turn[data-turn="2"]').click()  # evidence, as on the review page
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("n")
    checked = page.locator("#dim-acknowledgment input[type=radio]:checked")
    expect(checked).to_have_value("4")
    expect(page.locator("#dim-summary .evidence-input")).to_have_value("2")
    page.keyboard.press("Control+Enter")  # saves, and goes on to the next call
    expect(page.locator(".call-position")).to_contain_text("Call 2 of 3")
    page.goto(f"{live_demo}{session_path}/score/{CALLS[0]}")
    expect(page.locator("#dim-summary textarea")).to_have_value("Restated the bill, no check")
    expect(page.locator("#dim-loop_closure input[type=radio]:checked")).to_have_value("na")
    assert not errors, errors

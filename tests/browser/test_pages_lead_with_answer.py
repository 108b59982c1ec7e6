"""A lead reads the analytics pages at a glance, and the New experiment form says what it
needs: the Coaching page opens with its answer and a dot-and-interval chart before the table;
the form marks its required fields and the browser holds a blank one back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def test_the_coaching_page_leads_with_its_answer_and_chart(live_demo, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    open_from_menu(page, "Coaching", "Coaching")
    answer = page.locator("#coach-answer")
    expect(answer).to_contain_text(re.compile(r"Saved rate with \w+ .*: [+-]\d+\.\d pts against"))
    expect(answer).to_contain_text("An association in reviewed calls, not an effect.")
    chart = page.locator("#coach-chart img")
    expect(chart).to_be_visible()
    content = page.locator("main").bounding_box()["width"]
    assert chart.bounding_box()["width"] >= 0.5 * content
    tops = [page.locator(s).first.bounding_box()["y"]
            for s in ("#coach-answer", "#coach-chart", "table.comparison")]  # fmt: skip
    assert tops == sorted(tops), tops
    # The formulas are behind the disclosure, not above the table.
    expect(page.get_by_text("How to read these figures")).to_be_visible()
    expect(page.get_by_text("Taylor linearisation", exact=False)).to_be_hidden()


def test_the_new_experiment_form_marks_and_requires_what_the_plan_needs(live_demo, page):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    page.goto(f"{live_demo}/experiments/new")
    playbook = page.get_by_label(re.compile(r"^Playbook"))
    expect(page.locator("#field-intervention_playbook")).to_contain_text("(required)")
    expect(page.get_by_label(re.compile(r"^Window start"))).not_to_have_value("")
    page.get_by_label(re.compile(r"^Name \(letters")).fill("browser-form")
    page.get_by_role("button", name="Check and save as draft").click()
    # Held back by the browser: nothing was sent, the page is the form still.
    assert page.url.endswith("/experiments/new")
    assert page.locator(":invalid").count() >= 3
    assert playbook.evaluate("el => !el.validity.valid")

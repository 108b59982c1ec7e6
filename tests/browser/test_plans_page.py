"""A lead pastes a sampling plan, reads its preview, draws it; the reviewer finds the calls."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser

# The demo's own plan drew October; September's calls are free.
PLAN = """name = "september-escalations"
since = 2026-09-01
until = 2026-09-30
seed = 11
strata = ["interaction_type"]
reviewers = ["reviewer@example.com"]

[sizes]
escalation = 2
"""


def test_lead_pastes_previews_and_draws_a_plan_and_the_reviewer_gets_the_calls(
    live_demo, browser, page
):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Coaching", "Plans")
    expect(page.get_by_role("heading", name="Sampling plans")).to_be_visible()
    text = page.get_by_label("Plan (TOML)")
    expect(text).to_contain_text("total = 200")  # the example plan for next month
    # A mistake first: every problem names its line, and the text stays as typed.
    bad = PLAN.replace("seed = 11", "seed = -11")
    text.fill(bad)
    page.get_by_role("button", name="Check and store the plan").click()
    expect(page.locator("#plan-problems")).to_contain_text("plan:4: 'seed' must be")
    expect(page.get_by_label("Plan (TOML)")).to_have_value(bad)
    page.get_by_label("Plan (TOML)").fill(PLAN)
    page.get_by_role("button", name="Check and store the plan").click()
    expect(page.get_by_role("heading", name="Plan september-escalations")).to_be_visible()
    escalation = page.locator("#preview tbody tr", has_text="escalation")
    population = int(escalation.locator('[data-col="population"]').inner_text())
    expect(escalation.locator('[data-col="planned"]')).to_have_text("2")
    expect(escalation.locator('[data-col="probability"]')).to_have_text(f"{2 / population:.4f}")
    expect(page.locator("#draw-confirm")).to_contain_text(
        "Draws 2 calls and assigns them to 1 reviewer"
    )
    page.get_by_role("button", name="Draw and assign").click()
    expect(page.locator("#drawn")).to_contain_text("Drawn calls (2) · seed 11")
    drawn = [page.locator("tr[data-call]").nth(i).get_attribute("data-call") for i in range(2)]
    assert all(re.fullmatch(r"DEMO-\d+", c) for c in drawn), drawn
    expect(page.get_by_role("button", name="Draw and assign")).to_have_count(0)

    reviewer = browser.new_context().new_page()
    log_in(reviewer, live_demo)
    reviewer.goto(
        f"{live_demo}/queue?interaction_type=escalation&since=2026-09-01&until=2026-09-30"
    )
    for call_id in drawn:
        expect(reviewer.get_by_role("link", name=call_id)).to_be_visible()
    reviewer.context.close()

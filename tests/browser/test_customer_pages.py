"""The Survival and Outcomes over time pages in a real browser, on the demo's customers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PATIENCE_MS, open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def test_a_cx_lead_reads_survival_by_onboarding_cohort(live_demo, page):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Customers", "Survival")
    expect(page).to_have_url(re.compile(r"/survival"))
    results = page.locator("#survival-results")
    expect(results).to_contain_text("Association, not effect", timeout=PATIENCE_MS)
    chart = page.locator("#survival-chart img")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 0  # the SVG really drew
    # The number-at-risk table under the chart, one row per group.
    expect(page.locator("#survival-at-risk tbody tr")).to_have_count(2)
    expect(page.locator("#survival-groups")).to_contain_text("with acknowledged")
    expect(results).to_contain_text("Log-rank test")
    expect(results).to_contain_text("Cox hazard ratio")
    # Changing the cohort redraws the results in place (htmx) and keeps the address shareable.
    page.locator("select[name=cohort]").select_option("incident")
    page.get_by_role("button", name="Show").click()
    expect(results).to_contain_text("after an incident", timeout=PATIENCE_MS)
    expect(page).to_have_url(re.compile(r"cohort=incident"))


def test_a_cx_lead_reads_outcomes_over_time(live_demo, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    open_from_menu(page, "Customers", "Outcomes over time")
    expect(page).to_have_url(re.compile(r"/outcomes-over-time"))
    page.locator("input[name=lags]").fill("0,1,3")
    page.get_by_role("button", name="Show").click()
    results = page.locator("#oot-results")
    expect(page.locator("#oot-association")).to_contain_text("Associations", timeout=PATIENCE_MS)
    chart = page.locator("#oot-chart")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 0
    expect(results.locator("table.oot-table").first).to_contain_text("1")


def test_outcomes_over_time_shows_the_default_results_without_pressing_show(live_demo, page):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Customers", "Outcomes over time")
    # The demo's reviewed calls reach 4 months back, not 12: the field holds the lags used.
    expect(page.locator("input[name=lags]")).to_have_value("1,3,4")
    expect(page.locator("#oot-default-lags")).to_contain_text("12 months is out of reach")
    results = page.locator("#oot-results")
    expect(page.locator("#oot-association")).to_contain_text("Associations", timeout=PATIENCE_MS)
    expect(results).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#oot-chart")).to_be_visible()
    longest = results.locator('[data-outcome=nps] tr[data-lag="4"] [data-col=coefficient]')
    expect(longest).to_have_text(re.compile(r"^[+-]\d+\.\d{3}$"))
    expect(results).not_to_contain_text("Not estimated")
    expect(page).to_have_url(re.compile(r"/outcomes-over-time$"))
    # Show: a busy line while it works, then the new results in place.
    expect(page.locator("#oot-busy")).to_be_hidden()
    page.locator("input[name=lags]").fill("0,2")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#oot-busy")).to_be_visible()
    expect(results.locator('[data-outcome=nps] tr[data-lag="2"]')).to_be_visible()
    expect(page.locator("#oot-busy")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"lags=0%2C2"))

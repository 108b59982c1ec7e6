"""A coach opens the team board from the Outreach page on the demo and sorts it by retention
rate: the table is swapped in place by htmx (the address follows), then sorted the other way.

The demo's save calls (calls with `saved` = 1) in 2026Q3 give every demo team a row; the
as-of day is fixed so the board does not depend on the day the test runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser


def _rates(page) -> list[float]:
    texts = page.locator('#team-board-table tbody td[data-col="retention_rate"]').all_inner_texts()
    # Each cell holds the rate, then its interval (or "no interval") on the next line.
    firsts = [t.split()[0] for t in texts if t.strip()]
    return [float(t.rstrip("%")) for t in firsts if t != "—"]


def test_coach_sorts_the_team_board(live_demo, browser, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    open_from_menu(page, "Customers", "Outreach")
    page.locator("#team-board-link").click()
    expect(page.get_by_role("heading", name="Team board: relationship-driven wins")).to_be_visible()
    page.goto(f"{live_demo}/outreach/board?quarter=2026Q3&as_of=2026-12-03")
    rows = page.locator("#team-board-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    expect(page.locator("#board-caveat")).to_contain_text("not proof")
    # The demo teams have 14 to 20 followed-up customers: every rate carries its interval.
    expect(page.locator('td[data-col="retention_rate"] .ci').first).to_contain_text("95% CI")
    page.evaluate("window.boardMarker = 'same page'")
    page.locator('th[data-col="retention_rate"] a').click()
    expect(page.locator('th[data-col="retention_rate"]')).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page).to_have_url(re.compile(r"sort=retention_rate&dir=desc"))
    rates = _rates(page)
    assert rates == sorted(rates, reverse=True) and len(rates) >= 2
    page.locator('th[data-col="retention_rate"] a').click()
    expect(page.locator('th[data-col="retention_rate"]')).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _rates(page) == sorted(rates)
    # The table was swapped in place: the page (and what it holds) was never reloaded.
    assert page.evaluate("window.boardMarker") == "same page"

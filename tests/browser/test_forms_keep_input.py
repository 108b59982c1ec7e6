"""In a real browser: a refused form keeps what was typed and says why where the user is looking;
confirmations and the export's progress appear in view, not above or below the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PATIENCE_MS
from tests.browser.test_pages_fit_phone import demo_with_sessions
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 720}


@pytest.fixture
def served(sqlite_url):
    with demo_with_sessions(sqlite_url) as served:
        yield served


@pytest.fixture
def lead(browser, served):
    base, _ids = served
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, base, "lead@example.com", "demo-lead-pass")
    yield page
    context.close()


def test_a_refused_new_session_keeps_the_form_and_shows_why(served, lead):
    base, _ = served
    lead.goto(f"{base}/calibration")
    lead.get_by_label("Name", exact=True).fill("June calibration")
    lead.get_by_label("Rubric").select_option(label="empathy-7pt@1 — Operational empathy (7-point)")
    lead.get_by_label("Call IDs").fill("DEMO-0001\nNOPE-1")
    lead.get_by_label("Rita Reviewer").check()
    lead.get_by_label("Customer panelists").fill("Customer A\nCustomer B")
    lead.get_by_role("button", name="Create session").click()

    message = lead.locator("#call_ids-error")
    expect(message).to_have_text("Unknown call(s): NOPE-1.")
    expect(message).to_be_in_viewport()
    expect(lead.get_by_label("Name", exact=True)).to_have_value("June calibration")
    expect(lead.get_by_label("Call IDs")).to_have_value("DEMO-0001\nNOPE-1")
    expect(lead.get_by_label("Rubric")).to_have_value(
        lead.locator("option", has_text="empathy-7pt@1").get_attribute("value")
    )
    expect(lead.get_by_label("Rita Reviewer")).to_be_checked()
    expect(lead.get_by_label("Rob Reviewer")).not_to_be_checked()
    expect(lead.get_by_label("Customer panelists")).to_have_value("Customer A\nCustomer B")

    # Fixed, sent again: one session, and reloading its page creates nothing more.
    lead.get_by_label("Call IDs").fill("DEMO-0001")
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator('code[data-link="Customer B"]')).to_be_visible()
    assert re.search(r"/calibration/\d+$", lead.url.split("#")[0])
    link = lead.locator('code[data-link="Customer B"]').inner_text()
    lead.reload()
    # The links stay on the session page while it is open, each with where its panelist is.
    expect(lead.locator('code[data-link="Customer B"]')).to_have_text(link)
    expect(lead.locator('[data-link-state="Customer B"]')).to_have_text("not opened yet")
    lead.goto(f"{base}/calibration")
    expect(lead.get_by_role("link", name="June calibration")).to_have_count(1)


def test_reveal_without_confirming_says_who_is_missing_beside_the_button(served, lead):
    base, ids = served
    lead.goto(f"{base}/calibration/{ids['open']}")
    lead.get_by_role("button", name="Reveal scores").click()
    message = lead.locator("#state-error")
    expect(message).to_contain_text("Not everyone has finished")
    expect(message).to_be_in_viewport()
    expect(lead.get_by_role("button", name="Reveal scores")).to_be_in_viewport()


def test_consensus_messages_land_beside_the_call(served, lead):
    base, ids = served
    lead.goto(f"{base}/calibration/{ids['revealed']}/dashboard")
    last = lead.locator("article.discuss").last
    call_id = last.get_attribute("id").removeprefix("call-")
    form = last.locator("form.consensus")
    form.locator('select[name="acknowledgment"]').select_option("4")
    form.locator('input[name="note"]').fill("Only the first one")
    # An older browser (or a script) can send the form with blanks: the server refuses it.
    form.evaluate("f => f.querySelectorAll('[required]').forEach(e => e.required = false)")
    form.get_by_role("button", name="Record consensus").click()
    refused = lead.locator(f"#call-{call_id}-error")
    expect(refused).to_contain_text("Consensus needs a score (or N/A) for every dimension")
    expect(refused).to_be_in_viewport()
    section = lead.locator(f"#call-{call_id}")
    expect(section.locator('select[name="acknowledgment"]')).to_have_value("4")
    expect(section.locator('input[name="note"]')).to_have_value("Only the first one")

    for name, value in (("summary", "3"), ("next_steps", "4"), ("loop_closure", "5")):
        section.locator(f'select[name="{name}"]').select_option(value)
    section.get_by_role("button", name="Record consensus").click()
    recorded = lead.locator(f"#call-{call_id}").get_by_text(f"Consensus for {call_id} recorded")
    expect(recorded).to_be_in_viewport()


def test_the_export_progress_shows_where_the_coach_clicked(served, browser):
    base, _ = served
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, base, "coach@example.com", "demo-coach-pass")
    page.goto(f"{base}/coach")
    expect(page.locator("#comparison table.comparison").first).to_be_visible()
    button = page.get_by_role("button", name="Export CSV")
    # The coach scrolled just far enough to see the buttons at the bottom of the screen.
    button.evaluate("b => b.scrollIntoView({block: 'end'})")
    expect(button).to_be_in_viewport()
    button.click()
    progress = page.locator("#exports .export-job").first
    expect(progress).to_be_in_viewport()
    expect(page.get_by_role("button", name="Download")).to_be_visible(timeout=PATIENCE_MS)
    context.close()


def fill_new_session(page, name: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Rubric").select_option(label="empathy-7pt@1 — Operational empathy (7-point)")
    page.get_by_label("Call IDs").fill("DEMO-0001\nDEMO-0002")
    page.get_by_label("Rita Reviewer").check()
    page.get_by_label("Customer panelists").fill("Customer A")


def test_an_expired_session_keeps_what_was_typed_through_the_login(served, lead):
    """Logged out while typing (the session ended, or the server restarted with a new key):
    the refusal shows what was typed, and after logging in again the form is filled in, once;
    before, everything typed was gone."""
    base, _ = served
    lead.goto(f"{base}/calibration")
    fill_new_session(lead, "Kept through the login")
    lead.context.clear_cookies()  # the session is gone
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator("[data-session-expired]")).to_contain_text("your session has expired")
    expect(lead.locator("#typed")).to_contain_text("Kept through the login")
    expect(lead.locator("body")).not_to_contain_text("CSRF")
    lead.get_by_role("link", name="Log in again").click()
    lead.get_by_label("Email").fill("lead@example.com")
    lead.get_by_label("Password").fill("demo-lead-pass")
    lead.keyboard.press("Enter")
    lead.wait_for_url(re.compile(r".*/calibration(#.*)?$"))
    expect(lead.locator(".draft-restored")).to_contain_text("not been saved yet")
    expect(lead.get_by_label("Name", exact=True)).to_have_value("Kept through the login")
    expect(lead.get_by_label("Call IDs")).to_have_value("DEMO-0001\nDEMO-0002")
    expect(lead.get_by_label("Rita Reviewer")).to_be_checked()
    expect(lead.get_by_label("Customer panelists")).to_have_value("Customer A")
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator('code[data-link="Customer A"]')).to_be_visible()
    lead.goto(f"{base}/calibration")
    expect(lead.locator(".draft-restored")).to_have_count(0)  # saved: nothing to put back
    expect(lead.get_by_label("Name", exact=True)).to_have_value("")
    expect(lead.get_by_role("link", name="Kept through the login")).to_have_count(1)


def test_back_and_create_again_makes_one_session(served, lead):
    """Back after creating showed the filled form with a new token, and Create made an
    identical second session; now the same answers go with their first token."""
    base, _ = served
    lead.goto(f"{base}/calibration")
    fill_new_session(lead, "Made once")
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator('code[data-link="Customer A"]')).to_be_visible()
    lead.go_back()
    lead.wait_for_load_state()
    # Whatever the browser put back, the person sends the same answers again.
    fill_new_session(lead, "Made once")
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator("body")).to_contain_text(
        "This form was already sent, so nothing new was made"
    )
    lead.goto(f"{base}/calibration")
    expect(lead.get_by_role("link", name="Made once")).to_have_count(1)
    # Different answers are a new session.
    fill_new_session(lead, "Made twice")
    lead.get_by_role("button", name="Create session").click()
    expect(lead.locator('code[data-link="Customer A"]')).to_be_visible()
    lead.goto(f"{base}/calibration")
    expect(lead.get_by_role("link", name="Made twice")).to_have_count(1)


def test_back_and_add_again_adds_one_user_and_shows_it(served, browser):
    """Any form that makes something acts once: Back after adding a user, then Add user with
    the same answers, shows the first result instead of a second user (or an 'already
    exists' refusal)."""
    base, _ = served
    context = browser.new_context(viewport=LAPTOP)
    admin = context.new_page()
    log_in(admin, base, "admin@example.com", "demo-admin-pass")

    def add():
        admin.get_by_label("Name", exact=True).fill("Nia New")
        admin.get_by_label("Email").fill("nia@example.com")
        admin.locator("#add-user ~ form").get_by_label("Role").select_option("reviewer")
        admin.locator('#add-user ~ form input[name="password"]').fill("a-long-password-1")
        admin.get_by_role("button", name="Add user").click()

    admin.goto(f"{base}/admin/users")
    add()
    expect(admin.locator("body")).to_contain_text("Added reviewer nia@example.com.")
    admin.go_back()
    admin.wait_for_load_state()
    add()
    expect(admin.locator("body")).to_contain_text(
        "This form was already sent, so nothing new was made"
    )
    expect(admin.locator("body")).not_to_contain_text("already exists")
    expect(admin.get_by_text("nia@example.com", exact=True)).to_have_count(1)
    context.close()

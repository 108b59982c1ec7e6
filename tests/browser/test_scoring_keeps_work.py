"""The scoring page keeps the reviewer's work and tells the truth about it, in a real browser.

A save that fails (server unreachable, silent, refused as stale, or a session that expired)
says "Not saved" on the page, keeps the dimension marked, warns before leaving, and can be
retried or recovered; messages land where the reviewer is looking; nothing breaks the CSP.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import EXPECTED_REFUSAL
from tests.browser.test_scoring_keyboard import checked, log_in

pytestmark = pytest.mark.browser

AUTOSAVE = "**/review/dimensions/**"
CALL_PAGE = re.compile(r".*/calls/DEMO-\d+/review$")
# What Chromium and htmx log for a request the test itself cut off or left unanswered.
EXPECTED_NETWORK_FAILURES = (
    "Failed to load resource: net::ERR_FAILED",
    "htmx:afterRequest,",
    "htmx:sendError,",
    "htmx:timeout,",
)
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.sample || event.blockedURI));
});
"""


class Watched:
    """A browser context whose pages report console errors and CSP violations."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.errors: list[str] = []
        self.context.add_init_script(WATCH_CSP)
        self.pages = []

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.pages.append(page)
        return page

    def csp_violations(self) -> list[str]:
        found = []
        for page in self.pages:
            if not page.is_closed():
                found += page.evaluate("window.__cspViolations || []")
        return found


@pytest.fixture
def watched(browser):
    # The session's generous waits hold here too (a failed save can take htmx's 8 s timeout
    # to be noticed on a busy machine); this fixture used to shorten them to 10 s, and then
    # left every later test in the worker at 5 s.
    watched = Watched(browser)
    yield watched
    violations = watched.csp_violations()
    watched.context.close()
    assert not violations, f"Content Security Policy violations: {violations}"
    csp_messages = [e for e in watched.errors if "Content Security Policy" in e]
    assert not csp_messages, f"CSP console errors: {csp_messages}"
    unexpected = [
        e
        for e in watched.errors
        if not e.startswith(EXPECTED_REFUSAL) and not e.startswith(EXPECTED_NETWORK_FAILURES)
    ]
    assert not unexpected, f"browser console errors: {unexpected}"


def open_first_call_to_do(page, base):
    """Log in as the demo reviewer and open the first call nobody has started."""
    log_in(page, base)
    page.goto(f"{base}/queue?status=to+do")
    page.locator("#queue-table a").first.click()
    page.wait_for_url(CALL_PAGE)
    page.wait_for_load_state()
    return page.url


def record_dialogs(page, accept: bool) -> list[str]:
    """Answer every dialog (leave: accept; stay: dismiss) and remember its type."""
    seen: list[str] = []

    def answer(dialog):
        seen.append(dialog.type)
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", answer)
    return seen


def test_unreachable_server_says_not_saved_warns_on_leave_and_retry_saves(live_demo, watched):
    page = watched.new_page()
    call_url = open_first_call_to_do(page, live_demo)
    acknowledgment = page.locator("#dim-acknowledgment")
    page.route(AUTOSAVE, lambda route: route.abort())

    page.keyboard.press("4")
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    expect(acknowledgment).to_have_class(re.compile(r"\bunsaved\b"))
    expect(acknowledgment.locator(".unsaved-note")).to_contain_text("Not saved")
    expect(page.locator("#unsaved-bar")).to_contain_text("Not saved: Acknowledgment")
    assert checked(page, "acknowledgment") == "4"  # the answer stays on the page

    # Leaving asks first; staying keeps the unsaved answer where it was.
    dialogs = record_dialogs(page, accept=False)
    with page.expect_event("dialog"):
        page.get_by_role("link", name="My queue").click()
    assert dialogs == ["beforeunload"]
    assert page.url == call_url
    expect(acknowledgment).to_have_class(re.compile(r"\bunsaved\b"))

    # Submitting now would submit the server's answers, not the one on the page.
    page.keyboard.press("Control+Enter")
    expect(page.locator("#submit-status")).to_contain_text(
        "Not submitted: Acknowledgment not saved yet"
    )
    assert page.url == call_url

    page.unroute(AUTOSAVE)
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#save-status")).to_contain_text("Saved Acknowledgment")
    expect(acknowledgment).not_to_have_class(re.compile(r"\bunsaved\b"))
    expect(page.locator("#unsaved-bar")).to_be_hidden()

    page.reload()  # nothing unsaved now: no dialog (a dismissed one would stop the reload)
    assert dialogs == ["beforeunload"]
    assert checked(page, "acknowledgment") == "4"


def test_a_server_that_never_answers_ends_in_not_saved(live_demo, watched):
    page = watched.new_page()
    held = []
    # Set before the page opens, so no save can slip past it (it matches saves only).
    page.route(AUTOSAVE, lambda route: held.append(route))  # hangs: no answer, no error
    open_first_call_to_do(page, live_demo)

    page.keyboard.press("3")
    expect(page.locator("#save-status")).to_contain_text("Saving")
    # The autosave gives up after 8 s; "Saving…" must not stay for ever.
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    expect(page.locator("#dim-acknowledgment")).to_have_class(re.compile(r"\bunsaved\b"))
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    assert len(held) == 1  # one request, never answered
    page.unroute(AUTOSAVE)


def test_a_refused_stale_save_shows_the_stored_answer_and_warns(live_demo, watched):
    first = watched.new_page()
    call_url = open_first_call_to_do(first, live_demo)
    second = watched.new_page()
    second.goto(call_url)
    first.keyboard.press("4")
    expect(first.locator("#save-status")).to_contain_text("Saved Acknowledgment")

    second.keyboard.press("2")  # this tab still has the version before the 4
    expect(second.locator("#save-status")).to_contain_text("changed elsewhere")
    # The form shows what is stored, not the refused 2, and says what happened to the 2.
    expect(second.locator('#dim-acknowledgment input[value="4"]')).to_be_checked()
    note = second.locator("#dim-acknowledgment .unsaved-note")
    expect(note).to_contain_text("you chose 2")
    expect(note).to_contain_text("stored answer (4)")
    expect(second.locator("#dim-acknowledgment")).to_have_class(re.compile(r"\bunsaved\b"))
    # Until it reloads, this tab's later changes are refused the same way, never written.
    second.keyboard.press("ArrowDown")
    second.keyboard.press("3")
    expect(second.locator("#dim-summary .unsaved-note")).to_contain_text("you chose 3")
    expect(second.locator("#unsaved-bar")).to_contain_text("Acknowledgment, Summary")

    dialogs = record_dialogs(second, accept=True)
    second.reload()
    assert dialogs == ["beforeunload"]
    assert checked(second, "acknowledgment") == "4"
    first.reload()
    assert checked(first, "acknowledgment") == "4"


def test_an_expired_session_says_not_saved_and_log_in_comes_back(live_demo, watched):
    page = watched.new_page()
    call_url = open_first_call_to_do(page, live_demo)
    watched.context.clear_cookies()  # the session ends while the page is open

    page.keyboard.press("4")
    status = page.locator("#save-status")
    expect(status).to_contain_text("Not saved: your session has expired")
    expect(status).to_contain_text("NOT saved")
    expect(status).not_to_contain_text("400 Bad Request")
    expect(page.locator("#dim-acknowledgment")).to_have_class(re.compile(r"\bunsaved\b"))

    dialogs = record_dialogs(page, accept=True)
    page.get_by_role("link", name="Log in again").click()
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    assert dialogs == ["beforeunload"]
    page.get_by_label("Email").fill("reviewer@example.com")
    page.get_by_label("Password").fill("demo-reviewer-pass")
    page.keyboard.press("Enter")
    page.wait_for_url(call_url)
    # It was not saved, as the page said.
    expect(page.locator("#dim-acknowledgment input[type=radio]:checked")).to_have_count(0)


def test_incomplete_submit_message_appears_where_the_reviewer_is(live_demo, watched):
    page = watched.new_page()
    open_first_call_to_do(page, live_demo)
    viewport = page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollHeight") > 2 * viewport  # long call

    page.keyboard.press("5")
    expect(page.locator("#save-status")).to_contain_text("Saved Acknowledgment")
    page.keyboard.press("Control+Enter")
    message = page.locator("#submit-status")
    expect(message).to_contain_text("still to score Summary of the concern")
    expect(message).to_be_in_viewport()
    # The first dimension still to score has the focus, in view, ready for a key.
    expect(page.locator("#dim-summary")).to_have_class(re.compile(r"\bfocused\b"))
    expect(page.locator("#dim-summary")).to_be_in_viewport()
    page.keyboard.press("3")
    expect(page.locator("#save-status")).to_contain_text("Saved Summary of the concern")
    expect(message).to_be_empty()  # "still to score Summary" is no longer true

    # From the Submit button at the bottom of the page, too.
    page.get_by_role("button", name="Submit review").click()
    expect(message).to_contain_text("still to score Next steps, Emotional loop closure")
    expect(message).to_be_in_viewport()
    expect(page.locator("#dim-next_steps")).to_be_in_viewport()


def test_flags_are_coloured_by_what_they_mean(live_demo, watched):
    page = watched.new_page()
    open_first_call_to_do(page, live_demo)
    for key in ["4", "ArrowDown", "3", "ArrowDown", "2", "ArrowDown", "n"]:
        page.keyboard.press(key)
    expect(page.locator("#save-status")).to_contain_text("Saved Emotional loop closure")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/reviews/\d+\?submitted=1$"))

    green, red = "rgb(28, 106, 42)", "rgb(138, 28, 28)"
    absent = page.locator('[data-flag="empathy_absent"]')
    expect(absent).to_contain_text("empathy_absent: no")
    expect(absent).to_have_css("color", green)  # no absence of empathy is good news
    expect(absent).to_contain_text("(good)")  # said in words too, not by colour alone
    expect(page.locator('[data-flag="acknowledged"]')).to_have_css("color", green)
    next_steps = page.locator('[data-flag="confirmed_next_steps"]')
    expect(next_steps).to_contain_text("(a problem)")
    expect(next_steps).to_have_css("color", red)


def test_scoring_pages_keep_to_the_content_security_policy(live_demo, watched):
    page = watched.new_page()
    call_url = open_first_call_to_do(page, live_demo)
    page.keyboard.press("4")
    expect(page.locator("#save-status")).to_contain_text("Saved Acknowledgment")
    with page.expect_response(lambda response: "/review/dimensions/" in response.url):
        page.locator(".turn").nth(2).click()  # evidence
    expect(page.locator("#dim-acknowledgment")).not_to_have_class(re.compile(r"\bunsaved\b"))
    page.keyboard.press("Control+Enter")
    expect(page.locator("#submit-status")).to_contain_text("still to score")
    expect(page.locator("#dim-summary")).to_have_class(re.compile(r"\bfocused\b"))
    page.route(AUTOSAVE, lambda route: route.abort())
    # A click, not the "3" key: after Ctrl+Enter the key went nowhere once in CI (the summary
    # was marked focused, the radio never changed), and the keys have their own tests.
    three = page.locator('#dim-summary input[type=radio][value="3"]')
    three.check()
    expect(three).to_be_checked()
    expect(page.locator("#dim-summary")).to_have_class(re.compile(r"\bunsaved\b"))
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    page.unroute(AUTOSAVE)
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    for path in ("/", "/queue", call_url.removeprefix(live_demo)):
        page.goto(f"{live_demo}{path}")
        page.wait_for_load_state()
    assert page.evaluate("window.__cspViolations") == []

"""A customer answers the post-call survey on a phone (390 px) in chromium: rotated order,
every point labelled, open text, thank-you, and the link refused the second time."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import Session, create_engine, select

from qa_app.models import Call, SurveyLink, SurveyResponse
from qa_app.store.surveys.files import find_survey
from qa_app.store.surveys.responses import issue_links

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _links(sqlite_url: str, count: int):
    engine = create_engine(sqlite_url)
    with Session(engine) as db:
        first, last = db.exec(select(func.min(Call.started_at), func.max(Call.started_at))).one()
        issued, _ = issue_links(db, find_survey(), first, last)
        db.commit()
        links = issued[:count]
        orders = {link.call_pk: link.item_order for link in db.exec(select(SurveyLink))}
        pks = dict(db.exec(select(Call.call_id, Call.id)).all())
        return engine, [(link.token, link.call_id, orders[pks[link.call_id]]) for link in links]


def test_a_customer_answers_the_survey_on_a_phone(live_demo, sqlite_url, page):
    engine, links = _links(sqlite_url, 2)
    (token, call_id, order), (second_token, _call2, second_order) = links
    assert order != second_order  # consecutive respondents see different orders
    page.set_viewport_size(PHONE)
    page.goto(f"{live_demo}/survey/{token}")
    expect(page.get_by_role("heading", name="After your call", exact=True)).to_be_visible()
    items = page.locator("fieldset.survey-item")
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute("data-item") for i in range(3)] == order
    # Every point is labelled, in words, for every statement.
    for label in ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                  "Strongly agree"):  # fmt: skip
        expect(page.get_by_text(label, exact=True)).to_have_count(3)
    # Phone first: nothing scrolls sideways, and each answer is a row a thumb can hit.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = items.first.locator("label.survey-point").first.bounding_box()
    assert box["height"] >= 40 and box["width"] > 300
    # Nothing about the call or its QA scores is on the page.
    body = page.locator("body").inner_text()
    assert call_id not in body and "score" not in body.lower()

    # Sending with a statement unanswered keeps what was chosen and names the missing one.
    items.nth(0).get_by_text("Agree", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Please answer the statements")
    expect(page.locator(f"#error-{order[1]}")).to_be_visible()
    assert items.nth(0).locator("input[value='4']").is_checked()

    items.nth(1).get_by_text("Strongly agree", exact=True).click()
    items.nth(2).get_by_text("Strongly disagree", exact=True).click()
    page.locator("#open_text").fill("She listened, but I still don't know when the refund comes.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/survey/thanks$"))

    with Session(engine) as db:
        stored = {
            r.item: (r.score, r.position)
            for r in db.exec(select(SurveyResponse).join(Call).where(Call.call_id == call_id))
        }
        link = db.exec(select(SurveyLink).join(Call).where(Call.call_id == call_id)).one()
        assert link.open_text.startswith("She listened") and link.responded_at is not None
    # The position each item was shown in is recorded with its answer.
    assert stored == {order[0]: (4, 1), order[1]: (5, 2), order[2]: (1, 3)}

    # The same link a second time: refused, kindly; nothing to answer.
    page.goto(f"{live_demo}/survey/{token}")
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    expect(page.locator("fieldset.survey-item")).to_have_count(0)

    # Another customer's link shows the rotated order recorded for them.
    page.goto(f"{live_demo}/survey/{second_token}")
    items = page.locator("fieldset.survey-item")
    assert [items.nth(i).get_attribute("data-item") for i in range(3)] == second_order
    engine.dispose()


def test_a_lead_reads_the_survey_page_and_searches_what_customers_wrote(
    live_demo, sqlite_url, page
):
    from qa_app.domain.surveys.responses import SurveyAnswerRecord
    from qa_app.models import Review
    from qa_app.store.surveys.responses import write_answers
    from tests.browser.test_scoring_keyboard import log_in

    engine = create_engine(sqlite_url)
    with Session(engine) as db:
        reviewed = db.exec(select(Call.call_id).join(Review).distinct().order_by(Call.call_id))
        records = [
            SurveyAnswerRecord(n, call_id, "customer-empathy@1", "felt_understood",
                               1 + (n * 7) % 5, 1 + n % 3,
                               "still waiting for my refund" if n % 4 == 0 else "", None)
            for n, call_id in enumerate(list(reviewed)[:40])
        ]  # fmt: skip
        write_answers(db, records)
        db.commit()
    engine.dispose()
    page.set_viewport_size(PHONE)
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    page.goto(f"{live_demo}/surveys")
    expect(page.get_by_role("heading", name=re.compile("Shared language"))).to_be_visible()
    expect(page.locator("#survey-crosstab")).to_be_visible()
    expect(page.locator("#survey-dist-felt_understood")).to_contain_text(
        "All (weighted to the mix)"
    )
    # Phone width: wide tables scroll in their own box, the page does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Search the open text: the list redraws in place (htmx) and the address keeps the search.
    page.locator("input[name=q]").fill("refund")
    page.locator("#survey-open-text").get_by_role("button", name="Filter").click()
    expect(page.locator("#survey-open-text-count")).to_contain_text("10 answers with text")
    expect(page).to_have_url(re.compile(r"q=refund"))

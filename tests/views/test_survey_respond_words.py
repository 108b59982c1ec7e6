"""The customer's survey page in the customer's words, and its posts answered by redirects:
no scale jargon in the title, a refused answer brings the customer back to the first unanswered
statement with everything already chosen kept, and an accepted answer is recorded once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import SurveyLink, SurveyResponse
from qa_app.store.surveys.files import find_survey, load_surveys
from qa_app.store.surveys.responses import issue_links
from tests.views.conftest import add_call, csrf_token

SCALE_JARGON = re.compile(r"\d+[- ]point|\bscale\b|likert", re.IGNORECASE)


def _link(app, survey_key: str | None = None) -> tuple[str, list[str]]:
    add_call(app, "W-1", started_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    with db.transaction(db.get_engine_for(app)) as session:
        issued, _ = issue_links(
            session, find_survey(survey_key), datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 3, tzinfo=UTC),
        )  # fmt: skip
        order = session.exec(select(SurveyLink.item_order)).one()
    return issued[0].token, list(order)


def _stored(app) -> list[tuple[str, int]]:
    with Session(db.get_engine_for(app)) as session:
        return sorted((r.item, r.score) for r in session.exec(select(SurveyResponse)))


@pytest.mark.parametrize("survey_key", sorted(load_surveys()))
def test_the_shipped_surveys_speak_to_the_customer_without_scale_jargon(
    web_app, client, survey_key
):
    token, _order = _link(web_app, survey_key)
    page = client.get(f"/survey/{token}").get_data(as_text=True)
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert title == "After your call"
    assert "(5-point)" not in page and "(7-point)" not in page
    assert not SCALE_JARGON.search(re.sub(r"<[^>]+>", " ", page)), "scale jargon on the page"


def test_a_refused_answer_returns_to_the_first_unanswered_statement_with_answers_kept(
    web_app, client
):
    token, order = _link(web_app)
    form = csrf_token(client.get(f"/survey/{token}").get_data(as_text=True))
    # The first statement shown is answered; the second and third are not.
    sent = client.post(
        f"/survey/{token}",
        data={order[0]: "4", "open_text": "Kind, but <b>slow</b>.", "csrf_token": form},
    )
    # Post/Redirect/Get: the refusal is a GET page, so Back never re-posts; its #fragment
    # puts the first unanswered statement (in the order shown) in view.
    assert sent.status_code == 303
    assert sent.location.endswith(f"/survey/{token}#item-{order[1]}")
    again = client.get(f"/survey/{token}")
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    summary = re.search(r'<div class="survey-errors" id="survey-errors" role="alert">(.*?)</div>',
                        page, re.S).group(1)  # fmt: skip
    assert re.findall(r'href="#([^"]+)"', summary) == [f"item-{order[1]}", f"item-{order[2]}"]
    for item in order[1:]:
        fieldset = re.search(rf'<fieldset[^>]*id="item-{item}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in fieldset and f'aria-describedby="error-{item}"' in fieldset
        assert f'id="error-{item}">Please choose one answer for this statement.' in page
    answered = re.search(rf'<fieldset[^>]*id="item-{order[0]}"[^>]*>', page).group(0)
    assert "aria-invalid" not in answered  # the answered statement is not marked
    # Without the fragment (a browser that drops it), autofocus on the first unanswered choice.
    assert len(re.findall(r"\bautofocus\b", page)) == 1
    assert re.search(rf'name="{order[1]}" value="1"[^>]*\bautofocus\b', page)
    # Everything already given is kept: the chosen answer and the comment (escaped).
    assert f'name="{order[0]}" value="4" checked' in page
    assert "Kind, but &lt;b&gt;slow&lt;/b&gt;." in page
    assert _stored(web_app) == []
    # A reload shows the same, and answering the rest records everything, once.
    # (The CSRF token carries the second it was made: it may differ, and is not compared.)
    unsigned = re.compile(r'name="csrf_token" value="[^"]+"')
    reloaded = client.get(f"/survey/{token}").get_data(as_text=True)
    assert unsigned.sub("", reloaded) == unsigned.sub("", page)
    done = client.post(
        f"/survey/{token}",
        data={order[0]: "4", order[1]: "2", order[2]: "5", "csrf_token": form},
    )
    assert done.status_code == 303 and done.location.endswith("/survey/thanks")
    assert _stored(web_app) == sorted([(order[0], 4), (order[1], 2), (order[2], 5)])


def test_an_accepted_answer_redirects_to_a_thank_you_page_and_a_second_post_records_nothing(
    web_app, client
):
    token, order = _link(web_app)
    form = csrf_token(client.get(f"/survey/{token}").get_data(as_text=True))
    answers = {order[0]: "1", order[1]: "3", order[2]: "5", "csrf_token": form}
    sent = client.post(f"/survey/{token}", data=answers)
    assert sent.status_code == 303 and sent.location.endswith("/survey/thanks")
    thanks = client.get("/survey/thanks")
    assert thanks.status_code == 200 and "Thank you!" in thanks.get_data(as_text=True)
    # The same answers posted again (a double tap, a resubmission): recorded once.
    twice = client.post(f"/survey/{token}", data=answers)
    assert twice.status_code == 410
    assert "already received" in twice.get_data(as_text=True)
    assert _stored(web_app) == sorted([(order[0], 1), (order[1], 3), (order[2], 5)])
    # Back to the link (a GET): it says the answers were received, with nothing to send.
    back = client.get(f"/survey/{token}")
    assert back.status_code == 410 and "<form" not in back.get_data(as_text=True)


def test_a_draft_too_large_for_the_session_is_answered_with_the_page_itself(web_app, client):
    token, order = _link(web_app)
    form = csrf_token(client.get(f"/survey/{token}").get_data(as_text=True))
    # Text that does not compress: kept on the page rather than dropped with an oversized cookie.
    text = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(1500))
    refused = client.post(
        f"/survey/{token}", data={order[0]: "5", "open_text": text, "csrf_token": form}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert text in page and f'name="{order[0]}" value="5" checked' in page
    assert re.search(rf'name="{order[1]}" value="1"[^>]*\bautofocus\b', page)
    assert all(len(c) < 4093 for c in refused.headers.getlist("Set-Cookie"))


def test_the_survey_is_headed_by_the_organisations_name(web_app, client):
    """Customers see who is asking (QA_APP_ORGANISATION_NAME), never the product's name."""
    web_app.config["ORGANISATION_NAME"] = "Example Energy"
    token, _order = _link(web_app)
    page = client.get(f"/survey/{token}").get_data(as_text=True)
    assert '<p class="survey-organisation">Example Energy</p>' in page
    assert "<title>After your call · Example Energy</title>" in page
    assert "qa_app" not in re.sub(r"<link[^>]*>", "", page)

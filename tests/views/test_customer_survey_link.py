"""The survey link on both backends: one response per link (two tabs too), expiry, CSRF,
bad answers refused with nothing stored, a made-up link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import SurveyLink, SurveyResponse
from qa_app.store.surveys.files import find_survey
from qa_app.store.surveys.responses import issue_links
from tests.views.conftest import add_call, csrf_token

ANSWERS = {"felt_understood": "2", "acknowledged_situation": "5", "clear_next_steps": "3"}


def _link(app, days_valid: int = 14) -> str:
    add_call(app, "S-1", started_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    with db.transaction(db.get_engine_for(app)) as session:
        issued, _ = issue_links(
            session, find_survey(), datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 3, tzinfo=UTC), days_valid=days_valid,
        )  # fmt: skip
    return issued[0].token


def _stored(app) -> list[tuple]:
    with Session(db.get_engine_for(app)) as session:
        return [(r.item, r.score, r.position) for r in session.exec(select(SurveyResponse))]


def test_one_response_per_link_even_from_two_tabs(web_app, client):
    token = _link(web_app)
    first = client.get(f"/survey/{token}")
    assert first.status_code == 200
    form = csrf_token(first.get_data(as_text=True))
    # A second tab opened before the first one sent its answers.
    other = web_app.test_client()
    other_form = csrf_token(other.get(f"/survey/{token}").get_data(as_text=True))
    sent = client.post(f"/survey/{token}", data={**ANSWERS, "csrf_token": form})
    assert sent.status_code == 303 and sent.location.endswith("/survey/thanks")
    late = other.post(
        f"/survey/{token}", data={**ANSWERS, "felt_understood": "1", "csrf_token": other_form}
    )
    assert late.status_code == 410
    assert "You have already answered" in late.get_data(as_text=True)
    assert sorted(s for _i, s, _p in _stored(web_app)) == [2, 3, 5]
    again = client.get(f"/survey/{token}")
    assert again.status_code == 410


def test_bad_answers_are_refused_and_nothing_is_stored(web_app, client):
    token = _link(web_app)
    form = csrf_token(client.get(f"/survey/{token}").get_data(as_text=True))
    bad = client.post(
        f"/survey/{token}",
        data={**ANSWERS, "clear_next_steps": "9", "open_text": "<b>hi</b>", "csrf_token": form},
        follow_redirects=True,
    )
    # Refused by a redirect back to the link's page (Post/Redirect/Get), answers kept.
    assert [r.status_code for r in bad.history] == [303] and bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert "Please choose one answer for this statement." in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page and "<b>hi</b>" not in page  # kept, escaped
    assert 'value="2" checked' in page  # the other answers are kept
    assert _stored(web_app) == []
    # Without the CSRF token nothing is stored either.
    refused = client.post(f"/survey/{token}", data=ANSWERS)
    assert refused.status_code == 400 and _stored(web_app) == []


def test_an_expired_or_made_up_link_says_so(web_app, client):
    token = _link(web_app)
    with db.transaction(db.get_engine_for(web_app)) as session:
        link = session.exec(select(SurveyLink)).one()
        link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(link)
    expired = client.get(f"/survey/{token}")
    assert expired.status_code == 410
    assert "The time to answer this survey is over." in expired.get_data(as_text=True)
    missing = client.get("/survey/not-a-real-link")
    assert missing.status_code == 404
    assert "This survey link does not work" in missing.get_data(as_text=True)

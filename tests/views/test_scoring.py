"""Scoring a call: autosave, reload, submit, flags, conflicts and every refused input."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, Review, ReviewScore, RubricVersion
from tests.store.helpers import snapshot

SAVE = "/calls/C-1/review/dimensions/{}"


def save(htmx, token, dimension, version, **fields):
    return htmx.post(SAVE.format(dimension), {"version": version, **fields}, token)


@pytest.fixture
def reviewer(auth, scoring):
    auth.login("reviewer@test.example")
    return scoring


def stored(app):
    with Session(db.get_engine_for(app)) as session:
        review = session.exec(select(Review)).first()
        scores = {
            s.dimension: (s.score, s.not_applicable, s.note, s.evidence)
            for s in session.exec(select(ReviewScore))
        }
    return review, scores


def test_each_change_saves_the_draft_and_reload_shows_it(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    response = save(
        htmx, token, "acknowledgment", 0, score="4", note="named the rent worry", evidence="3"
    )
    assert response.status_code == 200
    assert "Saved Acknowledgment" in response.text
    assert 'id="review-version" name="version" value="1" hx-swap-oob="true"' in response.text
    assert save(htmx, token, "next_steps", 1, score="na").status_code == 200
    review, scores = stored(reviewer)
    assert review.status == "draft" and review.version == 2
    assert scores["acknowledgment"] == (4, False, "named the rent worry", [2])
    assert scores["next_steps"] == (None, True, "", [])
    page = client.get("/calls/C-1/review").get_data(as_text=True)
    assert 'name="score" value="4" checked' in page and "named the rent worry" in page
    assert 'name="score" value="na" checked' in page
    assert 'id="review-version" name="version" value="2"' in page


@pytest.mark.parametrize(
    ("dimension", "fields", "message"),
    [
        ("acknowledgment", {"score": "6"}, "'6' is not a point on the scale 1–5"),
        ("acknowledgment", {"score": "0"}, "'0' is not a point on the scale 1–5"),
        ("acknowledgment", {"score": "na"}, "N/A is not allowed for this dimension"),
        ("empathy", {"score": "3"}, "'empathy' is not a dimension of rubric empathy@1"),
        (
            "summary",
            {"score": "3", "evidence": "9"},
            "evidence '9' is not a turn number between 1 and 4",
        ),
        ("summary", {"score": "3", "note": "x" * 4001}, "longer than 4000 characters"),
        # Unicode digits pass str.isdigit() but not int(): a clear refusal, not a crash.
        ("acknowledgment", {"score": "²"}, "'²' is not a point on the scale 1–5"),
        ("acknowledgment", {"score": "--3"}, "'--3' is not a point on the scale 1–5"),
        ("summary", {"score": "3", "evidence": "²"}, "evidence '²' is not a turn number"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(reviewer, htmx, dimension, fields, message):
    token = htmx.token("/calls/C-1/review")
    save(htmx, token, "summary", 0, score="2")
    before = snapshot(db.get_engine_for(reviewer))
    response = save(htmx, token, dimension, 1, **fields)
    assert response.status_code == 422
    assert message in unescape(response.text) and "Not saved" in response.text
    assert snapshot(db.get_engine_for(reviewer)) == before


def test_stale_tab_gets_a_conflict_and_nothing_is_overwritten(reviewer, htmx):
    token = htmx.token("/calls/C-1/review")
    assert save(htmx, token, "summary", 0, score="2").status_code == 200  # tab A: v0 -> v1
    assert save(htmx, token, "summary", 1, score="3").status_code == 200  # tab A: v1 -> v2
    before = snapshot(db.get_engine_for(reviewer))
    response = save(htmx, token, "summary", 1, score="5")  # tab B still at v1
    assert response.status_code == 409
    assert "changed elsewhere (it is now at version 2, this page had version 1)" in response.text
    assert snapshot(db.get_engine_for(reviewer)) == before
    # Two tabs both starting a new review: the second is told, not duplicated.
    response = htmx.post(
        "/calls/C-2/review/dimensions/summary", {"version": 0, "score": "3"}, token
    )
    assert response.status_code == 200
    response = htmx.post(
        "/calls/C-2/review/dimensions/summary", {"version": 0, "score": "4"}, token
    )
    assert response.status_code == 409


def test_missing_csrf_token_is_refused(reviewer, htmx):
    before = snapshot(db.get_engine_for(reviewer))
    response = save(htmx, None, "summary", 0, score="3")
    assert response.status_code == 400 and "Not saved: this page is out of date" in response.text
    assert snapshot(db.get_engine_for(reviewer)) == before


def test_calls_outside_the_queue_are_refused(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    assert client.get("/calls/C-3/review").status_code == 403
    response = htmx.post(
        "/calls/C-3/review/dimensions/summary", {"version": 0, "score": "3"}, token
    )
    assert response.status_code == 403 and "not in your queue" in response.text
    assert client.get("/calls/NOPE/review").status_code == 404
    assert stored(reviewer)[0] is None


def answer_all(htmx, token, call="C-1"):
    version = 0
    for dimension, score in [
        ("acknowledgment", "5"),
        ("summary", "4"),
        ("next_steps", "2"),
        ("loop_closure", "na"),
    ]:
        response = htmx.post(
            f"/calls/{call}/review/dimensions/{dimension}",
            {"version": version, "score": score},
            token,
        )
        assert response.status_code == 200, response.text
        version += 1
    return version


def test_submit_refuses_an_incomplete_review_then_shows_flags(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    save(htmx, token, "summary", 0, score="4")
    response = htmx.post("/calls/C-1/review/submit", {"version": 1}, token)
    assert response.status_code == 422
    assert "still to score Acknowledgment, Next steps, Emotional loop closure" in response.text
    save(htmx, token, "acknowledgment", 1, score="5")
    save(htmx, token, "next_steps", 2, score="2")
    save(htmx, token, "loop_closure", 3, score="na")
    response = htmx.post("/calls/C-1/review/submit", {"version": 4}, token)
    assert response.status_code == 204
    review, _ = stored(reviewer)
    assert response.headers["HX-Redirect"] == f"/reviews/{review.id}?submitted=1"
    assert review.status == "submitted" and review.submitted_at is not None
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert 'data-flag="acknowledged"' in page
    assert "<strong>acknowledged</strong>: yes" in page
    assert "<strong>confirmed_next_steps</strong>: no" in page
    assert "<strong>closed_emotional_loop</strong>: unknown (N/A)" in page
    assert "<strong>empathy_absent</strong>: no" in page
    # A submitted review no longer autosaves: it is edited with a reason.
    response = save(htmx, token, "summary", 5, score="1")
    assert response.status_code == 409 and "use Edit, with a reason" in response.text
    assert client.get("/calls/C-1/review").status_code == 302


def edit_form(version, reason="Calibration: the summary was not checked", **scores):
    data = {"version": version, "reason": reason}
    base = {"acknowledgment": "5", "summary": "4", "next_steps": "2", "loop_closure": "na"}
    base.update(scores)
    for dimension, score in base.items():
        data[f"{dimension}-score"] = score
        data[f"{dimension}-note"] = ""
        data[f"{dimension}-evidence"] = ""
    return data


def submitted_review(htmx, token):
    version = answer_all(htmx, token)
    assert htmx.post("/calls/C-1/review/submit", {"version": version}, token).status_code == 204
    return version + 1


def test_editing_a_submitted_review_is_audited_with_a_reason(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    version = submitted_review(htmx, token)
    review, _ = stored(reviewer)
    data = edit_form(version, summary="3") | {"csrf_token": token}
    refused = client.post(f"/reviews/{review.id}/edit", data=data | {"reason": " "})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    # What the reviewer typed is still in the form.
    assert 'name="summary-score" value="3" checked' in refused.get_data(as_text=True)
    response = client.post(f"/reviews/{review.id}/edit", data=data)
    assert response.status_code == 302
    _, scores = stored(reviewer)
    assert scores["summary"][0] == 3
    with Session(db.get_engine_for(reviewer)) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.edited")).one()
    assert event.actor_label == "reviewer@test.example"
    assert event.before == {
        "summary": {"score": 4, "not_applicable": False, "note": "", "evidence": []}
    }
    assert event.after["summary"]["score"] == 3
    assert event.reason == "Calibration: the summary was not checked"
    stale = client.post(
        f"/reviews/{review.id}/edit", data=edit_form(version, summary="1") | {"csrf_token": token}
    )
    assert stale.status_code == 409 and "changed elsewhere" in stale.get_data(as_text=True)
    assert stored(reviewer)[1]["summary"][0] == 3


def test_other_reviewers_cannot_see_or_edit_a_review_but_leads_can(scoring, auth, client, htmx):
    auth.login("reviewer@test.example")
    token = htmx.token("/calls/C-1/review")
    version = submitted_review(htmx, token)
    review, _ = stored(scoring)
    auth.logout()

    from qa_app.store.users import create_user

    with db.transaction(db.get_engine_for(scoring)) as session:
        create_user(session, "other@test.example", "Other", "reviewer", "correct-horse-battery")
    auth.login("other@test.example")
    token = htmx.token("/")
    before = snapshot(db.get_engine_for(scoring))
    assert client.get(f"/reviews/{review.id}").status_code == 403
    response = client.post(
        f"/reviews/{review.id}/edit", data=edit_form(version, summary="1") | {"csrf_token": token}
    )
    assert response.status_code == 403
    assert snapshot(db.get_engine_for(scoring)) == before
    auth.logout()

    auth.login("lead@test.example")
    token = htmx.token("/")
    assert client.get(f"/reviews/{review.id}").status_code == 200
    response = client.post(
        f"/reviews/{review.id}/edit", data=edit_form(version, summary="1") | {"csrf_token": token}
    )
    assert response.status_code == 302
    assert stored(scoring)[1]["summary"][0] == 1


def test_transcript_and_notes_render_as_text(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    save(htmx, token, "summary", 0, score="3", note="<img src=x onerror=alert(1)>")
    page = client.get("/calls/C-1/review").get_data(as_text=True)
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_queue_lists_status_filters_and_opens_drafts_first(reviewer, client, htmx):
    token = htmx.token("/queue")
    htmx.post("/calls/C-2/review/dimensions/summary", {"version": 0, "score": "3"}, token)
    page = client.get("/queue").get_data(as_text=True)
    assert "1 to do · 1 drafts · 0 submitted" in page
    assert "C-1" in page and "C-2" in page and "C-3" not in page
    filtered = client.get("/queue?channel=chat", headers={"HX-Request": "true"})
    text = filtered.get_data(as_text=True)
    assert "<html" not in text and "C-2" in text and "C-1" not in text
    assert client.get("/queue/next").headers["Location"] == "/calls/C-2/review"
    assert client.get("/queue/next?after=2").headers["Location"] == "/calls/C-1/review"
    assert "not a date" in client.get("/queue?since=yesterday", follow_redirects=True).get_data(
        as_text=True
    )


def test_a_seven_point_rubric_scores_the_same_way(reviewer, htmx):
    reviewer.config["RUBRIC_ID"] = "empathy-7pt"
    token = htmx.token("/calls/C-1/review")
    assert save(htmx, token, "acknowledgment", 0, score="7").status_code == 200
    refused = save(htmx, token, "acknowledgment", 1, score="8")
    assert refused.status_code == 422 and "scale 1–7" in unescape(refused.text)
    review, scores = stored(reviewer)
    assert scores["acknowledgment"][0] == 7
    with Session(db.get_engine_for(reviewer)) as session:
        assert session.get(RubricVersion, review.rubric_pk).key == "empathy-7pt@1"


# --- the page keeps the reviewer's work and tells the truth -------------------------------


def test_a_stale_save_sends_back_the_stored_answer_for_the_form(reviewer, htmx):
    token = htmx.token("/calls/C-1/review")
    assert save(htmx, token, "summary", 0, score="3").status_code == 200  # tab A: v0 -> v1
    response = save(htmx, token, "summary", 0, score="5")  # tab B still at v0
    assert response.status_code == 409
    text = unescape(response.text)
    assert "changed elsewhere" in text
    # The dimension as stored replaces what tab B shows (only its content: same element).
    assert 'id="dim-summary"' in text and 'hx-swap-oob="innerHTML"' in text
    assert 'name="score" value="3" checked' in text
    assert 'name="score" value="5" checked' not in text
    assert "Not saved: you chose 5 here, but this review changed elsewhere" in text
    assert "stored answer (3)" in text
    # Tab B keeps its old version, so its next save is refused too until it reloads.
    assert 'id="review-version"' not in text
    assert stored(reviewer)[1]["summary"][0] == 3


def test_a_stale_page_token_says_not_saved_instead_of_bad_request(reviewer, htmx):
    before = snapshot(db.get_engine_for(reviewer))
    response = htmx.client.post(
        SAVE.format("summary"),
        data={"version": 0, "score": "3"},
        headers={
            "HX-Request": "true",
            "X-CSRFToken": "a-token-from-an-older-session",
            "HX-Current-URL": "http://localhost/calls/C-1/review",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" not in text
    assert "Not saved: this page is out of date" in text and "NOT saved" in text
    assert 'href="/calls/C-1/review"' in text and "Reload this page" in text
    assert "400 Bad Request" not in text
    assert snapshot(db.get_engine_for(reviewer)) == before


def test_an_expired_session_says_not_saved_and_links_back_through_login(scoring, client):
    before = snapshot(db.get_engine_for(scoring))
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/calls/C-1/review"}
    response = client.post(
        SAVE.format("summary"), data={"version": 0, "score": "3"}, headers=headers
    )
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "<html" not in text
    assert "Not saved: your session has expired" in text and "NOT saved" in text
    assert 'href="/login?next=/calls/C-1/review"' in text and "Log in again" in text
    # A plain form post gets a whole page saying the same, back to the page it came from.
    response = client.post(
        SAVE.format("summary"),
        data={"version": 0, "score": "3"},
        headers={"Referer": "http://localhost/calls/C-1/review"},
    )
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "<html" in text
    assert "Not saved: your session has expired" in text
    assert 'href="/login?next=/calls/C-1/review"' in text
    # A page from another site is never where "Log in again" leads.
    response = client.post(
        SAVE.format("summary"),
        data={"version": 0, "score": "3"},
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/calls/C-1/review"},
    )
    assert 'href="/login"' in response.get_data(as_text=True)
    assert snapshot(db.get_engine_for(scoring)) == before


def test_a_deactivated_reviewer_is_told_the_change_was_not_saved(reviewer, htmx):
    from qa_app.models import User

    token = htmx.token("/calls/C-1/review")
    with db.transaction(db.get_engine_for(reviewer)) as session:
        session.exec(select(User).where(User.email == "reviewer@test.example")).one().active = False
    response = htmx.client.post(
        SAVE.format("summary"),
        data={"version": 0, "score": "3"},
        headers={
            "HX-Request": "true",
            "X-CSRFToken": token,
            "HX-Current-URL": "http://localhost/calls/C-1/review",
        },
    )
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 401 and "<html" not in text
    assert "Not saved" in text and 'href="/login?next=/calls/C-1/review"' in text
    assert stored(reviewer)[0] is None


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("/calls/C-1/review", "/calls/C-1/review"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),  # still a local path, encoded
    ],
)
def test_login_comes_back_only_to_a_page_of_this_site(scoring, client, target, lands_on):
    from tests.views.conftest import PASSWORD, csrf_token

    form = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "email": "reviewer@test.example",
            "password": PASSWORD,
            "csrf_token": csrf_token(form),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == lands_on


def test_a_refused_submit_names_the_dimensions_to_go_to(reviewer, htmx):
    token = htmx.token("/calls/C-1/review")
    save(htmx, token, "summary", 0, score="4")
    response = htmx.post("/calls/C-1/review/submit", {"version": 1}, token)
    assert response.status_code == 422
    assert 'data-missing="acknowledgment next_steps loop_closure"' in response.text


def test_flags_read_by_what_they_mean(reviewer, client, htmx):
    token = htmx.token("/calls/C-1/review")
    submitted_review(htmx, token)  # acknowledgment 5, summary 4, next steps 2, loop N/A
    review, _ = stored(reviewer)
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    verdicts = dict(re.findall(r'data-flag="(\w+)" data-verdict="(\w+)"', page))
    assert verdicts == {
        "acknowledged": "good",  # yes, and yes is good
        "summarized": "good",
        "confirmed_next_steps": "bad",  # no, and no is bad
        "closed_emotional_loop": "unknown",  # N/A
        "empathy_absent": "good",  # no, and this flag names a problem: no is good news
    }
    assert "<strong>empathy_absent</strong>: no" in page
    assert 'class="flag flag-no flag-good"' in page


def test_flag_meaning_follows_the_direction_of_its_rule():
    from qa_app.domain.rubrics.definitions import Condition, FlagRule
    from qa_app.views.reviews.scoring import flag_meaning

    def flag(*conditions):
        return FlagRule("f", "", "", tuple(Condition(*c) for c in conditions))

    assert flag_meaning(flag(("a", ">=", 4))) == "good"
    assert flag_meaning(flag(("a", ">", 3), ("b", ">=", 4))) == "good"
    assert flag_meaning(flag(("a", "<=", 2))) == "bad"
    assert flag_meaning(flag(("a", "<", 3), ("b", "<=", 2))) == "bad"
    assert flag_meaning(flag(("a", "==", 3))) == "neutral"
    assert flag_meaning(flag(("a", ">=", 4), ("b", "<=", 2))) == "neutral"


def flash_after_next(client, query=""):
    response = client.get(f"/queue/next{query}", follow_redirects=True)
    return unescape(response.get_data(as_text=True))


def test_open_next_with_nothing_to_do_says_why(scoring, auth, client, htmx):
    auth.login("lead@test.example")  # a scorer with no calls assigned
    page = flash_after_next(client)
    assert "No calls are assigned to you yet, so there is nothing to score." in page
    assert "Well done" not in page
    auth.logout()

    auth.login("reviewer@test.example")
    token = htmx.token("/calls/C-1/review")
    version = answer_all(htmx, token, call="C-2")
    assert htmx.post("/calls/C-2/review/submit", {"version": version}, token).status_code == 204
    with Session(db.get_engine_for(scoring)) as session:
        from qa_app.models import Call

        c1 = session.exec(select(Call).where(Call.call_id == "C-1")).one().id
    page = flash_after_next(client, f"?after={c1}")
    assert "No other call to score: the call you just left is the only one not submitted." in page
    submitted_review(htmx, token)
    page = flash_after_next(client)
    assert "Nothing to do: all 2 calls assigned to you are submitted." in page
    assert "Well done" not in page


def test_reviewer_home_shows_the_queue_and_the_next_call(scoring, auth, client, htmx):
    auth.login("reviewer@test.example")
    token = htmx.token("/")
    htmx.post("/calls/C-2/review/dimensions/summary", {"version": 0, "score": "3"}, token)
    page = client.get("/").get_data(as_text=True)
    summary = re.sub(r"<[^>]+>|\s+", " ", page)
    assert "1 to do · 1 draft · 0 submitted" in re.sub(r"\s+", " ", summary)
    assert 'href="/calls/C-2/review"' in page and "Score the next call: C-2" in page
    assert 'href="/queue"' in page
    assert "arrives with the scoring pages" not in page
    auth.logout()

    from qa_app.store.users import create_user

    with db.transaction(db.get_engine_for(scoring)) as session:
        create_user(session, "new@test.example", "New", "reviewer", "correct-horse-battery")
    auth.login("new@test.example")
    page = client.get("/").get_data(as_text=True)
    assert "No calls are assigned to you yet, so there is nothing to score." in page
    assert "Score the next call" not in page


def test_an_expired_login_form_or_log_out_button_says_what_happened(users, client):
    response = client.post(
        "/login", data={"email": "lead@test.example", "password": "x", "csrf_token": "old"}
    )
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "This login form had expired, so nobody was logged in. Log in again." in text
    assert 'value="lead@test.example"' in text  # what was typed is kept
    assert client.get("/").status_code == 302
    response = client.post("/logout", data={"csrf_token": "old"}, follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)

"""A re-imported transcript never changes what a review was scored on."""

from __future__ import annotations

from html import unescape

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, Review
from tests.store.helpers import snapshot
from tests.views.conftest import add_call, assign, csrf_token
from tests.views.imports import upload as upload_and_wait

DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
NEW_TRANSCRIPT = "Agent: Hello, billing.\nCustomer: Just checking my balance.\n"
BANNER = "This call's transcript was replaced on "


def save(htmx, token, dimension, version, **fields):
    return htmx.post(
        f"/calls/C-1/review/dimensions/{dimension}", {"version": version, **fields}, token
    )


def text(response) -> str:
    return " ".join(unescape(response.get_data(as_text=True)).split())


def reviews(app) -> list[Review]:
    with Session(db.get_engine_for(app)) as session:
        return list(session.exec(select(Review).order_by(Review.id)))


def test_a_review_keeps_the_transcript_it_was_scored_on(scoring, auth, client, htmx):
    auth.login("reviewer@test.example")
    token = htmx.token("/calls/C-1/review")
    assert save(htmx, token, "acknowledgment", 0, score="4", evidence="3").status_code == 200
    add_call(scoring, "C-1", transcript=NEW_TRANSCRIPT)  # a re-import: two turns, new words

    draft = text(client.get("/calls/C-1/review"))
    assert "rent is due" in draft and "Just checking my balance" not in draft
    assert BANNER in draft
    assert "by an import; this draft was started on the earlier version (version 1)" in draft
    assert "4 turns · version 1 of 2" in draft
    # Evidence still cites the four turns the reviewer is reading.
    for number, dimension in enumerate(DIMENSIONS[1:], start=2):
        response = save(htmx, token, dimension, number - 1, score="3", evidence="4")
        assert response.status_code == 200, response.text
    submitted = htmx.post("/calls/C-1/review/submit", {"version": 4}, token)
    assert submitted.status_code == 204, submitted.text

    review = reviews(scoring)[0]
    page = text(client.get(f"/reviews/{review.id}"))
    assert "rent is due" in page and "Just checking my balance" not in page
    assert "by an import; this review was scored on the earlier version (version 1)" in page
    assert review.transcript_version == 1


def test_new_drafts_use_the_newest_transcript(scoring, auth, client, htmx):
    add_call(scoring, "C-1", transcript=NEW_TRANSCRIPT)
    assign(scoring, "C-1", "lead@test.example")
    auth.login("lead@test.example")
    page = text(client.get("/calls/C-1/review"))
    assert "Just checking my balance" in page and "rent is due" not in page
    assert BANNER not in page
    token = htmx.token("/calls/C-1/review")
    refused = save(htmx, token, "acknowledgment", 0, score="4", evidence="3")
    assert "evidence '3' is not a turn number between 1 and 2" in unescape(refused.text)
    assert save(htmx, token, "acknowledgment", 0, score="4", evidence="2").status_code == 200
    assert reviews(scoring)[0].transcript_version == 2


def upload(client, token, content: bytes, **fields):
    """The outcome upload's job page once the import ended."""
    return upload_and_wait(client, token, "outcomes", content, "outcomes.csv", **fields)


def test_an_outcome_upload_replaces_values_only_when_ticked(scoring, auth, client):
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    first = upload(client, token, b"call_id,saved\nC-1,1\nC-2,0\n")
    assert "Imported 2 rows (2 outcome values): 2 created" in text(first)
    before = snapshot(db.get_engine_for(scoring))
    refused = upload(client, token, b"call_id,saved\nC-1,1\nC-2,1\n")
    page = text(refused)
    assert "1 stored value(s) would be replaced; nothing was imported." in page
    assert "row 3: call C-2 saved is 0 in the database, the file has 1" in page
    assert snapshot(db.get_engine_for(scoring)) == before
    replaced = upload(client, token, b"call_id,saved\nC-1,1\nC-2,1\n", replace="1")
    assert "(2 outcome values): 0 created, 1 updated, 1 unchanged" in text(replaced)
    with Session(db.get_engine_for(scoring)) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "outcome.replaced")
        ).one()
    assert (event.entity_id, event.actor_label) == ("C-2:saved", "lead@test.example")
    assert (event.before["value"], event.after["value"]) == (0, 1)

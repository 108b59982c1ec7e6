"""GET /api/v1/reviews: submitted reviews with scores and flags, page by page with a cursor
and a since filter, drafts never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from qa_app import db
from qa_app.models import Call, Review, ReviewScore, RubricVersion, User
from qa_app.store import final_scores
from tests.views.conftest import add_call

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _reviews(app, count: int) -> None:
    """``count`` submitted reviews of calls R-0, R-1, ... an hour apart (acknowledgment 1,
    2, ...), and a draft that must never be read."""
    for i in range(count + 1):
        add_call(app, f"R-{i}")
    with db.transaction(db.get_engine_for(app)) as session:
        rubric = session.exec(select(RubricVersion).where(RubricVersion.rubric_id == "empathy",
                                                          RubricVersion.version == 1)).one()
        reviewer = session.exec(select(User).where(User.email == "reviewer@test.example")).one()
        for i in range(count + 1):
            call = session.exec(select(Call).where(Call.call_id == f"R-{i}")).one()
            moment = START + timedelta(hours=i)
            review = Review(call_pk=call.id, reviewer_id=reviewer.id, rubric_pk=rubric.id,
                            status="submitted" if i < count else "draft", updated_at=moment,
                            submitted_at=moment if i < count else None)  # fmt: skip
            session.add(review)
            session.flush()
            session.add(ReviewScore(review_id=review.id, dimension="acknowledgment",
                                    score=1 + i % 5, note=f"note {i}", evidence=[1]))  # fmt: skip
            session.add(ReviewScore(review_id=review.id, dimension="loop_closure",
                                    not_applicable=True))  # fmt: skip
        session.flush()
        # The stored final scores every report reads, as a submit keeps them.
        final_scores.refresh_calls(session, [c.id for c in session.exec(select(Call))])


def test_reviews_come_page_by_page_in_the_order_they_changed(scoring, client, tokens):
    _reviews(scoring, 5)
    seen, cursor, pages = [], None, 0
    while True:
        query = "/api/v1/reviews?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=tokens["coach"]).get_json()
        seen += page["items"]
        cursor, pages = page["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5
    assert [r["scores"]["acknowledgment"]["score"] for r in seen] == [1, 2, 3, 4, 5]
    first = seen[0]
    assert first["call_id"] == "R-0" and first["reviewer"] == "reviewer@test.example"
    assert first["rubric"] == "empathy@1" and first["scores"]["loop_closure"]["not_applicable"]
    assert first["flags"]["empathy_absent"] is True and first["flags"]["acknowledged"] is False
    assert first["scores"]["acknowledgment"] == {"score": 1, "not_applicable": False,
                                                "note": "note 0", "evidence": [1]}  # fmt: skip

    since = (START + timedelta(hours=3)).isoformat()
    later = client.get("/api/v1/reviews", query_string={"since": since},
                       headers=tokens["coach"]).get_json()  # fmt: skip
    assert [r["scores"]["acknowledgment"]["score"] for r in later["items"]] == [4, 5]
    bad = client.get("/api/v1/reviews?cursor=not-a-cursor", headers=tokens["coach"])
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "query.cursor"
    naive = client.get("/api/v1/reviews?since=2026-12-01T09:00:00", headers=tokens["coach"])
    assert naive.status_code == 422 and naive.get_json()["errors"][0]["field"] == "query.since"


def test_flag_rates_and_machine_scores_come_out_only_with_their_scopes(scoring, client, tokens):
    from qa_app.models import MachineModel, MachineScore
    from tests.api.conftest import make_token

    _reviews(scoring, 5)
    with db.transaction(db.get_engine_for(scoring)) as session:
        rubric = session.exec(select(RubricVersion).where(RubricVersion.rubric_id == "empathy",
                                                          RubricVersion.version == 1)).one()
        model = MachineModel(rubric_pk=rubric.id, version=2, kind="trained", training_hash="-",
                             content=b"")  # fmt: skip
        session.add(model)
        session.flush()
        for call in session.exec(select(Call).order_by(Call.id)):
            session.add(MachineScore(model_pk=model.id, call_pk=call.id, confidence=0.7,
                                     dimension="acknowledgment", score=3, evidence=[2]))
    lead = {"Authorization": "Bearer " + make_token(
        scoring, "lead@test.example", "flags:read,machine:read")}  # fmt: skip
    summary = client.get("/api/v1/flags/summary?by=channel", headers=lead).get_json()
    assert summary["rubric"] == "empathy@1" and summary["reviewed_calls"] == 5
    assert summary["by"] == "channel" and summary["groups"][0]["flags"]["empathy_absent"]["n"] == 5
    typo = client.get("/api/v1/flags/summary?team=Nowhere", headers=lead)
    assert typo.status_code == 422 and "no call has team 'Nowhere'" in typo.get_json()["detail"]
    first = client.get("/api/v1/machine/scores?limit=4", headers=lead).get_json()
    rest = client.get(f"/api/v1/machine/scores?cursor={first['next_cursor']}",
                      headers=lead).get_json()  # fmt: skip
    items = first["items"] + rest["items"]
    assert len(items) == 9 and rest["next_cursor"] is None  # C-1..C-3 and R-0..R-5
    assert items[0] == {"call_id": "C-1", "model": "empathy@1 v2", "kind": "trained",
                        "dimension": "acknowledgment", "score": 3, "confidence": 0.7,
                        "evidence": [2], "reason": ""}  # fmt: skip
    assert client.get("/api/v1/machine/scores", headers=tokens["coach"]).status_code == 403

"""PUT /api/v1/calls/{external_id}: the calls import's checks over HTTP, with tokens, problem
details, no silent overwrite and retries that act once."""

from __future__ import annotations

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, Call, TranscriptVersion

CALL = {
    "agent": "Ana B.",
    "team": "Harbour",
    "channel": "voice",
    "interaction_type": "escalation",
    "started_at": "2026-12-01T09:30:00Z",
    "agent_tenure_days": 120,
    "transcript": [
        {"speaker": "agent", "text": "Thanks for calling, this is Ana.", "at": 0},
        {"speaker": "customer", "text": "I was charged twice.", "at": 4.5},
    ],
}


def test_a_call_is_created_then_left_alone_then_refused_a_silent_change(scoring, client, tokens):
    created = client.put("/api/v1/calls/T-100", json=CALL, headers=tokens["lead"])
    assert created.status_code == 200, created.get_data(True)
    body = created.get_json()
    assert body["result"] == "created" and body["team"] == "Harbour"
    assert body["started_at"].startswith("2026-12-01T09:30") and body["transcript_version"] == 1
    again = client.put("/api/v1/calls/T-100", json=CALL, headers=tokens["lead"])
    assert again.get_json()["result"] == "unchanged"

    moved = dict(CALL, team="Lighthouse")
    refused = client.put("/api/v1/calls/T-100", json=moved, headers=tokens["lead"])
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    problem = refused.get_json()
    assert problem["status"] == 409 and any("Harbour" in c and "Lighthouse" in c
                                            for c in problem["changes"])  # fmt: skip
    engine = db.get_engine_for(scoring)
    with Session(engine) as session:
        assert session.exec(select(Call).where(Call.call_id == "T-100")).one().team == "Harbour"
    replaced = client.put("/api/v1/calls/T-100?replace=true", json=moved, headers=tokens["lead"])
    assert replaced.get_json()["result"] == "updated"
    assert replaced.get_json()["team"] == "Lighthouse"

    # A new transcript needs no replace: the old one is kept as version 1.
    retold = dict(moved, transcript="Agent: Hello again.\nCustomer: Still charged twice.")
    assert client.put("/api/v1/calls/T-100", json=retold,
                      headers=tokens["lead"]).get_json()["transcript_version"] == 2  # fmt: skip
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "T-100")).one()
        assert session.exec(select(TranscriptVersion).where(
            TranscriptVersion.call_pk == call.id)).all()  # fmt: skip
        imports = session.exec(select(AuditEvent).where(AuditEvent.action == "import.calls")).all()
        assert imports and all(e.actor_label == "lead@test.example" for e in imports)
        assert all("via API token 'test'" in e.entity_id for e in imports)


def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(scoring, client, tokens):
    from tests.store.helpers import snapshot

    engine = db.get_engine_for(scoring)
    before = snapshot(engine)
    missing = client.put("/api/v1/calls/T-1", json={"transcript": "Agent: Hi."},
                         headers=tokens["lead"])  # fmt: skip
    assert missing.status_code == 422 and missing.content_type == "application/problem+json"
    assert {"field": "json.agent", "message": "Missing data for required field."} in \
        missing.get_json()["errors"]
    unknown = client.put("/api/v1/calls/T-1", json=dict(CALL, colour="red"),
                         headers=tokens["lead"])  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "json.colour"
    speaker = dict(CALL, transcript=[{"speaker": "robot", "text": "beep"}])
    bad_turn = client.put("/api/v1/calls/T-1", json=speaker, headers=tokens["lead"])
    assert bad_turn.get_json()["errors"][0]["field"] == "json.transcript.0.speaker"
    # What only the import's own checks catch comes back the same way, and the row is named.
    old = client.put("/api/v1/calls/T-1", json=dict(CALL, started_at="1066-10-14T09:00:00Z"),
                     headers=tokens["lead"])  # fmt: skip
    assert old.status_code == 422 and "started_at" in old.get_json()["errors"][0]["message"]
    assert snapshot(engine) == before


def test_only_a_valid_token_with_the_scope_acts_and_a_cookie_never_does(
    scoring, client, auth, tokens
):
    from qa_app.store.tokens import revoke

    auth.login("lead@test.example")  # a signed-in browser session ...
    no_token = client.put("/api/v1/calls/T-2", json=CALL)
    assert no_token.status_code == 401  # ... is not an API credential, and no CSRF is asked
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.put("/api/v1/calls/T-2", json=CALL, headers={"Authorization": "Bearer qa_x"})
    assert wrong.status_code == 401 and wrong.get_json()["detail"] == "the token is not known."
    scope = client.put("/api/v1/calls/T-2", json=CALL, headers=tokens["coach"])
    assert scope.status_code == 403 and "calls:write" in scope.get_json()["detail"]
    with db.transaction(db.get_engine_for(scoring)) as session:
        revoke(session, 1, "tests")
    revoked = client.put("/api/v1/calls/T-2", json=CALL, headers=tokens["lead"])
    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["detail"]


def test_a_retried_request_is_answered_once(scoring, client, tokens):
    headers = {**tokens["lead"], "Idempotency-Key": "sync-2026-12-08-T-3"}
    first = client.put("/api/v1/calls/T-3", json=CALL, headers=headers)
    retry = client.put("/api/v1/calls/T-3", json=CALL, headers=headers)
    assert first.get_json()["result"] == "created"
    assert retry.get_json() == first.get_json()  # "created" again: the first answer, kept
    assert retry.headers["Idempotent-Replayed"] == "true"
    other = client.put("/api/v1/calls/T-3", json=dict(CALL, team="Other"), headers=headers)
    assert other.status_code == 422 and "another request" in other.get_json()["title"]
    with Session(db.get_engine_for(scoring)) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "import.calls"))
        assert len(events.all()) == 1


def test_a_token_is_limited_and_told_when_to_come_back(scoring, client, tokens):
    scoring.config["API_RATE_LIMIT"] = "2 per minute"
    answers = [client.get("/api/v1/calls/C-1", headers=tokens["lead"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].content_type == "application/problem+json"
    assert int(answers[2].headers["Retry-After"]) > 0
    # Another token has its own count.
    assert client.get("/api/v1/reviews", headers=tokens["coach"]).status_code == 200


def test_what_the_contract_test_found_stays_fixed(scoring, client, tokens):
    """Text JSON allows but no database stores (a lone surrogate) is refused by name, and an
    ID with spaces around it answers with the call the import stored."""
    import json

    body = json.dumps(dict(CALL, team="\ud83d")).encode("utf-8", "surrogatepass")
    refused = client.put("/api/v1/calls/T-5", data=body, content_type="application/json",
                         headers=tokens["lead"])  # fmt: skip
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "json.team"
    spaced = client.put("/api/v1/calls/%20T-6%20", json=CALL, headers=tokens["lead"])
    assert spaced.status_code == 200 and spaced.get_json()["call_id"] == "T-6"


def test_calls_in_bulk_all_or_nothing(scoring, client, tokens):
    import json

    lines = [dict(CALL, call_id=f"B-{i}") for i in range(3)]
    body = "\n".join(json.dumps(line) for line in lines)
    headers = {**tokens["lead"], "Content-Type": "application/x-ndjson"}
    done = client.post("/api/v1/calls:bulk", data=body, headers=headers)
    assert done.status_code == 200, done.get_data(True)
    assert done.get_json() == {"created": 3, "updated": 0, "unchanged": 0, "transcripts_kept": 0}
    engine = db.get_engine_for(scoring)
    with Session(engine) as session:
        assert len(session.exec(select(Call).where(Call.call_id.like("B-%"))).all()) == 3

    bad = lines[:1] + [{"call_id": "B-9", "transcript": "Agent: hi"}] + ["not json"]
    body = "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in bad)
    refused = client.post("/api/v1/calls:bulk", data=body, headers=headers)
    fields = [e["field"] for e in refused.get_json()["errors"]]
    assert refused.status_code == 422 and fields == ["line.2.agent", "line.3"]
    with Session(engine) as session:  # nothing of it written, the good line included
        assert session.exec(select(Call).where(Call.call_id == "B-9")).first() is None
    moved = "\n".join(json.dumps(dict(line, team="Other")) for line in lines)
    assert client.post("/api/v1/calls:bulk", data=moved, headers=headers).status_code == 409


def test_made_up_tokens_do_not_buy_unlimited_tries(scoring, client):
    scoring.config["API_ADDRESS_RATE_LIMIT"] = "3 per minute"
    answers = [client.get("/api/v1/reviews", headers={"Authorization": f"Bearer qa_guess{i}"})
               for i in range(4)]  # fmt: skip
    assert [a.status_code for a in answers] == [401, 401, 401, 429]

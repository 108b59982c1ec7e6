"""Imports never overwrite without history: transcripts are versioned, replaced values audited."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from qa_app.models import (
    CalibrationRating,
    CalibrationSession,
    CalibrationSubmission,
    Call,
    Outcome,
    Review,
    TranscriptTurn,
    TranscriptVersion,
)
from tests.store.helpers import snapshot
from tests.store.test_imports import TRANSCRIPT, good_row, write_calls
from tests.store.test_review_import import HEADER, full_review, setup

NEW = "Agent: Billing, how can I help?\nCustomer: Where is my refund?"


def test_a_changed_transcript_is_kept_as_a_numbered_version(app, engine, cli, tmp_path):
    setup(cli, tmp_path)  # calls C-1 and C-2 with TRANSCRIPT, a reviewer, the rubric
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(HEADER + full_review("C-1", "rita@example.com"))
    assert cli("import", "reviews", reviews).exit_code == 0

    changed = write_calls(tmp_path / "calls-fixed.csv", [good_row("C-1", transcript=NEW)])
    result = cli("import", "calls", changed)
    assert "0 created, 1 updated, 0 unchanged" in result.output, result.output
    assert "1 transcript replaced; the earlier versions are kept for their reviews." in (
        result.output
    )
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "C-1")).one()
        current = session.exec(
            select(TranscriptTurn.text)
            .where(TranscriptTurn.call_pk == call.id)
            .order_by(TranscriptTurn.position)
        ).all()
        kept = session.exec(select(TranscriptVersion)).one()
        review = session.exec(select(Review)).one()
    assert call.transcript_version == 2
    assert current == ["Billing, how can I help?", "Where is my refund?"]
    assert (kept.call_pk, kept.version, kept.replaced_by) == (call.id, 1, "calls-fixed.csv")
    assert [turn[1] for turn in kept.turns] == [
        line.split(": ", 1)[1] for line in TRANSCRIPT.splitlines()
    ]
    assert review.transcript_version == 1  # still the text it was scored on

    # The same file again, or a change of fields only, makes no new version.
    assert "1 unchanged" in cli("import", "calls", changed).output
    other_team = good_row("C-1", transcript=NEW)
    other_team[3] = "Lighthouse"
    cli("import", "calls", write_calls(tmp_path / "team.csv", [other_team]))
    with Session(engine) as session:
        assert session.exec(select(Call.transcript_version).where(Call.id == call.id)).one() == 2
        assert len(session.exec(select(TranscriptVersion)).all()) == 1


def test_outcomes_are_not_replaced_without_replace_and_history_is_readable(
    app, engine, cli, tmp_path
):
    cli("import", "calls", write_calls(tmp_path / "calls.csv", [good_row("C-1"), good_row("C-2")]))
    first = tmp_path / "outcomes.csv"
    first.write_text("call_id,callbacks,credit_amount\nC-1,3,999\nC-2,1,0\n", encoding="utf-8")
    assert cli("import", "outcomes", first).exit_code == 0

    fixed = tmp_path / "outcomes-fixed.csv"
    fixed.write_text("call_id,callbacks,credit_amount\nC-1,9,5\nC-2,1,0\n", encoding="utf-8")
    before = snapshot(engine)
    refused = cli("import", "outcomes", fixed)
    assert refused.exit_code == 1
    assert "outcomes-fixed.csv: row 2: call C-1 callbacks is 3 in the database, the file has 9" in (
        refused.stderr
    )
    assert "row 2: call C-1 credit_amount is 999 in the database, the file has 5" in refused.stderr
    assert "2 stored values would be replaced; nothing was imported. Use --replace" in (
        refused.stderr
    )
    assert snapshot(engine) == before

    result = cli("import", "outcomes", fixed, "--replace")
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 2 unchanged" in result.output
    with Session(engine) as session:
        values = {o.name: o.value for o in session.exec(select(Outcome).where(Outcome.value > 1))}
    assert values == {"callbacks": 9.0, "credit_amount": 5.0}

    history = cli("audit", "--object", "outcome:C-1:credit_amount", "--format", "json")
    assert history.exit_code == 0, history.output
    events = [json.loads(line) for line in history.output.splitlines()]
    assert len(events) == 1
    assert events[0]["action"] == "outcome.replaced"
    assert events[0]["before"]["value"] == 999 and events[0]["after"]["value"] == 5
    assert events[0]["after"]["file"] == "outcomes-fixed.csv"
    assert events[0]["actor"].startswith("command line")
    assert events[0]["at"]


def test_paper_ratings_never_replace_a_raters_scores_without_replace(app, engine, cli, tmp_path):
    from tests.store.test_calibration_cli import HEADER as RATINGS_HEADER
    from tests.store.test_calibration_cli import rows
    from tests.store.test_calibration_cli import setup as calibration_setup

    calibration_setup(cli, tmp_path)
    web = tmp_path / "web.csv"
    web.write_text(RATINGS_HEADER + rows("C-1", "Dana", "panel", ("4", "4", "3", "2"), "warm"))
    session = ("--session", "Panel", "--by", "lee@example.com")
    assert cli("import", "ratings", web, *session).exit_code == 0
    again = cli("import", "ratings", web, *session)  # identical values are not changes
    assert again.exit_code == 0 and "(0 ratings by" in again.output

    paper = tmp_path / "paper.csv"
    paper.write_text(RATINGS_HEADER + rows("C-1", "Dana", "panel", ("1", "1", "1", "1")))
    refused = cli("import", "ratings", paper, *session)
    assert refused.exit_code == 1
    assert "1 rater/call pair(s) already have other ratings in 'Panel'; nothing was imported." in (
        refused.output
    )
    assert (
        "rows 2-5: Dana on call C-1: acknowledgment 4 -> 1, summary 4 -> 1, next_steps 3 -> 1, "
        "loop_closure 2 -> 1, comment removed" in refused.output
    )
    with Session(engine) as session_db:
        scores = session_db.exec(
            select(CalibrationRating.score).order_by(CalibrationRating.id)
        ).all()
        comment = session_db.exec(select(CalibrationSubmission.comment)).one()
    assert (scores, comment) == ([4, 4, 3, 2], "warm")

    assert cli("import", "ratings", paper, *session, "--replace").exit_code == 0
    with Session(engine) as session_db:
        scores = session_db.exec(select(CalibrationRating.score)).all()
        session_id = session_db.exec(select(CalibrationSession.id)).one()
    assert scores == [1, 1, 1, 1]
    history = cli(
        "audit",
        "--object",
        f"calibration_session:{session_id}",
        "--action",
        "calibration.ratings_replaced",
        "--format",
        "json",
    )
    (event,) = [json.loads(line) for line in history.output.splitlines()]
    assert event["before"]["scores"] == {
        "acknowledgment": 4,
        "summary": 4,
        "next_steps": 3,
        "loop_closure": 2,
    }
    assert (event["before"]["comment"], event["after"]["comment"]) == ("warm", "")
    assert event["after"]["scores"]["acknowledgment"] == 1
    assert (event["before"]["rater"], event["after"]["file"]) == ("Dana", "paper.csv")

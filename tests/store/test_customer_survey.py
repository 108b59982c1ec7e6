"""`qa-app survey links` and `qa-app import survey` on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from qa_app.models import AuditEvent, SurveyLink, SurveyResponse
from qa_app.store.surveys.responses import LinkProblem, open_link

CALLS = (
    "call_id,agent,transcript,interaction_type,channel,started_at\n"
    "C-1,ana,Agent: hello,billing_correction,voice,2026-03-02T10:00:00Z\n"
    "C-2,ben,Agent: hello,escalation,chat,2026-03-03T11:00:00Z\n"
    "C-3,ana,Agent: hello,escalation,voice,2026-03-04T23:30:00Z\n"
    "C-4,ben,Agent: hello,escalation,voice,2026-04-10T09:00:00Z\n"
)
ANSWERS = (
    "call_id,item,score,position,comment,responded_at\n"
    "C-1,felt_understood,4,1,Quick and kind,2026-03-03T08:00:00Z\n"
    "C-1,acknowledged_situation,5,2,,2026-03-03T08:00:00Z\n"
    "C-2,clear_next_steps,2,,No idea what happens next,\n"
)


@pytest.fixture
def calls(app, cli, tmp_path):
    (tmp_path / "calls.csv").write_text(CALLS)
    result = cli("import", "calls", tmp_path / "calls.csv")
    assert result.exit_code == 0, result.output


def _rows(path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _survey_tables(engine) -> dict:
    with engine.connect() as connection:
        return {
            t: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY id"))]  # noqa: S608
            for t in ("survey_links", "survey_responses")
        }


def test_links_for_the_period_store_only_token_hashes_and_show_no_scores(
    calls, cli, engine, tmp_path
):
    out = tmp_path / "links.csv"
    result = cli("survey", "links", "--since", "2026-03-01", "--until", "2026-03-04",
                 "--out", out, "--base-url", "https://qa.example.com/")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 3 survey link(s) (customer-empathy@1)" in result.output
    rows = _rows(out)
    # --until is inclusive: C-3 at 23:30 on the 4th is in, C-4 in April is not.
    assert [r["call_id"] for r in rows] == ["C-1", "C-2", "C-3"]
    assert list(rows[0]) == [
        "call_id", "customer_id", "channel", "interaction_type", "started_at", "survey", "url",
        "expires_at",
    ]  # fmt: skip
    assert not any("score" in column or "flag" in column for column in rows[0])
    tokens = [r["url"].removeprefix("https://qa.example.com/survey/") for r in rows]
    assert all(len(t) >= 40 for t in tokens)
    with Session(engine) as db:
        links = list(db.exec(select(SurveyLink).order_by(SurveyLink.id)))
        stored = {link.token_hash for link in links}
        assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
        # The token itself is nowhere in the database.
        assert not any(t in repr(_survey_tables(engine)) for t in tokens)
        orders = [tuple(link.item_order) for link in links]
        assert len(set(orders)) == 3  # three respondents, three different rotations
        assert open_link(db, tokens[0]).call_pk == links[0].call_pk

    # Only escalations, asked again: unanswered calls get a new token, the old one stops working.
    again = tmp_path / "again.csv"
    cli("survey", "links", "--since", "2026-03-01", "--until", "2026-03-04", "--out", again,
        "--interaction-type", "escalation")  # fmt: skip
    assert [r["call_id"] for r in _rows(again)] == ["C-2", "C-3"]
    with Session(engine) as db:
        with pytest.raises(LinkProblem) as refused:
            open_link(db, tokens[1])
        assert refused.value.status == 404
        new_token = _rows(again)[0]["url"].removeprefix("/survey/")
        assert tuple(open_link(db, new_token).item_order) == orders[1]  # same order kept


def test_links_refuse_a_backwards_period(calls, cli, tmp_path):
    result = cli("survey", "links", "--since", "2026-03-05", "--until", "2026-03-01",
                 "--out", tmp_path / "x.csv")  # fmt: skip
    assert result.exit_code == 1
    assert "--until 2026-03-01 is before --since 2026-03-05" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_import_survey_answers_then_reimport_and_replace(calls, cli, engine, tmp_path):
    (tmp_path / "s.csv").write_text(ANSWERS)
    dry = cli("import", "survey", tmp_path / "s.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert _survey_tables(engine)["survey_responses"] == []
    result = cli("import", "survey", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert "Imported 3 rows (3 survey answers): 3 created, 0 updated, 0 unchanged." in (
        result.output
    )
    with Session(engine) as db:
        stored = {(r.item, r.score, r.position, r.comment, r.source) for r in db.exec(
            select(SurveyResponse))}  # fmt: skip
    assert ("felt_understood", 4, 1, "Quick and kind", "import") in stored
    assert ("clear_next_steps", 2, None, "No idea what happens next", "import") in stored
    assert "3 unchanged" in cli("import", "survey", tmp_path / "s.csv").output

    (tmp_path / "s2.csv").write_text(ANSWERS.replace("felt_understood,4,", "felt_understood,1,"))
    before = _survey_tables(engine)
    refused = cli("import", "survey", tmp_path / "s2.csv")
    assert refused.exit_code == 1
    assert "row 2: call C-1 felt_understood is 4 in the database, the file has 1" in refused.output
    assert _survey_tables(engine) == before
    assert cli("import", "survey", tmp_path / "s2.csv", "--replace").exit_code == 0
    with Session(engine) as db:
        event = db.exec(
            select(AuditEvent).where(AuditEvent.action == "survey_answer.replaced")
        ).one()
        assert (event.entity_id, event.before, event.after) == (
            "C-1:felt_understood", {"score": 4}, {"score": 1},
        )  # fmt: skip


def test_bad_rows_are_named_and_nothing_is_written(calls, cli, engine, tmp_path):
    bad = (
        "call_id,item,score,position,responded_at\n"
        "C-1,felt_understood,4,1,2026-03-03\n"  # fine
        "C-9,felt_understood,4,,\n"  # unknown call
        "C-1,felt_understod,3,,\n"  # unknown item
        "C-2,clear_next_steps,6,,\n"  # off the 5-point scale
        "C-2,felt_understood,4.5,,\n"  # not whole
        "C-3,felt_understood,3,4,\n"  # position past the three items
        "C-1,felt_understood,2,,\n"  # a second answer
        "C-3,acknowledged_situation,,,yesterday\n"  # empty score, bad time
    )
    (tmp_path / "bad.csv").write_text(bad)
    result = cli("import", "survey", tmp_path / "bad.csv")
    assert result.exit_code == 1
    out = result.output
    for expected in (
        "row 3: unknown call_id 'C-9' (import the call first)",
        "row 4: item 'felt_understod' is not in survey customer-empathy@1",
        "row 5: score 6 is outside the scale 1–5 of customer-empathy@1",
        "row 6: score 4.5 is not a whole number",
        "row 7: position 4 is outside 1–3",
        "row 8: a second answer to 'felt_understood' for call 'C-1' (first in row 2)",
        "row 9: score is empty",
        "responded_at:",
    ):
        assert expected in out, out
    assert "nothing was imported" in out
    assert _survey_tables(engine)["survey_responses"] == []
    # The 7-point survey takes a 6.
    (tmp_path / "seven.csv").write_text(
        "call_id,item,score,survey\nC-2,clear_next_steps,6,customer-empathy-7pt\n"
    )
    assert cli("import", "survey", tmp_path / "seven.csv").exit_code == 0
    with Session(engine) as db:
        answer = db.exec(select(SurveyResponse)).one()
        assert (answer.survey_key, answer.score) == ("customer-empathy-7pt@1", 6)


def test_rotation_stays_balanced_across_runs(app, cli, engine, tmp_path):
    rows = ["call_id,agent,transcript,started_at"] + [
        f"R-{n},ana,Agent: hi,2026-05-{1 + n // 4:02d}T10:00:00Z" for n in range(24)
    ]
    (tmp_path / "calls.csv").write_text("\n".join(rows) + "\n")
    cli("import", "calls", tmp_path / "calls.csv")
    # Two runs over two halves of the month: the rotation counter continues between them.
    cli("survey", "links", "--since", "2026-05-01", "--until", "2026-05-03",
        "--out", tmp_path / "a.csv")  # fmt: skip
    cli("survey", "links", "--since", "2026-05-04", "--until", "2026-05-06",
        "--out", tmp_path / "b.csv")  # fmt: skip
    with Session(engine) as db:
        orders = [link.item_order for link in db.exec(select(SurveyLink))]
    assert len(orders) == 24
    first = Counter(order[0] for order in orders)
    assert set(first.values()) == {8}

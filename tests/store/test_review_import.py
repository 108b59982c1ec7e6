"""`qa-app import reviews`: historical reviews arrive as submitted reviews, or not at all."""

from __future__ import annotations

from sqlmodel import Session, select

from qa_app.models import AuditEvent, Review, ReviewScore, User
from tests.conftest import RUBRICS_DIR
from tests.store.helpers import snapshot
from tests.store.test_imports import good_row, write_calls

HEADER = "call_id,reviewer,dimension,score,submitted_at,rubric\n"


def full_review(call_id, reviewer, scores=("4", "3", "", "N/A"), submitted="2026-02-01T09:00:00Z"):
    dimensions = ("acknowledgment", "summary", "next_steps", "loop_closure")
    return "".join(
        f"{call_id},{reviewer},{d},{s},{submitted},\n"
        for d, s in zip(dimensions, scores, strict=True)
    )


def setup(cli, tmp_path, users=("rita@example.com",)):
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    cli("import", "calls", write_calls(tmp_path / "calls.csv", [good_row("C-1"), good_row("C-2")]))
    for email in users:
        cli(
            "users",
            "add",
            "--email",
            email,
            "--name",
            email.split("@")[0],
            "--role",
            "reviewer",
            "--password-stdin",
            input="a-long-enough-password\n",
        )


def test_reviews_import_as_submitted_and_reimport_changes_nothing(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    path = tmp_path / "reviews.csv"
    path.write_text(
        HEADER
        + full_review("C-1", "rita@example.com")
        + full_review("C-2", "Rita@Example.com", ("5", "5", "5", "5"))
    )
    result = cli("import", "reviews", path)
    assert result.exit_code == 0, result.output
    # Eight rows, four dimensions each for two reviews: the summary counts both.
    assert "Imported 8 rows (2 reviews): 2 created, 0 updated, 0 unchanged." in result.output
    with Session(engine) as session:
        reviews = session.exec(select(Review).order_by(Review.id)).all()
        scores = {
            (s.review_id, s.dimension): (s.score, s.not_applicable)
            for s in session.exec(select(ReviewScore))
        }
    assert [r.status for r in reviews] == ["submitted", "submitted"]
    assert reviews[0].submitted_at.isoformat() == "2026-02-01T09:00:00+00:00"
    first = reviews[0].id
    assert scores[(first, "next_steps")] == (None, True)  # blank is N/A
    assert scores[(first, "loop_closure")] == (None, True)
    assert scores[(first, "acknowledgment")] == (4, False)
    assert "0 created, 0 updated, 2 unchanged" in cli("import", "reviews", path).output
    # A note and evidence written in the app survive a re-import of the same points, and an
    # import that changes a point keeps them too.
    with Session(engine) as session:
        row = session.exec(
            select(ReviewScore).where(
                ReviewScore.review_id == first, ReviewScore.dimension == "summary"
            )
        ).one()
        row.note, row.evidence = "Checked the summary in turn 2", [2]
        session.add(row)
        session.commit()
    assert "0 created, 0 updated, 2 unchanged" in cli("import", "reviews", path).output
    path.write_text(HEADER + full_review("C-1", "rita@example.com", ("4", "2", "", "N/A")))
    assert "Imported 4 rows (1 review): 0 created, 1 updated, 0 unchanged." in (
        cli("import", "reviews", path, "--replace").output
    )
    with Session(engine) as session:
        row = session.exec(
            select(ReviewScore).where(
                ReviewScore.review_id == first, ReviewScore.dimension == "summary"
            )
        ).one()
    assert (row.score, row.note, row.evidence) == (2, "Checked the summary in turn 2", [2])


def test_bad_review_rows_are_named_and_nothing_is_written(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    rows = (
        HEADER
        + full_review("C-1", "rita@example.com", ("6", "3", "2", "2"))  # row 2: off scale
        + full_review("C-2", "rita@example.com", ("", "3", "2", "2"))  # row 6: N/A forbidden
        + "C-9,rita@example.com,acknowledgment,3,,\n"  # row 10
        + "C-1,ghost@example.com,acknowledgment,3,,\n"  # row 11
        + "C-1,rita@example.com,empathy,3,,\n"  # row 12
        + "C-2,rita@example.com,summary,3,,empathy@9\n"
    )  # row 13
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    before = snapshot(engine)
    result = cli("import", "reviews", path)
    assert result.exit_code == 1
    err = result.stderr
    assert "row 2: Acknowledgment: '6' is not a point on the scale 1–5" in err
    assert "row 3: another row of the same review is invalid" in err
    assert "row 6: Acknowledgment: N/A is not allowed for this dimension" in err
    assert "row 10: review of C-9 by rita@example.com has no row for Summary" in err
    assert "row 11: review of C-1 by ghost@example.com has no row for Summary" in err
    assert "row 12: 'empathy' is not a dimension of rubric empathy@1" in err
    assert "row 13: unknown rubric 'empathy@9'" in err
    assert snapshot(engine) == before


def test_unknown_reviewers_only_with_create_reviewers(app, engine, cli, tmp_path):
    setup(cli, tmp_path, users=())
    path = tmp_path / "reviews.csv"
    bad = tmp_path / "bad-reviewer.csv"
    bad.write_text(HEADER + full_review("C-2", "not an email"))
    before = snapshot(engine)
    for extra in ([], ["--dry-run"]):
        refused = cli("import", "reviews", bad, "--create-reviewers", *extra)
        assert refused.exit_code == 1
        assert "row 2: reviewer: 'not an email' is not an email address" in refused.stderr
    assert snapshot(engine) == before
    path.write_text(HEADER + full_review("C-1", "old.tool@example.com"))
    result = cli("import", "reviews", path)
    assert result.exit_code == 1
    assert (
        "no user 'old.tool@example.com'; add them first or use --create-reviewers" in result.stderr
    )
    result = cli("import", "reviews", path, "--create-reviewers")
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "old.tool@example.com")).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "review.imported")).all()
    assert user.role == "reviewer" and not user.active
    assert len(audit) == 1


def test_duplicate_dimension_rows_name_both_rows(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    path = tmp_path / "reviews.csv"
    path.write_text(
        HEADER + full_review("C-1", "rita@example.com") + "C-1,rita@example.com,summary,2,,\n"
    )
    result = cli("import", "reviews", path)
    assert result.exit_code == 1
    assert "row 6: summary of C-1 by rita@example.com is already in row 3" in result.stderr


def test_changed_score_updates_the_review_and_is_audited_across_batches(
    app, engine, cli, tmp_path, monkeypatch
):
    # One review per write batch, so lookups and writes are spread over several batches.
    monkeypatch.setattr("qa_app.store.imports.reviews.BATCH_SIZE", 1)
    setup(cli, tmp_path)
    path = tmp_path / "reviews.csv"
    path.write_text(
        HEADER
        + full_review("C-1", "rita@example.com")
        + full_review("C-2", "rita@example.com", ("5", "5", "5", "5"))
    )
    assert "2 created" in cli("import", "reviews", path).output
    path.write_text(
        HEADER
        + full_review("C-1", "rita@example.com")
        + full_review("C-2", "rita@example.com", ("5", "1", "5", "5"))
    )
    refused = cli("import", "reviews", path)
    assert refused.exit_code == 1
    assert (
        "reviews.csv: rows 6-9: the review of call C-2 by rita@example.com is stored with other "
        "points (summary 5 -> 1)" in refused.stderr
    )
    assert "1 stored value would be replaced; nothing was imported. Use --replace" in (
        refused.stderr
    )
    assert "0 created, 1 updated, 1 unchanged" in (
        cli("import", "reviews", path, "--replace").output
    )
    with Session(engine) as session:
        reviews = session.exec(select(Review).order_by(Review.id)).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "review.imported").order_by(AuditEvent.id)
        ).all()
        summary = session.exec(
            select(ReviewScore.score).where(
                ReviewScore.review_id == reviews[1].id, ReviewScore.dimension == "summary"
            )
        ).one()
    assert [r.version for r in reviews] == [1, 2]
    assert summary == 1
    first, second = (str(r.id) for r in reviews)
    assert [e.entity_id for e in events] == [first, second, second]
    assert events[0].before is None
    assert events[-1].before["summary"]["score"] == 5
    assert events[-1].after["summary"]["score"] == 1
    assert events[-1].reason == "import of reviews.csv with --replace"
    assert events[0].reason == "import of reviews.csv"


def test_whole_scores_written_as_4_0_read_as_4(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    path = tmp_path / "reviews.csv"
    path.write_text(HEADER + full_review("C-1", "rita@example.com", ("4.0", "3.00", "", "N/A")))
    result = cli("import", "reviews", path)
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        scores = {s.dimension: s.score for s in session.exec(select(ReviewScore))}
    assert scores["acknowledgment"] == 4 and scores["summary"] == 3

"""Final scores and flags kept as data: the stored rows equal today's computation (the domain's
rule run over every submitted answer and consensus) on the demo and on random data, stay equal
through every change that moves a final score, and are rebuilt or filled by the commands.
SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy import delete, func
from sqlmodel import Session, select

from qa_app import db
from qa_app.domain.rubrics.final_scores import final_scores
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import (
    CalibrationConsensus,
    CalibrationSession,
    Call,
    FinalScore,
    FinalValue,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricVersion,
    User,
)
from qa_app.store import final_scores as store
from qa_app.store.demo import load_demo
from qa_app.store.reviews import reviews as review_store
from qa_app.store.rubrics import rubric_from_row
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR


def recomputed(session: Session) -> dict[tuple[int, int], tuple]:
    """Today's computation, written plainly: every submitted review's answers and every
    consensus, grouped by call and version, through the domain's final-score rule."""
    answers: dict[tuple[int, int], dict[int, dict]] = defaultdict(dict)
    for review, score in session.exec(
        select(Review, ReviewScore).join(ReviewScore, ReviewScore.review_id == Review.id)
    ):
        if review.status == ReviewStatus.SUBMITTED:
            answers[review.call_pk, review.rubric_pk].setdefault(review.id, {})[
                score.dimension
            ] = DimensionAnswer(score.score, score.not_applicable)
    agreed: dict[tuple[int, int], dict] = defaultdict(dict)
    for row, version in session.exec(
        select(CalibrationConsensus, CalibrationSession.rubric_pk)
        .join(CalibrationSession, CalibrationSession.id == CalibrationConsensus.session_id)
        .order_by(CalibrationConsensus.decided_at, CalibrationConsensus.id)
    ):
        agreed[row.call_pk, version][row.dimension] = row.score
    expected = {}
    for key in set(answers) | set(agreed):
        rubric = rubric_from_row(session.get(RubricVersion, key[1]))
        final = final_scores(rubric, list(answers.get(key, {}).values()), agreed.get(key))
        expected[key] = (final.source, final.review_count, final.scores, final.flags(rubric))
    return expected


def stored(session: Session) -> dict[tuple[int, int], tuple]:
    values: dict[tuple[int, int], dict] = defaultdict(lambda: {"score": {}, "flag": {}})
    for row in session.exec(select(FinalValue)):
        values[row.call_pk, row.rubric_pk][row.kind][row.name] = store.stored_values(
            row.value, row.kind
        )
    return {
        (row.call_pk, row.rubric_pk): (
            row.source,
            row.review_count,
            values[row.call_pk, row.rubric_pk]["score"],
            values[row.call_pk, row.rubric_pk]["flag"],
        )
        for row in session.exec(select(FinalScore))
    }


def assert_current(engine) -> int:
    with Session(engine) as session:
        expected, got = recomputed(session), stored(session)
    assert got == expected
    return len(got)


def test_the_demo_stores_what_the_answers_give(engine):
    load_demo(engine, RUBRICS_DIR)
    assert assert_current(engine) >= 180


def _random_reviews(engine, seed: int) -> None:
    """Calls with one to three submitted reviews (N/A and missing dimensions too), drafts
    that must not count, on two rubric versions, and consensus on some calls."""
    rng = random.Random(seed)
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:
        versions = list(session.exec(select(RubricVersion)))
        reviewers = [create_user(session, f"r{i}@x.example", f"R{i}", "reviewer", "pw-long-enough")
                     for i in range(3)]  # fmt: skip
        calls = list(session.exec(select(Call).order_by(Call.id)))[:120]
        session.exec(delete(FinalValue))
        session.exec(delete(FinalScore))
        for call in calls:
            version = rng.choice(versions)
            rubric = rubric_from_row(version)
            for reviewer in rng.sample(reviewers, rng.randint(1, 3)):
                review = Review(call_pk=call.id, reviewer_id=reviewer.id, rubric_pk=version.id,
                                status=rng.choice([ReviewStatus.SUBMITTED] * 4
                                                  + [ReviewStatus.DRAFT]))  # fmt: skip
                session.add(review)
                session.flush()
                for dimension in rubric.dimensions:
                    roll = rng.random()
                    if roll < 0.1:
                        continue  # an answer missing
                    na = dimension.allow_na and roll < 0.2
                    session.add(ReviewScore(review_id=review.id, dimension=dimension.id,
                                            score=None if na else rng.choice(rubric.scale),
                                            not_applicable=na))  # fmt: skip
        lead = create_user(session, "lead@x.example", "Lead", "lead", "pw-long-enough")
        for version in versions:
            meeting = CalibrationSession(name="m", rubric_pk=version.id, created_by=lead.id)
            session.add(meeting)
            session.flush()
            rubric = rubric_from_row(version)
            for call in rng.sample(calls, 10):
                for dimension in rubric.dimensions:
                    session.add(CalibrationConsensus(
                        session_id=meeting.id, call_pk=call.id, dimension=dimension.id,
                        score=rng.choice(rubric.scale), decided_by=lead.id,
                    ))  # fmt: skip


def test_a_rebuild_on_random_reviews_equals_todays_computation(engine):
    _random_reviews(engine, seed=20261207)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FinalScore)).one() == 0
    with db.transaction(engine) as session:
        assert store.missing_count(session) > 0
        written = store.rebuild(session)
    assert assert_current(engine) == written > 100
    with Session(engine) as session:
        sources = {source for source, *_ in stored(session).values()}
    assert sources == {"consensus", "review", "median of reviews"}


def test_submit_edit_and_consensus_keep_the_rows_current(engine):
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:
        draft = session.exec(select(Review).where(Review.status == ReviewStatus.DRAFT)).first()
        rubric = rubric_from_row(session.get(RubricVersion, draft.rubric_pk))
        for dimension in rubric.dimensions:
            review_store.write_answer(session, draft.id, dimension.id, DimensionAnswer(2, False))
        user = session.get(User, draft.reviewer_id)
        review_store.submit_review(session, draft, rubric, draft.version, user)
        call_pk = draft.call_pk
    assert assert_current(engine)
    with db.transaction(engine) as session:
        review = session.exec(
            select(Review).where(Review.call_pk == call_pk, Review.status == ReviewStatus.SUBMITTED)
        ).first()
        rubric = rubric_from_row(session.get(RubricVersion, review.rubric_pk))
        user = session.get(User, review.reviewer_id)
        answers = {d.id: DimensionAnswer(5, False) for d in rubric.dimensions}
        review_store.edit_submitted(session, review, rubric, answers, review.version, user, "why")
    assert assert_current(engine)
    with Session(engine) as session:
        final = stored(session)[call_pk, review.rubric_pk]
    assert final[0] in ("review", "median of reviews")


def test_the_commands_rebuild_and_fill(app, engine, cli):
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:  # a database from before the table
        session.exec(delete(FinalValue))
        session.exec(delete(FinalScore))
    result = cli("db", "upgrade")
    assert "Stored the final scores of" in result.output, result.output
    assert assert_current(engine)
    again = cli("db", "upgrade")
    assert "Stored the final scores" not in again.output  # nothing missing: nothing done
    rebuilt = cli("db", "rebuild-scores")
    assert rebuilt.exit_code == 0 and "Rebuilt the final scores of" in rebuilt.output
    assert assert_current(engine)

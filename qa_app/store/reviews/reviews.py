"""Reviews in the database: drafts saved answer by answer, submission, audited edits.

Every write names the version it started from; a write against an older version
is refused (optimistic concurrency), so two tabs never overwrite each other silently.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import (
    DimensionAnswer,
    answer_as_dict,
    changed_dimensions,
    missing_dimensions,
)
from qa_app.models import (
    Assignment,
    Call,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricVersion,
    User,
    utcnow,
)
from qa_app.store import audit, final_scores


class StaleReview(Exception):
    """The review changed since the page was loaded (another tab, or a lead's edit)."""

    def __init__(self, review: Review | None, expected: int):
        self.review = review
        self.expected = expected
        current = review.version if review else 0
        super().__init__(
            f"This review was changed elsewhere (it is now at version {current}, this page had "
            f"version {expected}). Nothing was overwritten and this change was not saved: reload "
            "the page to see the latest answers, then make the change again."
        )


class ReviewIncomplete(Exception):
    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__("Not submitted: still to score " + ", ".join(missing) + ".")


class ReviewLocked(Exception):
    """A submitted review changes only through an audited edit with a reason."""


def is_assigned(db: Session, call_pk: int, user_id: int) -> bool:
    return (
        db.exec(
            select(Assignment.id).where(
                Assignment.call_pk == call_pk, Assignment.reviewer_id == user_id
            )
        ).first()
        is not None
    )


def own_review(db: Session, call_pk: int, user_id: int) -> Review | None:
    """The user's latest review of this call, whatever its rubric version."""
    return db.exec(
        select(Review)
        .where(Review.call_pk == call_pk, Review.reviewer_id == user_id)
        .order_by(Review.id.desc())
    ).first()


def load_answers(db: Session, review_id: int | None) -> dict[str, DimensionAnswer]:
    if review_id is None:
        return {}
    rows = db.exec(select(ReviewScore).where(ReviewScore.review_id == review_id))
    return {
        row.dimension: DimensionAnswer(
            row.score, row.not_applicable, row.note, tuple(row.evidence or ())
        )
        for row in rows
    }


def _bump_version(db: Session, review: Review, expected: int, **values) -> None:
    """Move the review to the next version only if nobody else did first (atomic)."""
    result = db.exec(
        update(Review)
        .where(Review.id == review.id, Review.version == expected)
        .values(version=expected + 1, updated_at=utcnow(), **values)
    )
    if result.rowcount != 1:
        db.rollback()
        raise StaleReview(db.get(Review, review.id), expected)
    db.refresh(review)


def write_answer(db: Session, review_id: int, dimension: str, answer: DimensionAnswer) -> None:
    """Create or replace one dimension's stored answer (score or N/A, note, evidence)."""
    row = db.exec(
        select(ReviewScore).where(
            ReviewScore.review_id == review_id, ReviewScore.dimension == dimension
        )
    ).first()
    if row is None:
        row = ReviewScore(review_id=review_id, dimension=dimension)
    row.score, row.not_applicable = answer.score, answer.not_applicable
    row.note, row.evidence = answer.note, list(answer.evidence)
    db.add(row)


def save_draft_answer(
    db: Session,
    review: Review | None,
    call_pk: int,
    reviewer: User,
    rubric_row: RubricVersion,
    dimension: str,
    answer: DimensionAnswer,
    expected_version: int,
) -> Review:
    """Save one dimension of the reviewer's draft, creating the draft on the first answer.

    ``review`` is the reviewer's review of the call as the caller already loaded it
    (``own_review``), or None when there is none yet.
    """
    if review is None:
        if expected_version != 0:
            raise StaleReview(None, expected_version)
        # A new draft is scored on the call's newest transcript; it keeps that version even
        # if an import replaces the transcript later, so its evidence turns stay valid.
        transcript = db.exec(select(Call.transcript_version).where(Call.id == call_pk)).one()
        review = Review(
            call_pk=call_pk,
            reviewer_id=reviewer.id,
            rubric_pk=rubric_row.id,
            version=0,
            transcript_version=transcript,
        )
        db.add(review)
        try:
            db.flush()
        except IntegrityError:  # another tab created the draft a moment ago
            db.rollback()
            raise StaleReview(own_review(db, call_pk, reviewer.id), expected_version) from None
    if review.status != ReviewStatus.DRAFT:
        raise ReviewLocked("This review is submitted; use Edit, with a reason, to change it.")
    _bump_version(db, review, expected_version)
    write_answer(db, review.id, dimension, answer)
    return review


def submit_review(
    db: Session, review: Review, rubric: Rubric, expected_version: int, actor: User
) -> dict[str, bool | None]:
    """Submit a complete draft; return the behaviour flags its scores give."""
    if review.status != ReviewStatus.DRAFT:
        raise ReviewLocked("This review is already submitted.")
    answers = load_answers(db, review.id)
    missing = missing_dimensions(rubric, answers)
    if missing:
        raise ReviewIncomplete(missing)
    _bump_version(
        db, review, expected_version, status=ReviewStatus.SUBMITTED, submitted_at=utcnow()
    )
    final_scores.refresh_calls(db, [review.call_pk])
    audit.record(
        db,
        actor,
        "review.submitted",
        "review",
        review.id,
        after={d: answer_as_dict(a) for d, a in answers.items()},
    )
    return rubric.flags_for({d: a.score for d, a in answers.items()})


def edit_submitted(
    db: Session,
    review: Review,
    rubric: Rubric,
    answers: Mapping[str, DimensionAnswer],
    expected_version: int,
    actor: User,
    reason: str,
) -> int:
    """Change a submitted review; every change is audited with who, when, old, new and why.

    Returns how many dimensions changed.
    """
    if review.status != ReviewStatus.SUBMITTED:
        raise ReviewLocked("Only submitted reviews are edited this way; drafts save as you go.")
    if not reason.strip():
        raise ValueError("Say why you are changing a submitted review.")
    missing = missing_dimensions(rubric, answers)
    if missing:
        raise ReviewIncomplete(missing)
    before = load_answers(db, review.id)
    changes = changed_dimensions(before, answers)
    if not changes:
        return 0
    _bump_version(db, review, expected_version)
    for dimension in changes:
        write_answer(db, review.id, dimension, answers[dimension])
    final_scores.refresh_calls(db, [review.call_pk])
    audit.record(
        db,
        actor,
        "review.edited",
        "review",
        review.id,
        before={d: old for d, (old, _new) in changes.items()},
        after={d: new for d, (_old, new) in changes.items()},
        reason=reason.strip(),
    )
    return len(changes)

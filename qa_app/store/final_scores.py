"""Final scores and flags as data: each reviewed call's final score per dimension and its flags,
per rubric version (qa_app.models.final_scores), computed by the domain's rule
(qa_app.domain.rubrics.final_scores: the consensus, else the one review, else the median).

Every change that moves a final score refreshes its calls in the same transaction — a review
submitted or edited, a consensus recorded, reviews imported, the demo loaded — and
:func:`rebuild` recomputes the whole table (``qa-app db rebuild-scores``). Readers then fetch
rows instead of recomputing from every answer.

Functions take a Session or a Connection (imports write through Core), and work in chunks so
neither an IN list nor memory grows with the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, union
from sqlalchemy.engine import Connection
from sqlmodel import Session

from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.final_scores import final_scores
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import (
    CalibrationConsensus,
    CalibrationSession,
    FinalScore,
    FinalValue,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricVersion,
)
from qa_app.models.base import utcnow
from qa_app.store.calls import insert_rows

CHUNK = 500
SCORE, FLAG = "score", "flag"


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def scored_calls():
    """Every call that has final scores under some version: a submitted review or a consensus."""
    return union(
        select(Review.call_pk).where(Review.status == ReviewStatus.SUBMITTED),
        select(CalibrationConsensus.call_pk),
    )


def refresh_calls(db: Session | Connection, call_pks: Iterable[int]) -> int:
    """Recompute the final scores of these calls under every rubric version they have a
    submitted review or a consensus in, replacing what was stored; returns the rows written.
    Runs in the caller's transaction."""
    connection = _connection(db)
    if isinstance(db, Session):
        db.flush()  # the caller's pending review or consensus rows count
    pks = sorted(set(call_pks))
    rubrics: dict[int, Rubric] = {}
    written = 0
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        connection.execute(delete(FinalValue).where(FinalValue.call_pk.in_(chunk)))
        connection.execute(delete(FinalScore).where(FinalScore.call_pk.in_(chunk)))
        written += _write(connection, _compute(connection, chunk, rubrics))
    return written


def rebuild(db: Session | Connection) -> int:
    """Recompute the whole table from the reviews and consensus; returns the calls × versions
    stored. Runs in the caller's transaction (all or nothing)."""
    connection = _connection(db)
    if isinstance(db, Session):
        db.flush()
    connection.execute(delete(FinalValue))
    connection.execute(delete(FinalScore))
    pks = [row[0] for row in connection.execute(scored_calls())]
    return refresh_calls(connection, pks)


def missing_count(db: Session | Connection) -> int:
    """Calls with reviews or a consensus but no stored final scores (a database upgraded from
    before the table, or restored from an older backup): a rebuild is due when above 0."""
    connection = _connection(db)
    scored = scored_calls().subquery()
    stored = select(FinalScore.call_pk)
    return connection.execute(
        select(func.count()).select_from(scored).where(scored.c.call_pk.not_in(stored))
    ).scalar_one()


def _compute(connection: Connection, pks: Sequence[int], rubrics: dict[int, Rubric]):
    """(call_pk, rubric_pk, FinalScores, Rubric) for each call and version it is scored in."""
    from qa_app.store.rubrics import rubric_from_row

    answers: dict[tuple[int, int], dict[int, dict[str, DimensionAnswer]]] = defaultdict(dict)
    for call_pk, review_id, rubric_pk, dimension, score, not_applicable in connection.execute(
        select(Review.call_pk, Review.id, Review.rubric_pk, ReviewScore.dimension,
               ReviewScore.score, ReviewScore.not_applicable)  # fmt: skip
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .where(Review.call_pk.in_(pks), Review.status == ReviewStatus.SUBMITTED)
    ):
        answers[call_pk, rubric_pk].setdefault(review_id, {})[dimension] = DimensionAnswer(
            score, not_applicable
        )
    agreed: dict[tuple[int, int], dict[str, int | None]] = defaultdict(dict)
    for call_pk, rubric_pk, dimension, score in connection.execute(
        select(CalibrationConsensus.call_pk, CalibrationSession.rubric_pk,
               CalibrationConsensus.dimension, CalibrationConsensus.score)  # fmt: skip
        .join(CalibrationSession, CalibrationSession.id == CalibrationConsensus.session_id)
        .where(CalibrationConsensus.call_pk.in_(pks))
        # The newest decision per dimension wins.
        .order_by(CalibrationConsensus.decided_at, CalibrationConsensus.id)
    ):
        agreed[call_pk, rubric_pk][dimension] = score
    for key in sorted(set(answers) | set(agreed)):
        call_pk, rubric_pk = key
        if rubric_pk not in rubrics:
            row = connection.execute(
                select(RubricVersion.content_hash, RubricVersion.content).where(
                    RubricVersion.id == rubric_pk
                )
            ).one()
            rubrics[rubric_pk] = rubric_from_row(row)  # reads content_hash and content
        rubric = rubrics[rubric_pk]
        reviews = list(answers.get(key, {}).values())
        yield call_pk, rubric_pk, final_scores(rubric, reviews, agreed.get(key)), rubric


def _write(connection: Connection, computed) -> int:
    # One executemany each on the driver (store.calls.insert_rows): SQLAlchemy's handling of
    # each row's parameters cost more than the database's writing of ten rows per call.
    scores, values = [], []
    for call_pk, rubric_pk, final, rubric in computed:
        scores.append((call_pk, rubric_pk, final.source, final.review_count))
        for name, value in final.scores.items():
            values.append((call_pk, rubric_pk, SCORE, name,
                           None if value is None else float(value)))  # fmt: skip
        for name, flag in final.flags(rubric).items():
            values.append((call_pk, rubric_pk, FLAG, name, None if flag is None else float(flag)))
    if scores:
        insert_rows(connection, FinalScore, ("call_pk", "rubric_pk", "source", "review_count"),
                    scores, {"updated_at": utcnow()})  # fmt: skip
    if values:
        insert_rows(connection, FinalValue, ("call_pk", "rubric_pk", "kind", "name", "value"),
                    values)  # fmt: skip
    return len(scores)


def scores_of(db: Session, call_pk: int, rubric_pk: int) -> dict[str, int | float | None]:
    """One call's stored final score per dimension under a version ({} when it has none)."""
    return {
        name: stored_values(value, SCORE)
        for name, value in db.exec(
            select(FinalValue.name, FinalValue.value).where(
                FinalValue.call_pk == call_pk,
                FinalValue.rubric_pk == rubric_pk,
                FinalValue.kind == SCORE,
            )
        )
    }


def stored_values(value: float | None, kind: str) -> bool | int | float | None:
    """A stored value as the analyses read it: a flag as True/False/None, a whole score as
    an int (3, not 3.0), a between-points median as it is (3.5)."""
    if value is None:
        return None
    if kind == FLAG:
        return bool(value)
    return int(value) if float(value).is_integer() else value

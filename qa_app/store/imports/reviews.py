"""Writing imported reviews in bulk: a few statements per thousand reviews, not one per row.

Writing one review through the ORM took a dozen round trips (look up, flush, one query and
one flush per dimension, an audit object); an import of history ran at about 15 reviews/s.
Here each batch reads the reviews and scores it may touch in two queries and writes with
executemany inserts and updates on the import's own transaction, so the all-or-nothing rule
and the audit trail are unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from qa_app.domain.imports.reviews import ReviewRecord
from qa_app.domain.rubrics.scoring import DimensionAnswer, answer_as_dict
from qa_app.models import AuditEvent, Call, Review, ReviewScore, ReviewStatus, utcnow
from qa_app.store import final_scores
from qa_app.store.calls import (
    IN_LIST_SIZE,
    ChangesRefused,
    WriteResult,
    bind_converter,
    insert_rows,
    select_in,
)

BATCH_SIZE = 2_000
ReviewKey = tuple[int, int, int]  # call pk, reviewer id, rubric pk
SCORE_COLUMNS = ("review_id", "dimension", "score", "not_applicable", "note", "evidence")
AUDIT_COLUMNS = ("entity_id", "before", "after", "reason")
Actor = tuple[int | None, str]  # the user id (None on the command line) and the audit label


def write_imported_reviews(
    db: Session,
    records: Sequence[ReviewRecord],
    call_pks: Mapping[str, int],
    reviewer_ids: Mapping[str, int],
    rubric_pks: Mapping[str, int],
    actor: Actor,
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
) -> WriteResult:
    """Each record becomes (or updates) a submitted review; every change is audited.

    A stored submitted review with the same points is left alone (re-importing a file
    changes nothing). A stored review whose points the file changes is replaced only with
    ``replace`` (notes and evidence written in the app are kept); otherwise every such
    review is named and :class:`ChangesRefused` raised, so the caller writes nothing.
    ``actor`` is (user id, label); the audit events name it and the file ``source``.
    """
    result = WriteResult()
    refused: list[str] = []
    connection = db.connection()
    # Imported answers repeat (a few points per dimension): each distinct evidence list and
    # each distinct set of answers is converted to its JSON once, as SQLAlchemy would.
    json_text = _JsonCache(connection)
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        keys = [
            (call_pks[r.call_id], reviewer_ids[r.reviewer], rubric_pks[r.rubric_key]) for r in batch
        ]
        stored = _stored_reviews(connection, {key[0] for key in keys})
        scores = _stored_scores(connection, [stored[k][0] for k in keys if k in stored])
        now = utcnow()
        new_reviews, new_records = [], []
        review_updates, score_updates, score_inserts, audits = [], [], [], []
        for record, key in zip(batch, keys, strict=True):
            found = stored.get(key)
            before = scores.get(found[0], {}) if found else {}
            answers = {d: a for d, (_id, a) in before.items()}
            if (
                found
                and found[1] == ReviewStatus.SUBMITTED
                and _points(answers) == _points(record.answers)
            ):
                result.unchanged += 1
                continue
            if found and not replace and _points(answers) != _points(record.answers):
                refused.append(_refusal(record, answers))
                continue
            submitted_at = record.submitted_at or now
            if found is None:
                new_reviews.append((*key, submitted_at))
                new_records.append(record)
                continue
            review_id, _status, version = found
            result.updated += 1
            review_updates.append(
                {
                    "b_id": review_id,
                    "status": ReviewStatus.SUBMITTED.value,
                    "version": version + 1,
                    "submitted_at": submitted_at,
                    "updated_at": now,
                }
            )
            for dimension, answer in record.answers.items():
                if dimension in before:
                    score_id, kept = before[dimension]
                    answer = dataclasses.replace(answer, note=kept.note, evidence=kept.evidence)
                    score_updates.append({"b_id": score_id, **_score_values(answer)})
                else:
                    score_inserts.append(_score_row(review_id, dimension, answer, json_text))
            audits.append(_audit_row(review_id, answers, record.answers, source, json_text))
        if new_reviews:
            # A new review is scored on the transcript the call has now.
            new_call_pks = {row[0] for row in new_reviews}
            versions = _transcript_versions(connection, new_call_pks)
            insert_rows(
                connection,
                Review,
                ("call_pk", "reviewer_id", "rubric_pk", "submitted_at", "transcript_version"),
                [(*row, versions[row[0]]) for row in new_reviews],
                {
                    "status": ReviewStatus.SUBMITTED.value,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            # Read the new ids back by their unique key: RETURNING in parameter order is one
            # statement per row on SQLite, which would undo the executemany.
            ids = _stored_reviews(connection, new_call_pks)
            for row, record in zip(new_reviews, new_records, strict=True):
                review_id = ids[row[:3]][0]
                score_inserts.extend(
                    _score_row(review_id, d, a, json_text) for d, a in record.answers.items()
                )
                audits.append(_audit_row(review_id, {}, record.answers, source, json_text))
            result.created += len(new_reviews)
        if review_updates:
            connection.execute(update(Review).where(Review.id == bindparam("b_id")), review_updates)
        if score_updates:
            connection.execute(
                update(ReviewScore).where(ReviewScore.id == bindparam("b_id")), score_updates
            )
        if score_inserts:
            insert_rows(
                connection, ReviewScore, SCORE_COLUMNS, score_inserts, converted=("evidence",)
            )
        if audits:
            insert_rows(
                connection,
                AuditEvent,
                AUDIT_COLUMNS,
                audits,
                {
                    "at": now,
                    "actor_id": actor[0],
                    "actor_label": actor[1],
                    "action": "review.imported",
                    "entity_type": "review",
                },
                converted=("after",),
            )
        if not refused:  # a refused file writes nothing: no final score to move
            final_scores.refresh_calls(connection, {key[0] for key in keys})
        if progress:
            progress(len(batch))
    if refused:
        raise ChangesRefused(refused)
    return result


def _refusal(record: ReviewRecord, stored: Mapping[str, DimensionAnswer]) -> str:
    """Which rows would replace which stored points, e.g. ``rows 2-4: ... empathy 4 -> 2``."""
    rows = sorted(record.rows)
    where = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}-{rows[-1]}"
    changes = [
        f"{d} {_point(stored.get(d))} -> {_point(a)}"
        for d, a in record.answers.items()
        if _points({d: a}) != _points({d: stored[d]} if d in stored else {})
    ]
    return (
        f"{where}: the review of call {record.call_id} by {record.reviewer} is stored with "
        f"other points ({', '.join(changes)})"
    )


def _point(answer: DimensionAnswer | None) -> str:
    if answer is None or (answer.score is None and not answer.not_applicable):
        return "unscored"
    return "N/A" if answer.not_applicable else str(answer.score)


def _stored_reviews(connection, call_pks: set[int]) -> dict[ReviewKey, tuple[int, str, int]]:
    """(call, reviewer, rubric) -> (id, status, version) for every review of these calls."""
    rows = select_in(
        connection,
        [Review.call_pk, Review.reviewer_id, Review.rubric_pk, Review.id, Review.status,
         Review.version],
        Review.call_pk,
        sorted(call_pks),
    )  # fmt: skip
    return {(row[0], row[1], row[2]): (row[3], row[4], row[5]) for row in rows}


def _transcript_versions(connection, call_pks: set[int]) -> dict[int, int]:
    """call pk -> the number of its current transcript."""
    return dict(
        select_in(connection, [Call.id, Call.transcript_version], Call.id, sorted(call_pks))
    )


def _stored_scores(
    connection, review_ids: list[int]
) -> dict[int, dict[str, tuple[int, DimensionAnswer]]]:
    """review id -> dimension -> (score row id, stored answer)."""
    found: dict[int, dict[str, tuple[int, DimensionAnswer]]] = {}
    for start in range(0, len(review_ids), IN_LIST_SIZE):
        rows = connection.execute(
            select(
                ReviewScore.review_id,
                ReviewScore.id,
                ReviewScore.dimension,
                ReviewScore.score,
                ReviewScore.not_applicable,
                ReviewScore.note,
                ReviewScore.evidence,
            ).where(ReviewScore.review_id.in_(review_ids[start : start + IN_LIST_SIZE]))
        )
        for review_id, score_id, dimension, score, na, note, evidence in rows:
            answer = DimensionAnswer(score, na, note, tuple(evidence or ()))
            found.setdefault(review_id, {})[dimension] = (score_id, answer)
    return found


def _score_values(answer: DimensionAnswer) -> dict:
    return {
        "score": answer.score,
        "not_applicable": answer.not_applicable,
        "note": answer.note,
        "evidence": list(answer.evidence),
    }


def _score_row(review_id: int, dimension: str, answer: DimensionAnswer, json_text) -> tuple:
    """A row of SCORE_COLUMNS, its evidence already converted."""
    return (
        review_id,
        dimension,
        answer.score,
        answer.not_applicable,
        answer.note,
        json_text.evidence(answer.evidence),
    )


class _JsonCache:
    """Score evidence and audit ``after`` values as the driver takes them (JSON), each
    distinct value converted once with the column's own converter."""

    def __init__(self, connection):
        self._evidence_json = bind_converter(connection, ReviewScore, "evidence")
        self._after_json = bind_converter(connection, AuditEvent, "after")
        self._evidence: dict[tuple[int, ...], Any] = {}
        self._after: dict[tuple, Any] = {}

    def evidence(self, positions: tuple[int, ...]) -> Any:
        found = self._evidence.get(positions)
        if found is None:
            found = self._evidence[positions] = self._evidence_json(list(positions))
        return found

    def after(self, answers: Mapping[str, DimensionAnswer]) -> Any:
        # Scores are ints (never True/False, which would compare equal and differ in JSON).
        key = tuple(answers.items())
        found = self._after.get(key)
        if found is None:
            value = {d: answer_as_dict(a) for d, a in answers.items()}
            found = self._after[key] = self._after_json(value)
        return found


def _audit_row(
    review_id: int, before: Mapping, after: Mapping, source: str, json_text: _JsonCache
) -> tuple:
    """A row of AUDIT_COLUMNS: the event ``audit.record`` writes for one imported review,
    naming the file; ``before`` holds the points an import replaced."""
    return (
        str(review_id),
        {d: answer_as_dict(a) for d, a in before.items()} or None,
        json_text.after(after),
        (
            f"import of {source} with --replace"
            if before and _points(before) != _points(after)
            else f"import of {source}"
        ),
    )


def _points(answers: Mapping[str, DimensionAnswer]) -> dict:
    return {d: (a.score, a.not_applicable) for d, a in answers.items()}

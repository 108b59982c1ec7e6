"""The machine rater's data: training examples from the stored final scores, models kept in
the database, and every call scored in batches that survive a kill.

Machine scores go to their own table (machine_scores) and nothing here writes a human
review, score or final score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import and_, exists, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.db import transaction
from qa_app.domain.flags.comparison import tenure_band
from qa_app.domain.machine.training import Example, label, texts
from qa_app.models import (
    Call,
    FinalScore,
    FinalValue,
    MachineModel,
    MachineScore,
    MachineVisibility,
    RubricVersion,
    TranscriptTurn,
    utcnow,
)
from qa_app.store.calls import insert_rows, select_in
from qa_app.store.reviews.queue import CallFilters

SCORE_BATCH = 500


def in_period(query, since: date | None, until: date | None):
    """``query`` kept to calls started from ``since`` through ``until`` (whole UTC days)."""
    return CallFilters(since=since, until=until).apply_dates(query, Call.started_at)


def turns_of(db: Session, call_pks: Sequence[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Each call's (position, speaker, text) turns in order."""
    found: dict[int, list[tuple[int, str, str]]] = {pk: [] for pk in call_pks}
    rows = select_in(
        db.connection(),
        [TranscriptTurn.call_pk, TranscriptTurn.position, TranscriptTurn.speaker,
         TranscriptTurn.text],
        TranscriptTurn.call_pk,
        list(call_pks),
    )  # fmt: skip
    for call_pk, position, speaker, text in sorted(rows, key=lambda r: (r[0], r[1])):
        found[call_pk].append((position, speaker, text))
    return found


def _example(call: Call, scores: dict[str, int], call_turns) -> Example:
    agent, customer = texts([(speaker, text) for _p, speaker, text in call_turns])
    return Example(
        call.call_id,
        agent,
        customer,
        scores,
        {
            "channel": call.channel,
            "interaction_type": call.interaction_type,
            "tenure_band": tenure_band(call.agent_tenure_days),
        },
        call.transcript_version,
    )


def training_examples(
    db: Session, rubric: RubricVersion, since: date | None, until: date | None
) -> list[Example]:
    """Every reviewed call of the period with people's final score per dimension under
    ``rubric`` (the consensus where a session set one: what the final scores hold), in
    call_id order."""
    query = (
        select(Call)
        .join(FinalScore, and_(FinalScore.call_pk == Call.id, FinalScore.rubric_pk == rubric.id))
        .order_by(Call.call_id)
    )
    calls = db.exec(in_period(query, since, until)).all()
    # Only the dimensions' scores (a flag is the same table's kind "flag"), of the period.
    dimension_rows = db.exec(in_period(
        select(FinalValue.call_pk, FinalValue.name, FinalValue.value)
        .join(Call, Call.id == FinalValue.call_pk)
        .where(FinalValue.rubric_pk == rubric.id, FinalValue.kind == "score"),
        since, until,
    )).all()  # fmt: skip
    scores: dict[int, dict[str, int]] = {call.id: {} for call in calls}
    for call_pk, name, value in dimension_rows:
        if value is not None and call_pk in scores:
            scores[call_pk][name] = label(value)
    turns = turns_of(db, [call.id for call in calls])
    return [_example(call, scores[call.id], turns[call.id]) for call in calls if scores[call.id]]


def double_review_ratings(
    db: Session, rubric: RubricVersion, since: date | None, until: date | None
) -> list:
    """People's agreement with each other over the same period: every submitted score of
    the calls of the period that two or more reviewers scored under ``rubric``, as ratings
    (unit: call, rater: reviewer) for the agreement engine."""
    from qa_app.domain.agreement import Rating
    from qa_app.models import Review, ReviewScore, ReviewStatus

    submitted = and_(Review.rubric_pk == rubric.id, Review.status == ReviewStatus.SUBMITTED)
    doubled = in_period(
        select(Review.call_pk).join(Call, Call.id == Review.call_pk).where(submitted)
        .group_by(Review.call_pk).having(func.count(Review.id) >= 2),
        since, until,
    )  # fmt: skip
    rows = db.exec(
        select(Review.call_pk, Review.reviewer_id, ReviewScore.dimension, ReviewScore.score)
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .where(submitted, Review.call_pk.in_(doubled), ReviewScore.score.is_not(None))
    ).all()  # fmt: skip
    return [Rating(str(call), str(reviewer), dimension, float(score))
            for call, reviewer, dimension, score in rows]  # fmt: skip


def next_version(db: Session, rubric_pk: int) -> int:
    latest = db.exec(
        select(func.max(MachineModel.version)).where(MachineModel.rubric_pk == rubric_pk)
    ).one()
    return (latest or 0) + 1


def current_model(db: Session, rubric_pk: int) -> MachineModel | None:
    """The newest model of a rubric version, or None."""
    return db.exec(
        select(MachineModel)
        .where(MachineModel.rubric_pk == rubric_pk)
        .order_by(MachineModel.version.desc())
    ).first()


def newest_model(db: Session, kind: str | None = None) -> MachineModel | None:
    """The most recent model of any rubric version (of ``kind`` when given)."""
    query = select(MachineModel).order_by(MachineModel.id.desc())
    if kind:
        query = query.where(MachineModel.kind == kind)
    return db.exec(query).first()


def unscored_count(db: Session, model: MachineModel, since, until) -> int:
    """Calls of the period the model has not scored yet."""
    query = select(func.count(Call.id)).where(~scored_by(model))
    return db.exec(in_period(query, since, until)).one()


def scored_by(model: MachineModel):
    """Whether the model has scored the call (a condition on Call, for NOT EXISTS)."""
    return exists(
        select(MachineScore.id).where(
            MachineScore.call_pk == Call.id, MachineScore.model_pk == model.id
        )
    )


def score_unscored(
    engine: Engine,
    model: MachineModel,
    models: dict,
    since: date | None,
    until: date | None,
    progress: Callable[[int], None] | None = None,
    batch: int = SCORE_BATCH,
) -> int:
    """Score every call of the period the model has not scored, ``batch`` calls per
    transaction: a run stopped part way keeps what it wrote, and the next run carries on
    from there. Returns how many calls were scored."""
    from qa_app.domain.machine.scoring import score_calls

    done, after = 0, 0
    while True:
        with transaction(engine) as db:
            # From the last call of the batch before: each batch looks past the calls this
            # run has scored instead of probing them all again.
            query = (
                select(Call).where(Call.id > after, ~scored_by(model))
                .order_by(Call.id).limit(batch)
            )  # fmt: skip
            calls = db.exec(in_period(query, since, until)).all()
            if not calls:
                return done
            after = calls[-1].id
            turns = turns_of(db, [call.id for call in calls])
            examples = [_example(call, {}, turns[call.id]) for call in calls]
            scored = score_calls(models, examples, [turns[call.id] for call in calls])
            now_rows = [
                (model.id, call.id, s.dimension, s.score, s.confidence, s.evidence)
                for call, per_call in zip(calls, scored, strict=True)
                for s in per_call
            ]
            insert_rows(
                db.connection(), MachineScore,
                ("model_pk", "call_pk", "dimension", "score", "confidence", "evidence"),
                now_rows, {"created_at": utcnow(), "reason": ""},
            )  # fmt: skip
        done += len(calls)
        if progress:
            progress(len(calls))


def shown_after_submit(db: Session, rubric_id: str) -> bool:
    """Whether reviewers see the machine's scores of ``rubric_id`` after submitting (the
    default); never before."""
    row = db.get(MachineVisibility, rubric_id)
    return True if row is None else row.after_submit


def set_shown_after_submit(db: Session, rubric_id: str, shown: bool, actor, label: str) -> bool:
    """Record a lead's choice; returns whether it changed anything (audited when it did)."""
    from qa_app.models import utcnow
    from qa_app.store.audit import record

    row = db.get(MachineVisibility, rubric_id)
    before = True if row is None else row.after_submit
    if before == shown and row is not None:
        return False
    row = row or MachineVisibility(rubric_id=rubric_id)
    row.after_submit, row.updated_at, row.updated_by = shown, utcnow(), label
    db.add(row)
    record(db, actor, "machine.visibility", "rubric", rubric_id,
           before={"after_submit": before}, after={"after_submit": shown}, label=label)  # fmt: skip
    return True


def beside_review(db: Session, call_pk: int, rubric_pk: int) -> tuple[MachineModel, dict] | None:
    """The newest model's scores of a call under the review's rubric version, by dimension,
    or None when no model of that version has scored it."""
    model = db.exec(
        select(MachineModel)
        .join(MachineScore, MachineScore.model_pk == MachineModel.id)
        .where(MachineScore.call_pk == call_pk, MachineModel.rubric_pk == rubric_pk)
        .order_by(MachineModel.version.desc())
    ).first()
    if model is None:
        return None
    scores = db.exec(
        select(MachineScore).where(MachineScore.call_pk == call_pk,
                                   MachineScore.model_pk == model.id)
    ).all()  # fmt: skip
    return model, {s.dimension: s for s in scores}


def train_and_store(
    engine: Engine,
    rubric_key: str | None,
    default_rubric_id: str,
    since: date | None,
    until: date | None,
    minimum: int,
    seed: int,
    created_by: str,
    started: Callable[[int, str], None] | None = None,
) -> tuple[MachineModel, str]:
    """Train on the period's reviewed calls, measure the model against people, and store it
    as the rubric version's next model (audited). Returns the model and the rubric key.

    Raises ExportError when the rubric cannot be chosen and TrainingError when a score point
    has too few reviewed calls; nothing is stored then.
    """
    from qa_app.domain.machine.evaluation import evaluate_dimension, people_agreement
    from qa_app.domain.machine.stored import model_bytes
    from qa_app.domain.machine.training import libraries, train, training_hash
    from qa_app.store.audit import record
    from qa_app.store.flags.rows import choose_rubric
    from qa_app.store.reviews.queue import CallFilters
    from qa_app.store.rubrics import rubric_from_row

    with Session(engine, expire_on_commit=False) as db:
        row = choose_rubric(db, CallFilters(since=since, until=until), rubric_key,
                            default_rubric_id)  # fmt: skip
        rubric = rubric_from_row(row)
        examples = training_examples(db, row, since, until)
        doubled = double_review_ratings(db, row, since, until)
    if started:
        started(len(examples), row.key)
    dimensions, points = [d.id for d in rubric.dimensions], list(rubric.scale)
    trained = train(examples, dimensions, points, seed, minimum)
    segments = {e.call_id: dict(e.segments) for e in examples}
    people = people_agreement(doubled, dimensions, points, seed)
    metrics = {
        "dimensions": {
            d: evaluate_dimension(trained.call_ids[d], trained.held_out[d], trained.people[d],
                                  segments, points, seed) | people[d]
            for d in dimensions
        },
        "method": "5-fold cross-validation by call: each call scored by a model trained "
        "without it",
        # Each training call's held-out scores: what estimates combining the machine with
        # people use for these calls, since the stored model has seen them.
        "held_out": _held_out_by_call(trained),
    }  # fmt: skip
    with transaction(engine) as db:
        model = MachineModel(
            rubric_pk=row.id, version=next_version(db, row.id), created_by=created_by,
            trained_from=since, trained_until=until, training_calls=len(examples),
            training_hash=training_hash(examples), seed=seed, libraries=libraries(),
            metrics=metrics, content=model_bytes(trained.models),
        )  # fmt: skip
        db.add(model)
        db.flush()
        record(db, None, "machine.trained", "machine_model", str(model.id),
               after={"rubric": row.key, "version": model.version,
                      "training_calls": len(examples)}, label=created_by)  # fmt: skip
    return model, row.key


def _held_out_by_call(trained) -> dict[str, dict[str, int]]:
    by_call: dict[str, dict[str, int]] = {}
    for dimension, call_ids in trained.call_ids.items():
        for call_id, score in zip(call_ids, trained.held_out[dimension], strict=True):
            by_call.setdefault(call_id, {})[dimension] = int(score)
    return by_call


def machine_values(
    db: Session, model: MachineModel, rubric, filters, group_of: Callable[[dict], str]
) -> tuple[dict[str, dict], dict[str, str]]:
    """The model's scores and the flags they imply, for every call the filters keep that the
    model scored: ({call_id: {"flag_X": 0|1|None, "score_D": n}}, {call_id: group})."""
    fields = ("call_id", "team", "queue", "channel", "interaction_type", "agent_tenure_days")
    query = filters.apply(
        select(*(getattr(Call, f) for f in fields), MachineScore.dimension, MachineScore.score)
        .join(MachineScore, MachineScore.call_pk == Call.id)
        .where(MachineScore.model_pk == model.id)
    )  # fmt: skip
    scores: dict[str, dict[str, int]] = {}
    groups: dict[str, str] = {}
    for *call, dimension, score in db.exec(query):
        row = dict(zip(fields, call, strict=True))
        scores.setdefault(row["call_id"], {})[dimension] = score
        groups[row["call_id"]] = group_of(row)
    return {call_id: _as_values(rubric, by) for call_id, by in scores.items()}, groups


def held_out_values(model: MachineModel, rubric) -> dict[str, dict]:
    """The training calls' held-out scores (from models that never saw them) as values."""
    held_out = model.metrics.get("held_out") or {}
    return {call_id: _as_values(rubric, by) for call_id, by in held_out.items()}


def _as_values(rubric, by_dimension: dict[str, int]) -> dict:
    """Machine scores and the flags the rubric's rules make of them, as figure columns."""
    flags = rubric.flags_for(by_dimension)
    return {
        **{f"flag_{name}": None if v is None else int(v) for name, v in flags.items()},
        **{f"score_{d}": s for d, s in by_dimension.items()},
    }


def pairs_by_month(db: Session, model: MachineModel) -> dict[str, dict[str, list]]:
    """People's final score and the machine's of every reviewed call, by month of the call
    and dimension: {"2026-10": {dimension: [(call_id, machine, people), ...]}}.

    A call the model was trained on enters with its held-out score, so every pair is the
    machine's view of a call it never learned from.
    """
    held_out = model.metrics.get("held_out") or {}
    machine = {
        (call_pk, dimension): score
        for call_pk, dimension, score in db.exec(
            select(MachineScore.call_pk, MachineScore.dimension, MachineScore.score).where(
                MachineScore.model_pk == model.id
            )
        )
    }
    rows = db.exec(
        select(Call.id, Call.call_id, Call.started_at, FinalValue.name, FinalValue.value)
        .join(FinalValue, FinalValue.call_pk == Call.id)
        .where(FinalValue.rubric_pk == model.rubric_pk, FinalValue.kind == "score",
               FinalValue.value.is_not(None))
    )  # fmt: skip
    months: dict[str, dict[str, list]] = {}
    for call_pk, call_id, started_at, dimension, value in rows:
        score = (held_out.get(call_id) or {}).get(dimension, machine.get((call_pk, dimension)))
        if score is None or started_at is None:
            continue
        month = f"{started_at.year:04d}-{started_at.month:02d}"
        months.setdefault(month, {}).setdefault(dimension, []).append(
            (call_id, score, label(value))
        )
    return dict(sorted(months.items()))

"""Database reads for the survey's figures: answers, QA final scores of the same calls, link
response rates and the open-text answers. The statistics are in
:mod:`qa_app.domain.surveys.compare`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.surveys.compare import Answer, Comparison, Pair, compare
from qa_app.domain.surveys.definition import Survey
from qa_app.models import Call, SurveyLink, SurveyResponse
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters


def answers(
    db: Session, survey: Survey, filters: CallFilters, item: str | None = None
) -> list[Answer]:
    """Every answer to ``survey`` (optionally one item) on calls matching ``filters``."""
    query = (
        select(
            Call.call_id,
            SurveyResponse.item,
            SurveyResponse.score,
            SurveyResponse.position,
            Call.interaction_type,
            Call.channel,
        )
        .join(Call, Call.id == SurveyResponse.call_pk)
        .where(SurveyResponse.survey_key == survey.key)
    )
    if item:
        query = query.where(SurveyResponse.item == item)
    rows = db.exec(filters.apply(query).order_by(Call.call_id, SurveyResponse.item)).all()
    return [Answer(*row) for row in rows]


def calls_by_type(db: Session, filters: CallFilters) -> dict:
    """Interaction type -> number of calls in the filtered period (the mix answers are
    weighted to)."""
    query = select(Call.interaction_type, func.count()).select_from(Call)
    return dict(db.exec(filters.apply(query.group_by(Call.interaction_type))).all())


def qa_final_scores(
    db: Session, survey: Survey, filters: CallFilters, dimension: str
) -> tuple[dict[str, float], tuple[int, int]]:
    """call_id -> QA final score on ``dimension`` (the export's reading: consensus, one review
    or the median of reviews), and the rubric's scale. Raises ExportError as the export does."""
    plan = plan_export(db, filters, None, survey.rubric)
    rubric = plan.rubric
    rubric.dimension(dimension)  # KeyError: not a dimension of this rubric
    scores = {}
    for row in iter_flag_rows(db, filters, plan, outcomes=False):
        value = row.get(f"score_{dimension}")
        if value is not None:
            scores[row["call_id"]] = value
    return scores, (rubric.scale_min, rubric.scale_max)


def comparison(
    db: Session, survey: Survey, item: str, dimension: str, filters: CallFilters
) -> Comparison:
    """QA final score × customer answer on the same calls, for one item and dimension."""
    qa, qa_scale = qa_final_scores(db, survey, filters, dimension)
    pairs = [
        Pair(a.call_id, qa[a.call_id], a.score)
        for a in answers(db, survey, filters, item)
        if a.call_id in qa
    ]
    return compare(item, dimension, pairs, qa_scale, (survey.scale_min, survey.scale_max))


def link_outcomes(db: Session, survey: Survey, filters: CallFilters) -> list[tuple[str, bool]]:
    """(interaction type, answered) for every link sent for ``survey`` on the filtered calls."""
    query = (
        select(Call.interaction_type, SurveyLink.responded_at)
        .join(Call, Call.id == SurveyLink.call_pk)
        .where(SurveyLink.survey_key == survey.key)
    )
    return [(kind, at is not None) for kind, at in db.exec(filters.apply(query))]


@dataclass(frozen=True)
class OpenText:
    call_id: str
    text: str
    scores: dict[str, int]
    interaction_type: str | None
    channel: str | None


def open_texts(db: Session, survey: Survey, filters: CallFilters) -> list[OpenText]:
    """Every open-text answer (the link page's box, or imported comments) beside the call's
    item scores, newest call first."""
    scores: dict[str, dict[str, int]] = defaultdict(dict)
    texts: dict[str, list[str]] = defaultdict(list)
    meta: dict[str, tuple] = {}
    rows = db.exec(
        filters.apply(
            select(
                Call.call_id,
                SurveyResponse.item,
                SurveyResponse.score,
                SurveyResponse.comment,
                Call.interaction_type,
                Call.channel,
                Call.started_at,
            )
            .join(Call, Call.id == SurveyResponse.call_pk)
            .where(SurveyResponse.survey_key == survey.key)
        )
    ).all()
    for call_id, item, score, comment, kind, channel, started in rows:
        scores[call_id][item] = score
        meta[call_id] = (kind, channel, started)
        if comment and comment not in texts[call_id]:
            texts[call_id].append(comment)
    links = db.exec(
        filters.apply(
            select(Call.call_id, SurveyLink.open_text)
            .join(Call, Call.id == SurveyLink.call_pk)
            .where(SurveyLink.survey_key == survey.key, SurveyLink.open_text != "")
        )
    ).all()
    for call_id, text in links:
        if text not in texts[call_id]:
            texts[call_id].insert(0, text)
    found = [
        OpenText(
            call_id, "\n".join(parts), scores.get(call_id, {}), *meta.get(call_id, (None,) * 3)[:2]
        )
        for call_id, parts in texts.items()
        if parts
    ]
    started = {c: meta.get(c, (None, None, None))[2] for c in texts}
    return sorted(found, key=lambda t: str(started[t.call_id] or ""), reverse=True)

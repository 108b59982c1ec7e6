"""Survey links and responses in the database.

A call has at most one survey link. Only the SHA-256 of its token is stored (as for panel
invites); the token itself is handed out once, in the links file. Asking again for a call whose
link is unanswered issues a new token (the old one stops working) with the same item order;
a call already answered gets no new link. Responses are one per call and item, from the link
page or imported; an imported answer that changes a stored one is refused unless ``replace``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.domain.surveys.definition import Survey
from qa_app.domain.surveys.responses import SurveyAnswerRecord
from qa_app.models import AuditEvent, Call, SurveyLink, SurveyResponse, utcnow
from qa_app.store.calibration.participants import token_hash
from qa_app.store.calls import ChangesRefused, WriteResult, existing_call_ids

BATCH_SIZE = 500
DEFAULT_DAYS_VALID = 14


class LinkProblem(Exception):
    """A survey link that cannot be answered: unknown, expired or already used."""

    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message
        super().__init__(message)


@dataclass(frozen=True)
class IssuedLink:
    """One line of the links file: what a sender needs, and nothing about the QA scores."""

    call_id: str
    customer_id: str | None
    channel: str | None
    interaction_type: str | None
    started_at: datetime | None
    survey: str
    token: str
    expires_at: datetime


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def issue_links(
    db: Session,
    survey: Survey,
    since: datetime,
    until: datetime,
    interaction_types: Sequence[str] = (),
    days_valid: int = DEFAULT_DAYS_VALID,
    now: datetime | None = None,
) -> tuple[list[IssuedLink], int]:
    """Links for the calls that started in [since, until) (optionally of some types).

    Returns the links and how many calls were skipped because they already have answers.
    """
    now = now or utcnow()
    query = select(Call).where(Call.started_at >= since, Call.started_at < until)
    if interaction_types:
        query = query.where(Call.interaction_type.in_(list(interaction_types)))
    calls = list(db.exec(query.order_by(Call.started_at, Call.id)))
    pks = [c.id for c in calls]
    answered, links = set(), {}
    for start in range(0, len(pks), BATCH_SIZE):
        batch = pks[start : start + BATCH_SIZE]
        answered |= set(
            db.exec(select(SurveyResponse.call_pk).where(SurveyResponse.call_pk.in_(batch)))
        )
        links.update(
            {
                link.call_pk: link
                for link in db.exec(select(SurveyLink).where(SurveyLink.call_pk.in_(batch)))
            }
        )
    # The rotation counter runs over every link of this survey ever made, so orders stay
    # balanced across runs of the command, not only within one.
    sequence = db.exec(
        select(func.count()).select_from(SurveyLink).where(SurveyLink.survey_key == survey.key)
    ).one()
    expires = now + timedelta(days=days_valid)
    issued, skipped = [], 0
    for call in calls:
        link = links.get(call.id)
        if call.id in answered or (link is not None and link.responded_at is not None):
            skipped += 1
            continue
        token = secrets.token_urlsafe(32)
        if link is None or link.survey_key != survey.key:
            if link is None:
                link = SurveyLink(call_pk=call.id, survey_key=survey.key, item_order=[])
            link.survey_key, link.sequence = survey.key, sequence
            link.item_order = survey.order_for(sequence)
            sequence += 1
        link.token_hash, link.created_at, link.expires_at = token_hash(token), now, expires
        db.add(link)
        issued.append(
            IssuedLink(
                call.call_id,
                call.customer_id,
                call.channel,
                call.interaction_type,
                call.started_at,
                survey.key,
                token,
                expires,
            )
        )
    db.flush()
    return issued, skipped


def open_link(db: Session, token: str, now: datetime | None = None) -> SurveyLink:
    """The link a token opens, ready to answer; :class:`LinkProblem` says why not."""
    link = db.exec(select(SurveyLink).where(SurveyLink.token_hash == token_hash(token))).first()
    if link is None:
        raise LinkProblem(
            404,
            "This link does not work",
            "This survey link does not work. It may have been replaced by a newer one.",
        )
    if link.responded_at is not None:
        raise LinkProblem(
            410,
            "You have already answered",
            "Thank you: your answers to this survey were already received. Each link can be "
            "answered once.",
        )
    if _aware(link.expires_at) <= (now or utcnow()):
        raise LinkProblem(
            410,
            "This survey has closed",
            "Thank you for opening it. The time to answer this survey is over.",
        )
    return link


def record_link_answers(
    db: Session,
    link: SurveyLink,
    scores: Mapping[str, int],
    open_text: str,
    now: datetime | None = None,
) -> None:
    """Store one respondent's answers with the position each item was shown in.

    The link is marked answered in the same transaction; a second submission of the same
    link (two tabs) finds it answered and changes nothing.
    """
    now = now or utcnow()
    claimed = db.exec(
        SurveyLink.__table__.update()
        .where(SurveyLink.id == link.id, SurveyLink.responded_at.is_(None))
        .values(responded_at=now, open_text=open_text)
    )
    if claimed.rowcount != 1:
        raise LinkProblem(410, "You have already answered", "Your answers were already received.")
    taken = set(db.exec(select(SurveyResponse.item).where(SurveyResponse.call_pk == link.call_pk)))
    for position, item in enumerate(link.item_order, start=1):
        if item in scores and item not in taken:
            db.add(
                SurveyResponse(
                    call_pk=link.call_pk,
                    link_id=link.id,
                    survey_key=link.survey_key,
                    item=item,
                    score=scores[item],
                    position=position,
                    # The open-text answer is the respondent's, not an item's: kept on the link.
                    comment="",
                    responded_at=now,
                    source="link",
                )
            )
    db.flush()


def write_answers(
    db: Session,
    records: Sequence[SurveyAnswerRecord],
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Add imported answers; a stored answer (same call and item) whose score, position or
    comment differs is updated, a changed score only with ``replace`` (audited)."""
    result = WriteResult()
    pks = existing_call_ids(db, [r.call_id for r in records])
    stored: dict[tuple[int, str], SurveyResponse] = {}
    wanted = sorted(set(pks.values()))
    for start in range(0, len(wanted), BATCH_SIZE):
        for answer in db.exec(
            select(SurveyResponse).where(
                SurveyResponse.call_pk.in_(wanted[start : start + BATCH_SIZE])
            )
        ):
            stored[(answer.call_pk, answer.item)] = answer
    now, refused, history = utcnow(), [], []
    for record in records:
        pk = pks[record.call_id]
        answer = stored.get((pk, record.item))
        if answer is None:
            db.add(
                SurveyResponse(
                    call_pk=pk,
                    survey_key=record.survey_key,
                    item=record.item,
                    score=record.score,
                    position=record.position,
                    comment=record.comment,
                    responded_at=record.responded_at or now,
                    source="import",
                )
            )
            result.created += 1
        elif (answer.score, answer.position, answer.comment) == (
            record.score,
            record.position,
            record.comment,
        ):
            result.unchanged += 1
        else:
            if answer.score != record.score:
                refused.append(
                    f"{source}: row {record.row}: call {record.call_id} {record.item} is "
                    f"{answer.score} in the database, the file has {record.score}"
                )
                history.append((record, answer.score))
            answer.score, answer.position = record.score, record.position
            answer.comment = record.comment
            db.add(answer)
            result.updated += 1
        if progress:
            progress(1)
    if refused and not replace:
        raise ChangesRefused(refused)
    for record, old in history:
        db.add(
            AuditEvent(
                actor_id=actor[0],
                actor_label=actor[1],
                action="survey_answer.replaced",
                entity_type="survey_response",
                entity_id=f"{record.call_id}:{record.item}",
                before={"score": old},
                after={"score": record.score},
                reason=f"import of {source} with --replace",
            )
        )
    db.flush()
    return result

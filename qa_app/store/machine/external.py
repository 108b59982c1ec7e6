"""Scoring calls with a team's own language model (qa_app.domain.machine.external).

The endpoint and model name stand as a machine model of their own (kind "external"), so their
scores sit beside a trained model's in machine_scores and are read the same way; a call whose
answer did not fit the schema, or whose request failed, goes to machine_failures with why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import exists
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.db import transaction
from qa_app.domain.machine.external import AnswerRefused, messages, parse_answer, request_body
from qa_app.models import Call, MachineFailure, MachineModel, MachineScore, RubricVersion, utcnow
from qa_app.store.machine import in_period, next_version, scored_by, turns_of

EXTERNAL_BATCH = 20
TIMEOUT_SECONDS = 120


class RequestFailed(Exception):
    """The endpoint could not be reached or did not answer 200 with JSON."""


def chat_poster(url: str, key: str | None, timeout: float = TIMEOUT_SECONDS) -> Callable:
    """A function POSTing a chat-completions body to ``url``/chat/completions (with the key
    as a bearer token when there is one) and returning the decoded JSON response."""
    import requests

    endpoint = url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"

    def post(body: dict) -> dict:
        try:
            # One connection per request, closed after it: no socket outlives the command.
            response = requests.post(endpoint, json=body, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise RequestFailed(f"request failed: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise RequestFailed(f"the endpoint answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise RequestFailed("the endpoint's response is not JSON") from None

    return post


def external_model(
    db: Session, rubric: RubricVersion, endpoint: str, model_name: str, created_by: str
) -> MachineModel:
    """The machine model standing for this endpoint and model under the rubric version: the
    one already there, else a new version."""
    found = db.exec(
        select(MachineModel).where(
            MachineModel.rubric_pk == rubric.id, MachineModel.kind == "external",
            MachineModel.endpoint == endpoint, MachineModel.model_name == model_name,
        )
    ).first()  # fmt: skip
    if found is not None:
        return found
    model = MachineModel(
        rubric_pk=rubric.id, version=next_version(db, rubric.id), kind="external",
        endpoint=endpoint, model_name=model_name, created_by=created_by,
        training_hash="", content=b"",
        metrics={"method": f"an external model ({model_name} at {endpoint}), not trained on "
                           "these reviews"},
    )  # fmt: skip
    db.add(model)
    db.flush()
    return model


def score_with_external(
    engine: Engine,
    model: MachineModel,
    rubric,
    post: Callable[[dict], dict],
    since: date | None,
    until: date | None,
    progress: Callable[[int], None] | None = None,
    batch: int = EXTERNAL_BATCH,
) -> tuple[int, int]:
    """Ask the external model about every call of the period it has neither scored nor
    failed on, ``batch`` calls per transaction (a stopped run carries on where it was).
    Returns (calls scored, calls failed)."""
    failed_before = exists(
        select(MachineFailure.id).where(
            MachineFailure.call_pk == Call.id, MachineFailure.model_pk == model.id
        )
    )
    scored = failed = after = 0
    while True:
        with transaction(engine) as db:
            query = (
                select(Call).where(Call.id > after, ~scored_by(model), ~failed_before)
                .order_by(Call.id).limit(batch)
            )  # fmt: skip
            calls = db.exec(in_period(query, since, until)).all()
            if not calls:
                return scored, failed
            after = calls[-1].id
            turns = turns_of(db, [call.id for call in calls])
            for call in calls:
                call_turns = turns[call.id]
                answer = None
                try:
                    answer = post(request_body(model.model_name, messages(rubric, call_turns)))
                    found = parse_answer(answer, rubric, len(call_turns))
                except (RequestFailed, AnswerRefused) as exc:
                    db.add(MachineFailure(
                        model_pk=model.id, call_pk=call.id, error=str(exc)[:500],
                        answer=_excerpt(answer),
                    ))  # fmt: skip
                    failed += 1
                    continue
                now = utcnow()
                for part in found:
                    if part.score is None:
                        continue  # not applicable: no score to keep
                    db.add(MachineScore(
                        model_pk=model.id, call_pk=call.id, dimension=part.dimension,
                        score=part.score, confidence=0.0, evidence=part.evidence,
                        reason=part.reason, created_at=now,
                    ))  # fmt: skip
                scored += 1
        if progress:
            progress(len(calls))


def _excerpt(answer) -> str:
    if answer is None:
        return ""
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        content = repr(answer)
    return str(content)[:2000]

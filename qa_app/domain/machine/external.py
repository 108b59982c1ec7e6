"""A team's own language model as the machine rater, over the OpenAI-compatible
chat-completions protocol.

The model is given the rubric's operational definitions (every point of every dimension, as
reviewers read them) and the transcript as numbered turns, and asked for one JSON object: per
dimension a score on the scale, the numbers of the turns that show it and a one-line reason.
An answer that does not fit that shape exactly is a failure, recorded with what was wrong:
it is never repaired or guessed into a score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from qa_app.domain.rubrics.definitions import Rubric

MAX_REASON = 300
MAX_TURN_TEXT = 2_000  # characters of one turn sent; longer turns are cut, and say so


class AnswerRefused(ValueError):
    """The model's answer does not fit the schema; the message says where."""


@dataclass(frozen=True)
class ExternalScore:
    dimension: str
    score: int | None  # None: not applicable, where the dimension allows it
    evidence: list[int]  # turn positions, from 0
    reason: str


def messages(rubric: Rubric, turns: Sequence[tuple[int, str, str]]) -> list[dict]:
    """The chat messages for one call: the rubric's definitions, then its numbered turns."""
    lines = [
        f"You score one contact-centre call against the rubric '{rubric.title}' "
        f"({rubric.key}). Each dimension is scored {rubric.scale_min} to {rubric.scale_max}; "
        "every point is defined by what can be observed in the transcript.",
        "",
    ]
    for dimension in rubric.dimensions:
        lines.append(f"Dimension '{dimension.id}' ({dimension.name}): {dimension.question}")
        for point in sorted(dimension.points):
            lines.append(f"  {point}: {dimension.points[point]}")
        if dimension.allow_na:
            lines.append("  null: not applicable to this call")
    example = {d.id: {"score": rubric.scale_min, "evidence": [1], "reason": "..."}
               for d in rubric.dimensions[:1]}  # fmt: skip
    lines += [
        "",
        "Answer with one JSON object and nothing else: "
        '{"dimensions": {DIMENSION_ID: {"score": POINT, "evidence": [TURN NUMBERS], '
        '"reason": "ONE LINE"}}} with every dimension above, for example '
        + json.dumps({"dimensions": example})
        + ". Evidence is the numbers of the turns that show the score.",
    ]
    transcript = "\n".join(
        f"[{position + 1}] {speaker}: {_cut(text)}" for position, speaker, text in turns
    )
    return [
        {"role": "system", "content": "\n".join(lines)},
        {"role": "user", "content": f"Transcript, one numbered turn per line:\n{transcript}"},
    ]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TURN_TEXT else text[:MAX_TURN_TEXT] + " [cut]"


def request_body(model: str, chat: list[dict]) -> dict:
    """The chat-completions request: deterministic, a JSON object asked for."""
    return {
        "model": model,
        "messages": chat,
        "temperature": 0,
        "response_format": {"type": "json_object"},
    }


def parse_answer(body: dict, rubric: Rubric, turn_count: int) -> list[ExternalScore]:
    """The scores of a chat-completions response, or AnswerRefused naming what is wrong."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise AnswerRefused("the response has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise AnswerRefused("the message content is not text")
    try:
        answer = json.loads(content)
    except json.JSONDecodeError as exc:
        raise AnswerRefused(f"the answer is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("dimensions"), dict):
        raise AnswerRefused('the answer has no "dimensions" object')
    given = answer["dimensions"]
    wanted = [d.id for d in rubric.dimensions]
    missing = [d for d in wanted if d not in given]
    extra = [d for d in given if d not in wanted]
    if missing or extra:
        parts = [f"missing {', '.join(missing)}" if missing else "",
                 f"unknown {', '.join(map(str, extra))}" if extra else ""]  # fmt: skip
        raise AnswerRefused("dimensions: " + "; ".join(p for p in parts if p))
    return [_one(dimension, given[dimension.id], rubric, turn_count)
            for dimension in rubric.dimensions]  # fmt: skip


def _one(dimension, part, rubric: Rubric, turn_count: int) -> ExternalScore:
    where = f"dimension {dimension.id}"
    if not isinstance(part, dict) or set(part) != {"score", "evidence", "reason"}:
        raise AnswerRefused(f"{where}: needs exactly score, evidence and reason")
    score = part["score"]
    if score is None:
        if not dimension.allow_na:
            raise AnswerRefused(f"{where}: score is null, but the dimension is never N/A")
    elif type(score) is not int or score not in rubric.scale:
        raise AnswerRefused(
            f"{where}: score {score!r} is not a whole point from {rubric.scale_min} to "
            f"{rubric.scale_max}"
        )
    evidence = part["evidence"]
    if not isinstance(evidence, list) or any(
        type(n) is not int or not 1 <= n <= turn_count for n in evidence
    ):
        raise AnswerRefused(f"{where}: evidence must be turn numbers from 1 to {turn_count}")
    reason = part["reason"]
    if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
        raise AnswerRefused(f"{where}: reason must be one line of text")
    if len(reason) > MAX_REASON:
        raise AnswerRefused(f"{where}: reason is longer than {MAX_REASON} characters")
    return ExternalScore(dimension.id, score, sorted({n - 1 for n in evidence}), reason.strip())

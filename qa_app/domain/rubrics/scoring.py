"""Scoring rules: what a reviewer may enter for a dimension, and when a review is complete.

Pure Python: the web views and the review importer both validate through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from qa_app.domain.rubrics.definitions import Rubric

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
MAX_NOTE_LENGTH = 4000
EVIDENCE_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class DimensionAnswer:
    """One dimension's answer: a point, N/A or nothing yet; a note; evidence turns."""

    score: int | None = None
    not_applicable: bool = False
    note: str = ""
    evidence: tuple[int, ...] = field(default_factory=tuple)

    @property
    def answered(self) -> bool:
        return self.score is not None or self.not_applicable

    def display(self) -> str:
        if self.not_applicable:
            return "N/A"
        return "—" if self.score is None else str(self.score)


class ScoringError(ValueError):
    """An answer the rubric does not allow; the message says what and where."""


def parse_answer(
    rubric: Rubric, dimension_id: str, form: Mapping[str, str], turn_count: int
) -> DimensionAnswer:
    """Read one dimension's form fields (``score``, ``note``, ``evidence``) into an answer.

    ``score`` is a point on the rubric's scale, ``na`` for not applicable, or
    blank for not answered yet. Evidence is turn numbers as shown on the page
    (1-based), stored 0-based. Raises :class:`ScoringError`.
    """
    try:
        dimension = rubric.dimension(dimension_id)
    except KeyError:
        raise ScoringError(f"'{dimension_id}' is not a dimension of rubric {rubric.key}") from None
    raw_score = (form.get("score") or "").strip().lower()
    score, not_applicable = None, False
    if raw_score in ("na", "n/a"):
        if not dimension.allow_na:
            raise ScoringError(f"{dimension.name}: N/A is not allowed for this dimension")
        not_applicable = True
    elif raw_score:
        # ASCII digits only: "²".isdigit() is true, yet int("²") fails.
        if not WHOLE_NUMBER.fullmatch(raw_score) or int(raw_score) not in rubric.scale:
            raise ScoringError(
                f"{dimension.name}: '{raw_score}' is not a point on the scale "
                f"{rubric.scale_min}–{rubric.scale_max}"
            )
        score = int(raw_score)
    note = (form.get("note") or "").replace("\r\n", "\n")
    if len(note) > MAX_NOTE_LENGTH:
        raise ScoringError(
            f"{dimension.name}: the note is longer than {MAX_NOTE_LENGTH} characters"
        )
    return DimensionAnswer(
        score,
        not_applicable,
        note,
        parse_evidence(form.get("evidence") or "", turn_count, dimension.name),
    )


def parse_evidence(text: str, turn_count: int, dimension_name: str) -> tuple[int, ...]:
    """Turn numbers like ``3, 7 12`` (1-based, as on the page) as sorted 0-based positions."""
    positions = set()
    for token in EVIDENCE_SEPARATORS.split(text.strip()):
        if not token:
            continue
        if not (token.isascii() and token.isdigit()) or not 1 <= int(token) <= turn_count:
            raise ScoringError(
                f"{dimension_name}: evidence '{token}' is not a turn number between 1 and "
                f"{turn_count}"
            )
        positions.add(int(token) - 1)
    return tuple(sorted(positions))


def missing_dimensions(rubric: Rubric, answers: Mapping[str, DimensionAnswer]) -> list[str]:
    """Names of the dimensions without a score or N/A, in rubric order."""
    return [d.name for d in rubric.dimensions if not answers.get(d.id, DimensionAnswer()).answered]


def flag_scores(answers: Mapping[str, DimensionAnswer]) -> dict[str, int | None]:
    """Scores as the flag rules read them: N/A and unanswered are None."""
    return {dim: answer.score for dim, answer in answers.items()}


def changed_dimensions(
    before: Mapping[str, DimensionAnswer], after: Mapping[str, DimensionAnswer]
) -> dict[str, tuple[dict, dict]]:
    """Dimension -> (old, new) for every dimension whose answer differs, for audit events."""
    changes = {}
    for dimension in sorted(set(before) | set(after)):
        old, new = before.get(dimension, DimensionAnswer()), after.get(dimension, DimensionAnswer())
        if old != new:
            changes[dimension] = (answer_as_dict(old), answer_as_dict(new))
    return changes


def answer_as_dict(answer: DimensionAnswer) -> dict:
    return {
        "score": answer.score,
        "not_applicable": answer.not_applicable,
        "note": answer.note,
        "evidence": [p + 1 for p in answer.evidence],
    }

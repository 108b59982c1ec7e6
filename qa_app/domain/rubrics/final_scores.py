"""A call's final score per dimension, and the weights that take reviews back to the call mix.

Final score: the calibration consensus where one exists, else the submitted review,
else (several submitted reviews) the median of their scores per dimension. N/A
answers are left out of the median; a dimension every review marked N/A stays N/A.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import DimensionAnswer

CONSENSUS = "consensus"
SINGLE_REVIEW = "review"
MEDIAN = "median of reviews"


@dataclass(frozen=True)
class FinalScores:
    scores: dict[str, float | int | None]
    source: str
    review_count: int

    def flags(self, rubric: Rubric) -> dict[str, bool | None]:
        return rubric.flags_for(self.scores)


def final_scores(
    rubric: Rubric,
    reviews: Sequence[Mapping[str, DimensionAnswer]],
    consensus: Mapping[str, int | None] | None = None,
) -> FinalScores:
    """Combine a call's submitted reviews (and consensus, if any) into its final scores."""
    if consensus:
        return FinalScores(
            {d.id: consensus.get(d.id) for d in rubric.dimensions}, CONSENSUS, len(reviews)
        )
    if len(reviews) == 1:
        only = reviews[0]
        return FinalScores(
            {d.id: _score(only.get(d.id)) for d in rubric.dimensions}, SINGLE_REVIEW, 1
        )
    scores = {}
    for dimension in rubric.dimensions:
        values = [s for s in (_score(r.get(dimension.id)) for r in reviews) if s is not None]
        scores[dimension.id] = _tidy(statistics.median(values)) if values else None
    return FinalScores(scores, MEDIAN, len(reviews))


def _score(answer: DimensionAnswer | None) -> int | None:
    return None if answer is None else answer.score


def _tidy(value: float) -> float | int:
    """A whole-number median as an int (3, not 3.0); a between-points median stays 3.5."""
    return int(value) if float(value).is_integer() else float(value)


def mix_weights(
    all_calls: Mapping[str | None, int], reviewed_calls: Mapping[str | None, int]
) -> dict[str | None, float]:
    """Weight per interaction type that takes the reviewed calls back to the real call mix.

    weight = (share of the type among all calls) / (share of the type among reviewed calls).
    A type with no reviewed calls gets no weight (there is nobody to carry it).
    """
    total_all, total_reviewed = sum(all_calls.values()), sum(reviewed_calls.values())
    weights = {}
    for kind, reviewed in reviewed_calls.items():
        if reviewed and total_all and total_reviewed:
            weights[kind] = (all_calls.get(kind, 0) / total_all) / (reviewed / total_reviewed)
    return weights

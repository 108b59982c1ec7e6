"""Scoring calls with a trained model: the score, its probability, and the turns behind it.

The evidence of a score is the transcript turns that pushed the model most toward it: each
turn's words put through its speaker's TF-IDF and weighed by the logistic regression's
coefficients for the chosen score. A reviewer reading the evidence reads what the machine
read, not a justification written afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack

from qa_app.domain.machine.training import (
    AGENT,
    CUSTOMER,
    Example,
    as_matrix,
    one_blas_thread,
)
from qa_app.domain.outreach.signals import is_customer_speaker

EVIDENCE_TURNS = 2


@dataclass(frozen=True)
class MachineScoring:
    """One dimension of one call as the machine scored it."""

    dimension: str
    score: int
    confidence: float
    evidence: list[int]


def score_calls(
    models: Mapping[str, object],
    examples: Sequence[Example],
    turns: Sequence[Sequence[tuple[int, str, str]]],
) -> list[list[MachineScoring]]:
    """Each call's scores, one per dimension of ``models``; ``turns`` holds each call's
    (position, speaker, text) turns, for the evidence.

    The words of the calls and of their turns are hashed once for every dimension (the
    hashing is the same in each model; only the TF-IDF weights and the regression differ):
    splitting text into words is most of the work of scoring.
    """
    if not examples:
        return []
    with one_blas_thread():
        return _score_calls(models, examples, turns)


def _score_calls(models, examples, turns) -> list[list[MachineScoring]]:
    hasher = _shared_hasher(models)
    x = as_matrix(examples)
    calls = {AGENT: hasher.transform(x[:, AGENT]), CUSTOMER: hasher.transform(x[:, CUSTOMER])}
    placed, texts = _turns_by_side(turns)
    turn_words = {side: hasher.transform(texts[side]) if texts[side] else None
                  for side in (AGENT, CUSTOMER)}  # fmt: skip
    scored: list[list[MachineScoring]] = [[] for _ in examples]
    for dimension, model in models.items():
        sides = _sides(model)
        classifier = model.named_steps["classifier"]
        features = hstack([_weighted(sides[side], calls[side]) for side in (AGENT, CUSTOMER)])
        probabilities = classifier.predict_proba(features.tocsr())
        chosen = probabilities.argmax(axis=1)
        weighed = _turn_weights(model, sides, placed, turn_words, len(examples))
        for index in range(len(examples)):
            pick = int(chosen[index])
            scored[index].append(
                MachineScoring(
                    dimension,
                    int(classifier.classes_[pick]),
                    float(probabilities[index, pick]),
                    _strongest(weighed[index], pick),
                )
            )
    return scored


def _shared_hasher(models: Mapping[str, object]):
    """The one hashing step every model's speakers share (the pipeline builds them alike)."""
    hashers = [_sides(m)[side].named_steps["hashed"] for m in models.values()
               for side in (AGENT, CUSTOMER)]  # fmt: skip
    first = hashers[0].get_params()
    if any(h.get_params() != first for h in hashers[1:]):
        raise ValueError("the model's dimensions hash words differently")
    return hashers[0]


def _sides(model) -> dict:
    features = model.named_steps["features"]
    return {AGENT: features.named_transformers_["agent"],
            CUSTOMER: features.named_transformers_["customer"]}  # fmt: skip


def _weighted(side, hashed):
    """Hashed words through one speaker's TF-IDF and the features the model kept."""
    return side.named_steps["used"].transform(side.named_steps["tfidf"].transform(hashed))


def _turns_by_side(turns: Sequence[Sequence[tuple[int, str, str]]]):
    """(call, position) and text of every turn, by speaker side, in order."""
    placed: dict[int, list[tuple[int, int]]] = {AGENT: [], CUSTOMER: []}
    texts: dict[int, list[str]] = {AGENT: [], CUSTOMER: []}
    for call, call_turns in enumerate(turns):
        for position, speaker, text in call_turns:
            side = CUSTOMER if is_customer_speaker(speaker) else AGENT
            placed[side].append((call, position))
            texts[side].append(text)
    return placed, texts


def _turn_weights(model, sides, placed, turn_words, calls: int) -> list:
    """Per call, each turn's (position, weight toward every class): its words through its
    speaker's features, times the regression's coefficients."""
    coefficients = model.named_steps["classifier"].coef_
    if coefficients.shape[0] == 1:  # two classes: one row, for the second
        coefficients = np.vstack([-coefficients[0], coefficients[0]])
    width = int(sides[AGENT].named_steps["used"].get_support().sum())
    blocks = {AGENT: coefficients[:, :width].T, CUSTOMER: coefficients[:, width:].T}
    weighed: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(calls)]
    for side in (AGENT, CUSTOMER):
        if turn_words[side] is None:
            continue
        weights = _weighted(sides[side], turn_words[side]) @ blocks[side]
        for (call, position), row in zip(placed[side], np.asarray(weights), strict=True):
            weighed[call].append((position, row))
    return weighed


def _strongest(weighed: list[tuple[int, np.ndarray]], chosen: int) -> list[int]:
    """Positions of the (at most EVIDENCE_TURNS) turns weighing most toward class index
    ``chosen``, in transcript order; none when no turn weighs toward it."""
    toward = sorted((row[chosen], position) for position, row in weighed if row[chosen] > 0)
    return sorted(position for _weight, position in toward[-EVIDENCE_TURNS:])

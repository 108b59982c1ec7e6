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

from qa_app.domain.machine.training import (
    AGENT,
    CUSTOMER,
    Example,
    as_matrix,
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
    (position, speaker, text) turns, for the evidence."""
    if not examples:
        return []
    x = as_matrix(examples)
    scored: list[list[MachineScoring]] = [[] for _ in examples]
    for dimension, model in models.items():
        probabilities = model.predict_proba(x)
        chosen = probabilities.argmax(axis=1)
        weighed = _turn_weights(model, turns)
        for index in range(len(examples)):
            pick = int(chosen[index])
            scored[index].append(
                MachineScoring(
                    dimension,
                    int(model.classes_[pick]),
                    float(probabilities[index, pick]),
                    _strongest(weighed[index], pick),
                )
            )
    return scored


def _turn_weights(model, turns: Sequence[Sequence[tuple[int, str, str]]]) -> list:
    """Per call, each turn's (position, weight toward every class): its words put through
    its speaker's features and the regression's coefficients. All the batch's turns of a
    speaker go through the features at once."""
    features = model.named_steps["features"]
    coefficients = model.named_steps["classifier"].coef_
    if coefficients.shape[0] == 1:  # two classes: one row, for the second
        coefficients = np.vstack([-coefficients[0], coefficients[0]])
    sides = {AGENT: features.named_transformers_["agent"],
             CUSTOMER: features.named_transformers_["customer"]}  # fmt: skip
    width = int(sides[AGENT].named_steps["used"].get_support().sum())
    blocks = {AGENT: coefficients[:, :width].T, CUSTOMER: coefficients[:, width:].T}
    placed: dict[int, list[tuple[int, int]]] = {AGENT: [], CUSTOMER: []}
    texts: dict[int, list[str]] = {AGENT: [], CUSTOMER: []}
    for call, call_turns in enumerate(turns):
        for position, speaker, text in call_turns:
            side = CUSTOMER if is_customer_speaker(speaker) else AGENT
            placed[side].append((call, position))
            texts[side].append(text)
    weighed: list[list[tuple[int, np.ndarray]]] = [[] for _ in turns]
    for side, side_texts in texts.items():
        if not side_texts:
            continue
        weights = sides[side].transform(side_texts) @ blocks[side]
        for (call, position), row in zip(placed[side], np.asarray(weights), strict=True):
            weighed[call].append((position, row))
    return weighed


def _strongest(weighed: list[tuple[int, np.ndarray]], chosen: int) -> list[int]:
    """Positions of the (at most EVIDENCE_TURNS) turns weighing most toward class index
    ``chosen``, in transcript order; none when no turn weighs toward it."""
    toward = sorted((row[chosen], position) for position, row in weighed if row[chosen] > 0)
    return sorted(position for _weight, position in toward[-EVIDENCE_TURNS:])


def evidence(model, turns: Sequence[tuple[int, str, str]], chosen: int) -> list[int]:
    """The evidence turns of one call for class index ``chosen`` (see score_calls)."""
    return _strongest(_turn_weights(model, [turns])[0], chosen)

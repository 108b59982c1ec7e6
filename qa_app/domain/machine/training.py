"""Training the machine rater: one classifier per rubric dimension, from the team's reviews.

Each reviewed call is one example: the agent's turns and the customer's turns as two texts
(so "I'm sorry" said by the agent and by the customer are different evidence), and the
call's human final score per dimension as the label. The model is scikit-learn's: a TF-IDF
of words and word pairs per speaker feeding a multinomial logistic regression, seeded, so
the same reviews give the same model. Nothing is downloaded: the model knows only the
team's own calls.

Before a model is trusted it is measured like any other rater: every call is scored by a
model trained without it (cross-validation with folds by call), and those scores are put
against people's with the same agreement engine the calibration sessions use.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa_app.domain.outreach.signals import is_customer_speaker

DEFAULT_MIN_PER_POINT = 5
FOLDS = 5
AGENT, CUSTOMER = 0, 1


class TrainingError(ValueError):
    """Training cannot go ahead; ``problems`` names each reason (dimension and score point)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Example:
    """One reviewed call: its two texts and people's final score per dimension."""

    call_id: str
    agent: str
    customer: str
    scores: Mapping[str, int]
    # What the call is, for the machine's equity check by segment.
    segments: Mapping[str, str] = field(default_factory=dict)
    transcript_version: int = 1


def texts(turns: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(agent text, customer text) of a transcript's (speaker, text) turns."""
    agent, customer = [], []
    for speaker, text in turns:
        (customer if is_customer_speaker(speaker) else agent).append(text)
    return "\n".join(agent), "\n".join(customer)


def label(value: float) -> int:
    """A final score as a class: the median of two reviews (3.5) counts as the upper point,
    as a half rounds up."""
    return int(math.floor(value + 0.5))


def training_hash(examples: Sequence[Example]) -> str:
    """SHA-256 of the training calls in order: call_id, transcript version, scores."""
    digest = hashlib.sha256()
    for example in examples:
        scores = ",".join(f"{k}={v}" for k, v in sorted(example.scores.items()))
        digest.update(f"{example.call_id}\x1f{example.transcript_version}\x1f{scores}\n".encode())
    return digest.hexdigest()


def shortfalls(
    examples: Sequence[Example], dimensions: Sequence[str], points: Sequence[int], minimum: int
) -> list[str]:
    """Each dimension's score points with fewer than ``minimum`` reviewed calls, named."""
    problems = []
    for dimension in dimensions:
        counts = Counter(e.scores[dimension] for e in examples if dimension in e.scores)
        short = [p for p in points if counts.get(p, 0) < minimum]
        if short:
            listed = ", ".join(f"{p} ({counts.get(p, 0)})" for p in short)
            problems.append(
                f"{dimension}: too few reviewed calls at score {listed}; at least {minimum} "
                "at every point of the scale are needed"
            )
    return problems


# Hashed features per speaker: no vocabulary to store (saving a 20,000-word vocabulary in
# skops' format took seconds). Only the features some training call has are kept for the
# regression, whose fitting time grows with the features it weighs.
HASHED_FEATURES = 2**16


def pipeline(seed: int):
    """The untrained model of one dimension: per speaker TF-IDF of hashed words and word
    pairs (those the training calls use), then multinomial logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    def words():
        hashed = HashingVectorizer(
            n_features=HASHED_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None,
            strip_accents="unicode", lowercase=True,
        )  # fmt: skip
        return Pipeline([
            ("hashed", hashed), ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("used", VarianceThreshold(0.0)),
        ])  # fmt: skip

    features = ColumnTransformer([("agent", words(), AGENT), ("customer", words(), CUSTOMER)])
    classifier = LogisticRegression(C=4.0, max_iter=2_000, random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


def as_matrix(examples: Sequence[Example]) -> np.ndarray:
    """The examples' two texts as the (n, 2) object array the pipeline reads."""
    matrix = np.empty((len(examples), 2), dtype=object)
    matrix[:, AGENT] = [e.agent for e in examples]
    matrix[:, CUSTOMER] = [e.customer for e in examples]
    return matrix


@dataclass
class Trained:
    """A model per dimension, and every call's cross-validated score (from a model that
    never saw it) beside people's."""

    models: dict
    held_out: dict[str, list[int]]
    people: dict[str, list[int]]
    call_ids: dict[str, list[str]]


def train(
    examples: Sequence[Example],
    dimensions: Sequence[str],
    points: Sequence[int],
    seed: int = 0,
    minimum: int = DEFAULT_MIN_PER_POINT,
) -> Trained:
    """Train one model per dimension on ``examples``; raise TrainingError naming every
    dimension and score point with fewer than ``minimum`` reviewed calls."""
    problems = shortfalls(examples, dimensions, points, minimum)
    if problems:
        raise TrainingError(problems)
    with one_blas_thread():
        return _train(examples, dimensions, seed, minimum)


def one_blas_thread():
    """A context in which NumPy's BLAS uses one thread. The regressions' matrices are small:
    more threads only spin against each other (and against a server's other work)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _train(examples, dimensions, seed: int, minimum: int) -> Trained:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    models, held_out, people, call_ids = {}, {}, {}, {}
    for dimension in dimensions:
        rated = [e for e in examples if dimension in e.scores]
        x = as_matrix(rated)
        y = np.array([e.scores[dimension] for e in rated])
        splits = max(2, min(FOLDS, minimum))
        folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
        held_out[dimension] = cross_val_predict(pipeline(seed), x, y, cv=folds).tolist()
        people[dimension] = y.tolist()
        call_ids[dimension] = [e.call_id for e in rated]
        models[dimension] = pipeline(seed).fit(x, y)
    return Trained(models, held_out, people, call_ids)


def libraries() -> dict[str, str]:
    """The versions of the libraries a stored model depends on."""
    import numpy
    import scipy
    import sklearn
    import skops

    return {
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }

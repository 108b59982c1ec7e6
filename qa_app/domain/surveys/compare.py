"""The shared-language check and the survey's distributions, from plain records.

- QA × customer for the same calls: the cross-table (pandas.crosstab), Spearman's rank
  correlation (scipy.stats.spearmanr) with a seeded bootstrap interval
  (scipy.stats.bootstrap, BCa, pairs resampled together), and the calls where the two
  disagree most (QA in the top two points and the customer in the bottom two, or the reverse).
- Each item's full distribution by interaction type or channel, weighted to the interaction
  mix (qa_app.domain.rubrics.final_scores.mix_weights: the share of the type among all calls of the
  period over its share among the calls with an answer), with response rates and the mean by
  position shown.

Observational data: a correlation is an association between two ways of scoring, not proof
that either causes the other.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa_app.domain.rubrics.final_scores import mix_weights

MIN_PAIRS_FOR_INTERVAL = 10
CONFIDENCE = 0.95
N_RESAMPLES = 1999
SEED = 20261203
ASSOCIATION = (
    "An association between QA's score and the customer's answer on the same calls, not "
    "evidence that one causes the other; customers who answer are not all customers."
)
WEIGHTING = (
    "weighted to the interaction mix: each answer carries (share of its interaction type "
    "among all calls of the period) / (share among the calls with an answer to the item)"
)


@dataclass(frozen=True)
class Pair:
    """One call with both a QA final score on the dimension and a customer answer."""

    call_id: str
    qa: float
    customer: int


@dataclass
class Comparison:
    item: str
    dimension: str
    n: int
    spearman: float | None
    ci: tuple[float, float] | None
    crosstab: dict[str, dict[str, int]]
    disagreements: list[str]
    qa_high_customer_low: list[str] = field(default_factory=list)
    qa_low_customer_high: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The shape of ``qa-app survey compare --format json`` (issue 17), plus the note."""
        return {
            "item": self.item,
            "dimension": self.dimension,
            "n": self.n,
            "spearman": self.spearman,
            "ci": list(self.ci) if self.ci else None,
            "crosstab": self.crosstab,
            "disagreements": self.disagreements,
            "warnings": self.warnings,
            "note": ASSOCIATION,
        }


def _label(value: float) -> str:
    """``4`` for a whole score, ``3.5`` for a median between two reviews."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _rank_correlation(x, y, axis=-1):
    # Spearman's rho is Pearson's r of the mid-ranks (ties averaged, as spearmanr does);
    # written with scipy's rankdata and pearsonr so the bootstrap can work on a whole batch
    # of resamples at once (spearmanr has no axis for paired batches).
    from scipy import stats

    rx = stats.rankdata(x, axis=axis)
    ry = stats.rankdata(y, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return stats.pearsonr(rx, ry, axis=axis).statistic


def spearman_interval(
    qa: Sequence[float],
    customer: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> tuple[float | None, tuple[float, float] | None, list[str]]:
    """Spearman's rho (scipy.stats.spearmanr) and its bootstrap interval, with warnings."""
    from scipy import stats

    warnings: list[str] = []
    x, y = np.asarray(qa, dtype=float), np.asarray(customer, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        warnings.append(
            f"{len(x)} call(s) with both scores"
            + (", and one side never varies" if len(x) >= 3 else "")
            + ": no rank correlation can be computed"  # fmt: skip
        )
        return None, None, warnings
    rho = float(stats.spearmanr(x, y).statistic)
    if len(x) < MIN_PAIRS_FOR_INTERVAL:
        warnings.append(
            f"only {len(x)} calls with both scores: too few for an interval "
            f"(needs {MIN_PAIRS_FOR_INTERVAL}); read rho as a rough sign only"
        )
        return rho, None, warnings
    result = stats.bootstrap(
        (x, y),
        _rank_correlation,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="BCa",
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):
        warnings.append("the bootstrap interval could not be computed (too little variation)")
        return rho, None, warnings
    if len(x) < 30:
        warnings.append(f"only {len(x)} calls with both scores: the interval is wide")
    return rho, (float(low), float(high)), warnings


def compare(
    item: str,
    dimension: str,
    pairs: Iterable[Pair],
    qa_scale: tuple[int, int],
    customer_scale: tuple[int, int],
    *,
    seed: int = SEED,
    n_resamples: int = N_RESAMPLES,
) -> Comparison:
    """The shared-language check for one item and its rubric dimension."""
    import pandas as pd

    pairs = list(pairs)
    crosstab: dict[str, dict[str, int]] = {}
    if pairs:
        frame = pd.DataFrame({"qa": [p.qa for p in pairs], "customer": [p.customer for p in pairs]})
        table = pd.crosstab(frame["qa"], frame["customer"])
        crosstab = {
            _label(qa): {_label(c): int(n) for c, n in row.items() if n}
            for qa, row in table.iterrows()
        }
    rho, ci, warnings = spearman_interval(
        [p.qa for p in pairs], [p.customer for p in pairs], seed=seed, n_resamples=n_resamples
    )
    high_low, low_high = _disagreements(pairs, qa_scale, customer_scale)
    return Comparison(
        item,
        dimension,
        len(pairs),
        rho,
        ci,
        crosstab,
        [p.call_id for p in high_low + low_high],
        [p.call_id for p in high_low],
        [p.call_id for p in low_high],
        warnings,
    )


def _disagreements(pairs: list[Pair], qa_scale, customer_scale) -> tuple[list[Pair], list[Pair]]:
    """QA in its top two points with the customer in their bottom two, and the reverse;
    on the 5-point scales that is QA 4–5 and customer 1–2. Largest gap on the 0–1 scale first."""

    def unit(value, scale):
        return (value - scale[0]) / (scale[1] - scale[0])

    def gap(p: Pair) -> float:
        return abs(unit(p.qa, qa_scale) - unit(p.customer, customer_scale))

    qa_high = [p for p in pairs if p.qa >= qa_scale[1] - 1 and p.customer <= customer_scale[0] + 1]
    qa_low = [p for p in pairs if p.qa <= qa_scale[0] + 1 and p.customer >= customer_scale[1] - 1]
    order = lambda group: sorted(group, key=lambda p: (-gap(p), p.call_id))  # noqa: E731
    return order(qa_high), order(qa_low)


@dataclass(frozen=True)
class Answer:
    """One customer answer to one item, with what the weighting and grouping read."""

    call_id: str
    item: str
    score: int
    position: int | None
    interaction_type: str | None
    channel: str | None


def mix_weights_for(answers: Sequence[Answer], calls_by_type: Mapping) -> dict:
    """Interaction type -> weight for these answers (see WEIGHTING)."""
    return mix_weights(calls_by_type, Counter(a.interaction_type for a in answers))


def distribution(
    answers: Sequence[Answer], scale: Sequence[int], weights: Mapping, by: str | None = None
) -> dict[str, dict]:
    """Share of answers at each point (weighted to the mix), overall or per ``by`` group.

    Returns group -> {"n": answers, "shares": {point: weighted share}, "unweighted": {...}}.
    """
    groups: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        key = "all" if by is None else (getattr(answer, by) or "(blank)")
        groups[key].append(answer)
    result = {}
    for key in sorted(groups):
        members = groups[key]
        total = sum(weights.get(a.interaction_type, 0.0) for a in members)
        counts = Counter(a.score for a in members)
        weighted = Counter()
        for a in members:
            weighted[a.score] += weights.get(a.interaction_type, 0.0)
        result[key] = {
            "n": len(members),
            "shares": {p: (weighted[p] / total if total else None) for p in scale},
            "unweighted": {p: counts[p] / len(members) for p in scale},
        }
    return result


def mean_by_position(answers: Sequence[Answer]) -> dict[str, dict[int, tuple[int, float]]]:
    """Item -> position shown -> (answers, mean score): did the rotation matter?"""
    cells: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for a in answers:
        if a.position is not None:
            cells[a.item][a.position].append(a.score)
    return {
        item: {pos: (len(v), float(np.mean(v))) for pos, v in sorted(by_pos.items())}
        for item, by_pos in sorted(cells.items())
    }


def response_rates(links: Iterable[tuple[str | None, bool]]) -> dict[str, tuple[int, int]]:
    """Interaction type -> (links answered, links sent), from (type, answered) per link."""
    sent: Counter = Counter()
    answered: Counter = Counter()
    for kind, done in links:
        key = kind or "(blank)"
        sent[key] += 1
        answered[key] += bool(done)
    return {key: (answered[key], sent[key]) for key in sorted(sent)}

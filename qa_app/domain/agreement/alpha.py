"""Krippendorff's alpha: point estimate, disagreements, and two vectorised bootstraps.

Notation follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":
o is the coincidence matrix, n_c its margins, n the number of pairable values,
delta² the difference function of the level of measurement, and
alpha = 1 − D_o / D_e with D_o = Σ o·δ² / n and D_e = Σ n_c·n_k·δ² / (n(n − 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import krippendorff
import numpy as np

RELIABLE = 0.800
TENTATIVE = 0.667


@dataclass(frozen=True)
class AlphaPoint:
    alpha: float | None
    reason: str | None
    observed_disagreement: float | None
    expected_disagreement: float | None


def value_counts(matrix: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Units × values: how many raters gave each value to each unit (matrix is raters × units)."""
    counts = np.zeros((matrix.shape[1], len(domain)), dtype=np.int64)
    for index, value in enumerate(domain):
        counts[:, index] = (matrix == value).sum(axis=0)
    return counts


def pairable(counts: np.ndarray) -> np.ndarray:
    """Only the units with two or more values: the others cannot be compared."""
    return counts[counts.sum(axis=1) >= 2]


def distances(level: str, domain: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """δ² for every pair of values. ``n_c`` may be (V,) or (B, V) for one matrix per replicate."""
    if level == "nominal":
        delta = 1.0 - np.eye(len(domain))
        return np.broadcast_to(delta, n_c.shape[:-1] + delta.shape).copy()
    if level == "ordinal":
        # Sum of n_g from the lower to the higher value, minus half of each end.
        cumulative = np.cumsum(n_c, axis=-1)
        low = np.minimum.outer(np.arange(len(domain)), np.arange(len(domain)))
        high = np.maximum.outer(np.arange(len(domain)), np.arange(len(domain)))
        before_low = np.where(low > 0, np.take(cumulative, low - 1, axis=-1), 0.0)
        between = np.take(cumulative, high, axis=-1) - before_low
        ends = (n_c[..., :, None] + n_c[..., None, :]) / 2.0
        return (between - ends) ** 2
    difference = np.subtract.outer(domain, domain)
    if level == "interval":
        delta = difference**2
    elif level == "ratio":
        total = np.add.outer(domain, domain)
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = np.where(total == 0, 0.0, (difference / np.where(total == 0, 1, total)) ** 2)
    else:
        raise ValueError(f"unknown level of measurement '{level}'")
    return np.broadcast_to(delta, n_c.shape[:-1] + delta.shape).copy()


def pair_matrices(counts: np.ndarray) -> np.ndarray:
    """Each pairable unit's contribution to the coincidence matrix, flattened: (U, V·V)."""
    m = counts.sum(axis=1).astype(float)
    outer = counts[:, :, None] * counts[:, None, :]
    diagonal = counts[:, :, None] * np.eye(counts.shape[1])[None]
    return ((outer - diagonal) / (m - 1)[:, None, None]).reshape(len(counts), -1)


def alpha_point(counts: np.ndarray, domain: np.ndarray, level: str, raters: int) -> AlphaPoint:
    """Alpha (from the krippendorff package) and D_o, D_e, or a reason it is undefined."""
    counts = pairable(counts)
    if raters == 0:
        return AlphaPoint(None, "nobody scored this: every value is blank or N/A", None, None)
    if raters < 2:
        return AlphaPoint(
            None, "only one rater scored this, so there is nobody to agree with", None, None
        )
    if len(counts) == 0:
        return AlphaPoint(
            None,
            "no unit was scored by two or more raters, so there are no pairs of scores to compare",
            None,
            None,
        )
    v = len(domain)
    o = pair_matrices(counts).sum(axis=0).reshape(v, v)
    n_c = o.sum(axis=0)
    n = n_c.sum()
    delta = distances(level, domain, n_c)
    observed = float((o * delta).sum() / n)
    expected = float((np.outer(n_c, n_c) * delta).sum() / (n * (n - 1)))
    if expected == 0:
        used = [f"{domain[i]:g}" for i in np.flatnonzero(n_c)]
        return AlphaPoint(
            None,
            f"every pairable score is the same ({', '.join(used)}), so there "
            "is no variation to agree about and chance agreement is total",
            observed,
            expected,
        )
    value = float(
        krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level)
    )
    return AlphaPoint(value, None, observed, expected)


def bootstrap_units(
    counts: np.ndarray, domain: np.ndarray, level: str, indices: np.ndarray
) -> np.ndarray:
    """Alpha for each row of ``indices`` (B × U resamples of the pairable units).

    Vectorised: every replicate's coincidence matrix is a count-weighted sum of
    the units' own contributions, so B replicates cost two matrix products rather
    than B calls to alpha. The ordinal metric is recomputed per replicate from its
    own margins, exactly as alpha on the resampled data would. Undefined
    replicates (no variation) are NaN.
    """
    counts = pairable(counts)
    b, v = len(indices), len(domain)
    # How often each unit was drawn in each replicate (a row-wise bincount is the fastest way).
    weights = np.empty((b, len(counts)))
    for replicate, drawn in enumerate(indices):
        weights[replicate] = np.bincount(drawn, minlength=len(counts))
    o = (weights @ pair_matrices(counts)).reshape(b, v, v)
    n_c = o.sum(axis=1)
    n = n_c.sum(axis=1)
    delta = distances(level, domain, n_c)
    observed = (o * delta).sum(axis=(1, 2))
    expected = (n_c[:, :, None] * n_c[:, None, :] * delta).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1) * observed / expected, np.nan)


def resample_indices(units: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, units, size=(replicates, units))


def bootstrap_krippendorff(
    counts: np.ndarray,
    domain: np.ndarray,
    level: str,
    raters: int,
    replicates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Krippendorff's own bootstrap, as in the KALPHA macro (Hayes & Krippendorff 2007).

    It keeps D_e fixed and resamples M pairs of values from the observed
    coincidences, M = min(25·q, (m − 1)·n / 2) with q the non-empty cells of the
    coincidence matrix and m the number of raters; replicates below −1 are set to −1,
    and as many replicates of exactly 1 as chance alone would produce are set to 0
    (a sample of one diagonal cell has no variation, so alpha there is undefined).
    """
    counts = pairable(counts)
    v = len(domain)
    o = pair_matrices(counts).sum(axis=0).reshape(v, v)
    n_c = o.sum(axis=0)
    n = n_c.sum()
    delta = distances(level, domain, n_c)
    expected = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1))
    upper = np.triu_indices(v)
    probabilities = np.where(upper[0] == upper[1], o[upper], 2 * o[upper]) / n
    q = int(np.count_nonzero(o[upper]))
    draws = int(min(25 * q, (raters - 1) * n / 2))
    sampled = rng.multinomial(draws, probabilities / probabilities.sum(), size=replicates)
    alphas = 1.0 - (sampled @ delta[upper]) / (draws * expected)
    alphas = np.maximum(alphas, -1.0)
    diagonal_share = np.diag(o) / n
    ones = np.flatnonzero(alphas == 1.0)
    chance_ones = int(round(replicates * float((diagonal_share**draws).sum())))
    alphas[ones[:chance_ones]] = 0.0
    return alphas


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    q_below: dict[str, float]
    replicates: int
    undefined: int
    method: str


def summarise_bootstrap(
    alphas: np.ndarray, method: str, confidence: float = 0.95
) -> Interval | None:
    """Percentile interval and q (share of replicates below 0.800 and 0.667)."""
    defined = alphas[np.isfinite(alphas)]
    if len(defined) == 0:
        return None
    tail = (1 - confidence) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return Interval(
        low=float(low),
        high=float(high),
        q_below={
            f"{RELIABLE:.3f}": float((defined < RELIABLE).mean()),
            f"{TENTATIVE:.3f}": float((defined < TENTATIVE).mean()),
        },
        replicates=len(alphas),
        undefined=int(len(alphas) - len(defined)),
        method=method,
    )

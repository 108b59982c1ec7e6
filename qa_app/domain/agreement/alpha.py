"""Krippendorff's alpha: point estimate, disagreements, and two vectorised bootstraps.

Notation follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":
o is the coincidence matrix, n_c its margins, n the number of pairable values,
delta² the difference function of the level of measurement, and
alpha = 1 − D_o / D_e with D_o = Σ o·δ² / n and D_e = Σ n_c·n_k·δ² / (n(n − 1)).

The ordinal δ² is Krippendorff's rank distance divided by n²: his is in counts², so
D_o and D_e grew with the square of the sample and could not be read or compared
between sessions. Divided, the distance between two values is the share of the
pairable values lying between them; alpha, a ratio, is unchanged.

The interval is over calls. Calls, not call × dimension pairs: the dimensions of one
call share the call (a hard call is hard on every dimension), so resampling the pairs as
if independent gave intervals that held the pooled alpha in 79% of simulated sessions
instead of 95%. It is alpha ± t × the jackknife standard error over calls (leave one call
out; chosen by the simulation grid in docs/statistics.md); the bootstrap over calls gives
q, the share of resamples below the bars, and the percentile interval when the jackknife
cannot be had. Both are vectorised: every replicate's coincidence matrix is a weighted sum
of the units' own, so B replicates and C jackknife samples cost a few matrix products
rather than B + C calls to alpha, which at 10,000 calls would cost far more than the
whole command may.
"""

from __future__ import annotations

import math
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
        # Sum of n_g from the lower to the higher value, minus half of each end; in shares
        # of n (see the module docstring), so it does not grow with the sample.
        total = n_c.sum(axis=-1, keepdims=True)
        n_c = n_c / np.where(total > 0, total, 1)
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


def alphas_from_coincidences(o: np.ndarray, domain: np.ndarray, level: str) -> np.ndarray:
    """Alpha for each coincidence matrix in ``o`` (R, V, V); NaN where there is no variation."""
    n_c = o.sum(axis=1)
    n = n_c.sum(axis=1)
    delta = distances(level, domain, n_c)
    observed = (o * delta).sum(axis=(1, 2))
    expected = (n_c[:, :, None] * n_c[:, None, :] * delta).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1) * observed / expected, np.nan)


def cluster_codes(clusters: np.ndarray | None, units: int) -> tuple[np.ndarray, int]:
    """Each pairable unit's cluster as 0..C−1, and C; without clusters every unit is its own."""
    if clusters is None:
        return np.arange(units), units
    _, codes = np.unique(clusters, return_inverse=True)
    return codes, int(codes.max()) + 1 if len(codes) else 0


# Replicates × clusters counted at once by bootstrap_units (about 2.5 MB of counts).
BOOTSTRAP_BLOCK_CELLS = 320_000


def bootstrap_units(
    counts: np.ndarray,
    domain: np.ndarray,
    level: str,
    indices: np.ndarray,
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    """Alpha for each row of ``indices`` (B × C resamples of the clusters).

    ``clusters`` gives each pairable unit's cluster (its call, when the units are
    call × dimension pairs); a drawn cluster brings all its units. Without it each
    pairable unit is a cluster. Vectorised: every replicate's coincidence matrix is a
    count-weighted sum of the units' own contributions, so B replicates cost one matrix
    product rather than B calls to alpha. The ordinal metric is recomputed per replicate
    from its own margins, exactly as alpha on the resampled data would. Undefined
    replicates (no variation) are NaN.
    """
    counts = pairable(counts)
    codes, c = cluster_codes(clusters, len(counts))
    b, v = len(indices), len(domain)
    parts = pair_matrices(counts)
    o = np.empty((b, v * v))
    # How often each cluster was drawn in each replicate, a block of replicates at a time:
    # one bincount over replicate-offset indices per block, the block small enough for its
    # counts to stay in the cache (a 1,000 × 10,000 table of counts took 0.25 s to fill;
    # blocks of 32 × 10,000 take a fifth of that and give the same sums).
    block = max(1, min(b, BOOTSTRAP_BLOCK_CELLS // max(c, 1)))
    for start in range(0, b, block):
        drawn = indices[start : start + block]
        offsets = (np.arange(len(drawn)) * c)[:, None]
        tally = np.bincount((drawn + offsets).ravel(), minlength=len(drawn) * c)
        tally = tally.reshape(len(drawn), c).astype(float)
        weights = tally if clusters is None else tally[:, codes]
        o[start : start + len(drawn)] = weights @ parts
    o = o.reshape(b, v, v)
    return alphas_from_coincidences(o, domain, level)


def jackknife_units(
    counts: np.ndarray, domain: np.ndarray, level: str, clusters: np.ndarray | None = None
) -> np.ndarray:
    """Alpha leaving out each cluster in turn (the interval's standard error comes from these).

    Vectorised like the bootstrap: the total coincidence matrix minus one cluster's part.
    """
    counts = pairable(counts)
    codes, c = cluster_codes(clusters, len(counts))
    v = len(domain)
    parts = pair_matrices(counts)
    if clusters is not None:
        summed = np.zeros((c, v * v))
        np.add.at(summed, codes, parts)
        parts = summed
    o = (parts.sum(axis=0)[None, :] - parts).reshape(c, v, v)
    return alphas_from_coincidences(o, domain, level)


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


# Below this many calls the bootstrap's picture of "other calls like these" is too coarse:
# in simulation intervals from 8 calls held the true alpha in well under 95% of sessions,
# and 3 or 8 calls in perfect agreement gave [1, 1].
MIN_CALLS = 20
KRIPPENDORFF_WARNING = (
    "Krippendorff's bootstrap, for comparison with Krippendorff's macro; not a confidence "
    "interval (in simulation it held the true alpha in 59–79% of sessions, not 95%)."
)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    q_below: dict[str, float]
    replicates: int
    undefined: int
    method: str
    kind: str = "percentile"  # "jackknife t" or "percentile"
    warning: str | None = None  # None: the interval can be read at face value
    warnings: tuple[str, ...] = ()  # the same, one reason each (a page says each once)
    # For raters like these, not only these (other_raters_interval); None below 3 raters.
    other_raters: tuple[float, float] | None = None


def jackknife_t_interval(
    estimate: float, jackknife: np.ndarray, confidence: float
) -> tuple[float, float] | None:
    """alpha ± t(C − 1) × the jackknife standard error over the C calls, or None.

    The delete-one jackknife's variance, (C − 1)/C · Σ(alpha_(c) − mean)², Efron & Tibshirani
    (1993), An Introduction to the Bootstrap, eq. 11.5; the t multiplier with C − 1 degrees
    of freedom widens it for small sessions. Chosen over BCa and the percentile interval
    because, in the simulation grid of docs/statistics.md (tests/domain/agreement/
    coverage_grid.py), it held the population alpha in 93.4–95.4% of sessions on average at
    every number of calls from 10 to 100, where BCa held it in 87–88% at 10 calls and 92% at
    20. None when the jackknife cannot be had (a left-out call leaves no variation, or
    fewer than three calls): the caller falls back to the percentile interval. The upper
    end is at most 1, alpha's ceiling.
    """
    variance = jackknife_variance(jackknife)
    if not variance:  # None, or no spread at all
        return None
    from scipy.special import stdtrit  # loaded with the interval only (0.25 s)

    calls = len(jackknife)
    error = math.sqrt(variance)
    multiplier = float(stdtrit(calls - 1, 1 - (1 - confidence) / 2))
    return estimate - multiplier * error, min(1.0, estimate + multiplier * error)


def jackknife_variance(left_out: np.ndarray) -> float | None:
    """(n − 1)/n · Σ(θ_(i) − mean)² over the n leave-one-out estimates, or None when any is
    undefined or there are fewer than three."""
    n = len(left_out)
    if n < 3 or not np.all(np.isfinite(left_out)):
        return None
    return (n - 1) / n * float(((left_out - left_out.mean()) ** 2).sum())


def other_raters_interval(
    estimate: float, call_jackknife: np.ndarray, rater_jackknife: np.ndarray, confidence: float
) -> tuple[float, float] | None:
    """An interval for raters like these, not only these: alpha ± z × sqrt(the jackknife
    variance over calls + the jackknife variance over raters), or None.

    The calls interval answers "these raters, on other calls like these"; when the raters
    stand for others (a customer panel drawn from the customers, a team that will change),
    alpha also varies with who rates. In the simulation grid, with raters drawn anew for each
    session, the calls interval held the raters' population alpha in 77–93% of sessions on
    average, this one in 94.5–97.1%. Needs three raters or more (leaving one of two out leaves
    nobody to agree with).
    """
    calls = jackknife_variance(call_jackknife)
    raters = jackknife_variance(rater_jackknife)
    if calls is None or raters is None:
        return None
    from statistics import NormalDist

    half = NormalDist().inv_cdf(1 - (1 - confidence) / 2) * math.sqrt(calls + raters)
    return estimate - half, min(1.0, estimate + half)


# Measured coverage of the 95% interval (jackknife t) with few calls, in the simulation grid of
# docs/statistics.md: fixed raters (3, 5 and 10), within-call correlation 0, 0.5 and 0.95, 0
# and 30% ratings missing, 300 sessions per cell, per dimension and overall.
SIMULATED_COVERAGE_AT_10_CALLS = "90–97% (93.7% on average)"


def summarise_bootstrap(
    alphas: np.ndarray,
    method: str,
    confidence: float = 0.95,
    estimate: float | None = None,
    jackknife: np.ndarray | None = None,
    calls: int | None = None,
) -> Interval | None:
    """The interval, q (share of replicates below 0.800 and 0.667) and what to beware of.

    The jackknife t interval when ``estimate`` and ``jackknife`` are given and it can be
    computed (see jackknife_t_interval for why); else the percentile interval of the
    resamples. q always comes from the resamples. The warning names every reason the
    interval should not be read at face value: few calls (with the coverage measured in
    simulation), undefined replicates, no width, no jackknife, or a method that is not a
    confidence interval at all.
    """
    defined = alphas[np.isfinite(alphas)]
    if len(defined) == 0:
        return None
    tail = (1 - confidence) / 2
    bounds = None
    if method != "krippendorff" and estimate is not None and jackknife is not None:
        bounds = jackknife_t_interval(estimate, jackknife, confidence)
    low, high = bounds or np.quantile(defined, (tail, 1 - tail))
    undefined = int(len(alphas) - len(defined))
    # Most important first: what the interval is not, then why it may mislead.
    warnings = []
    if method == "krippendorff":
        warnings.append(KRIPPENDORFF_WARNING)
    elif calls is not None and calls < MIN_CALLS:
        simulated = (
            f"with 10 calls it held the true alpha in {SIMULATED_COVERAGE_AT_10_CALLS} of "
            "simulated sessions, not 95%"
            + ("; fewer than 10 were not simulated and do worse" if calls < 10 else "")
        )
        warnings.append(
            f"Only {calls} call{'s' if calls != 1 else ''}: below {MIN_CALLS} the interval is "
            f"less reliable ({simulated}), and so is q, the share of resamples below "
            f"{RELIABLE:.3f} and {TENTATIVE:.3f}; score more calls."
        )
    if high - low < 1e-12:
        warnings.append(
            f"Every resample gave alpha {low:.3f}, so the interval has no width and q is 0 or "
            "1: that reflects how little data there is, not certainty (a q of 0 is not 'no "
            "chance of being below the bar')."
        )
    elif method != "krippendorff" and bounds is None:
        warnings.append(
            "The jackknife could not be computed (leaving out a call left no variation), so "
            "this is the plain percentile interval of the resamples, which held the true alpha "
            "less often in simulation."
        )
    if undefined:
        warnings.append(
            f"{undefined} of {len(alphas)} resamples ({100 * undefined / len(alphas):.0f}%) "
            "had every score the same, so alpha was undefined in them; they were left out, "
            "and the interval describes the others."
        )
    return Interval(
        low=float(low),
        high=float(high),
        q_below={
            f"{RELIABLE:.3f}": float((defined < RELIABLE).mean()),
            f"{TENTATIVE:.3f}": float((defined < TENTATIVE).mean()),
        },
        replicates=len(alphas),
        undefined=undefined,
        method=method,
        kind="jackknife t" if bounds else "percentile",
        warning=" ".join(warnings) or None,
        warnings=tuple(warnings),
    )

"""Intervals and adjustment for the outcome comparison, from statsmodels, scipy and svy.

We prepare the numbers and say what they mean; the estimators are the libraries':

- **Difference of two rates**: Newcombe's hybrid score interval (Newcombe 1998, method 10:
  Wilson intervals for each side, combined), ``statsmodels ... confint_proportions_2indep(
  method="newcomb")``. Unlike the Wald interval it never leaves [-1, 1] and does not
  collapse to [0, 0] when a small side has all or none of its calls saved.
- **Weighted differences** (rates and means): from the design, by svy (Taylor
  linearisation; ``survey_estimates.domain_differences``, svy's contrast of domain means).
  Each side's figure is a Hájek ratio Σwy / Σw over the calls of its domain; the
  difference's variance is the Taylor linearisation of the two domain means within the
  design's strata (the sampling plan's strata, or the interaction type for mix weights), with
  each stratum's finite population correction where its population size is known, and calls
  outside both sides (other save scripts, flag unknown) kept in the design with a zero
  deviate. The interval is t on the design's degrees of freedom (calls minus strata); a rate
  difference's is clipped to ±100%. A stratum with one call is centred on the overall mean
  (svy's "center", R survey's lonely.psu = "adjust"). The comparison batches the domains:
  one svy estimate per cut, flag and kind of group (by value, or all), every group's pair of
  domains in it (outcome_comparison.Comparison.design_intervals). svy's kernel passes over
  the calls once per domain, so this costs time in proportion to calls × domains. Measured
  for the main comparison and every equity segment with 6 flags, 5 save scripts and 6
  interaction types (396 intervals, 840 domains in 48 svy estimates): 8.8 s of CPU at
  100,000 calls and 61 s at 1,000,000 (wall clock 20 s and 158 s on a loaded two-core
  machine); the hand-written per-stratum sums this replaced took about 1.3 s of CPU at
  either size. A year of calls makes the export wait about a minute or more for these
  intervals: the price of using the library's estimator rather than our own.
  tests/domain/flags/test_comparison_design_intervals.py checks it against
  ``survey_estimates.design_difference`` on the same calls, and its coverage in a seeded
  stratified-sampling simulation. With no weights (every call weight 1, one stratum) the
  weighted difference is the crude one and so is its interval.
- **Standardised rates**: Newcombe's interval on Kish's effective sample size,
  n_eff = (Σw)² / Σw², with the standardised rate times n_eff as the (fractional) count — the
  effective-n Wilson approach for survey proportions (Korn & Graubard 1998; Dean & Pagano
  2015). Chosen over a bootstrap because it needs only the streamed sums (no per-call
  resampling in the export's path) and keeps the score interval's behaviour at 0% and 100%.
- **Differences of means** (numeric outcomes): Welch's interval, with the t quantile from
  scipy; standardised figures put n_eff in place of n.
- **Adjusted difference**: ordinary least squares of the outcome on the flag plus interaction
  type, agent tenure band and channel band (statsmodels, HC3 robust standard errors).
  For a rate this is a linear probability model: its flag coefficient is in the same units as
  the differences (percentage points), which a logit's odds ratio is not; a robust (sandwich)
  variance covers the heteroscedasticity a 0/1 outcome always has. HC3 rather than HC1
  because the comparison's cells are small: in the seeded simulation (confounded interaction
  types, 400 samples each of 30 and 40 calls) HC1's interval held the true within-type
  difference in 89.5% and 92.3% of them, HC3's in 93.8% and 95.0% (Long & Ervin 2000
  recommend HC3 below 250 observations).

Coverage, measured (tests/domain/flags/test_comparison_statistics.py and
test_comparison_design_intervals.py, seeded): Newcombe at 12 calls a side and the weighted
(design-based) interval hold about 95%. The **standardised** interval is
conservative: it held the true within-type difference in 96.7% of 300 simulated 40-call
samples, because Kish's effective n charges it with the outcome's whole variance, including
the part that differs between interaction types, which standardising has already removed.
A narrower, stratified variance would need each type's sums in the JSON's place of the
effective n; a conservative figure errs on the side a reader can stand behind.

None of these makes a comparison causal: calls with and without a flag differ in ways no
column records, so every figure is an association.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

ASSOCIATION_LABEL = (
    "Association, not effect: calls with and without the flag differ in other ways too."
)
WEIGHTED_METHOD = (
    "design-based: difference of Hájek weighted means, Taylor linearisation with the design's "
    "strata and finite population correction, t interval on the design's degrees of freedom, "
    "95% (unweighted calls: the crude interval)"
)
INTERVAL_METHODS = {
    "rate": {
        "ci": "Newcombe hybrid score interval (Wilson for each side), 95%",
        "weighted_ci": WEIGHTED_METHOD + ", clipped to ±100%",
        "standardized_ci": "Newcombe hybrid score interval on Kish effective n, 95%",
        "standardized": "sum over interaction types of the type's share times the "
        "difference within it",
        "adjusted": "linear probability model (OLS) on flag + interaction type + agent tenure "
        "band + channel band, HC3 robust standard errors, 95%; main comparison only",
    },
    "mean": {
        "ci": "Welch t interval, 95%",
        "weighted_ci": WEIGHTED_METHOD,
        "standardized_ci": "Welch t interval on Kish effective n, 95%",
        "standardized": "sum over interaction types of the type's share times the "
        "difference within it",
        "adjusted": "OLS on flag + interaction type + agent tenure band + channel band, "
        "HC3 robust standard errors, 95%; main comparison only",
    },
}
ALPHA = 0.05


def effective_n(w: float, w2: float) -> float:
    """Kish's effective sample size (Σw)² / Σw²: how many equally weighted calls the
    weighted ones are worth. Unweighted, it is the count."""
    return w * w / w2 if w2 > 0 else 0.0


def rate_difference_interval(
    p1: float | None, n1: float, p0: float | None, n0: float
) -> list[float] | None:
    """95% Newcombe interval for p1 - p0, with n the (possibly effective) sample sizes."""
    if p1 is None or p0 is None or n1 <= 0 or n0 <= 0:
        return None
    from statsmodels.stats.proportion import confint_proportions_2indep

    # Weighted rates can stray past [0, 1] by a rounding error; the counts must not.
    p1, p0 = min(1.0, max(0.0, p1)), min(1.0, max(0.0, p0))
    low, high = confint_proportions_2indep(
        p1 * n1, n1, p0 * n0, n0, method="newcomb", compare="diff", alpha=ALPHA
    )
    return [max(-1.0, float(low)), min(1.0, float(high))]


def mean_difference_interval(
    m1: float | None, var1: float | None, n1: float, m0: float | None, var0: float | None, n0: float
) -> list[float] | None:
    """95% Welch interval for m1 - m0 from each side's mean, variance and (effective) n."""
    if None in (m1, m0, var1, var0) or n1 < 2 or n0 < 2:
        return None
    from scipy import stats

    se1, se0 = var1 / n1, var0 / n0
    se = math.sqrt(se1 + se0)
    difference = m1 - m0
    if se == 0:
        return [difference, difference]
    # Welch-Satterthwaite degrees of freedom, as scipy.stats.ttest_ind(equal_var=False) uses.
    df = (se1 + se0) ** 2 / (se1**2 / (n1 - 1) + se0**2 / (n0 - 1))
    half = float(stats.t.ppf(1 - ALPHA / 2, df)) * se
    return [difference - half, difference + half]


def adjusted_difference(
    y: np.ndarray,
    flag: np.ndarray,
    covariates: list[np.ndarray],
    rate: bool,
    counts: np.ndarray | None = None,
) -> tuple[float | None, list[float] | None, str | None]:
    """The flag's OLS coefficient adjusted for categorical ``covariates`` (integer codes),
    its 95% HC3 interval, and why it is missing when it is.

    ``counts``: how many calls each row stands for. The comparison passes one row per
    distinct (cell, outcome value) — a few hundred rows instead of a year of calls — and
    statsmodels' GLM (Gaussian, identity link: OLS) takes them as frequency weights, which
    gives OLS's coefficients exactly. HC3 (MacKinnon & White 1985) divides each call's
    residual by 1 − its leverage; every call of a row shares the row's covariates, hence
    its leverage, so the sandwich is summed over rows times their counts (:func:`_hc3`):
    the calls need not be expanded, which a year of them would make costly. A test checks
    the result against ``statsmodels.formula.api.ols(...).fit(cov_type="HC3")`` on the
    calls themselves.

    Each covariate becomes indicator columns, its first level present left out; a covariate
    with one level here (e.g. channel within the voice segment) adds nothing and is dropped.
    """
    counts = np.ones(len(y)) if counts is None else np.asarray(counts, dtype=float)
    y = np.asarray(y, dtype=float)
    n = float(counts.sum())
    with_flag = float(counts[flag == 1].sum())
    if with_flag == 0 or with_flag == n:
        return None, None, "one side has no calls"
    if np.ptp(y) == 0:
        # Robust standard errors would be 0 and the interval a point: nothing to estimate.
        return None, None, "every call has the same outcome"
    columns = [np.ones(len(y)), flag.astype(float)]
    for codes in covariates:
        levels = np.unique(codes)
        columns += [(codes == level).astype(float) for level in levels[1:]]
    design = np.column_stack(columns)
    rank = np.linalg.matrix_rank(design)
    if rank <= np.linalg.matrix_rank(np.delete(design, 1, axis=1)):
        # The flag is fixed within every covariate cell: nothing is left to compare.
        return None, None, "the flag cannot be told apart from interaction type, tenure and channel"
    if n <= rank + 1:
        return None, None, "too few calls for the adjusted model"
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        # A Gaussian model that fits every call exactly is caught below, by its zero error.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = sm.GLM(y, design, family=sm.families.Gaussian(), freq_weights=counts).fit()
    error = _hc3(design, y - design @ fit.params, counts, fit.normalized_cov_params)
    if not error > 0:
        return None, None, "the model fits every call exactly, so it has no error to measure"
    estimate = float(fit.params[1])
    half = float(stats.norm.ppf(1 - ALPHA / 2)) * error
    low, high = estimate - half, estimate + half
    if rate:
        # A linear probability model's interval can pass ±100%, which no rate difference can.
        low, high = max(-1.0, low), min(1.0, high)
    return estimate, [low, high], None


def _hc3(design: np.ndarray, residuals: np.ndarray, counts: np.ndarray, bread: np.ndarray):
    """The flag's (column 1's) HC3 standard error from rows that stand for ``counts`` calls.

    ``bread`` is (X'CX)⁻¹ over the calls (the GLM's normalized_cov_params with frequency
    weights). A call's leverage is x'(X'CX)⁻¹x, the same for every call of its row. A call
    with leverage 1 is fitted exactly by a parameter of its own (a cell of one call): its
    residual is 0 and it adds nothing, where the formula's 0/0 would make the whole error
    undefined.
    """
    leverage = np.einsum("ij,jk,ik->i", design, bread, design)
    scaled = np.divide(
        residuals,
        1 - leverage,
        out=np.zeros_like(residuals),
        where=leverage < 1 - 1e-10,
    )
    meat = (design * (counts * scaled**2)[:, None]).T @ design
    return math.sqrt(max(0.0, float((bread @ meat @ bread)[1, 1])))

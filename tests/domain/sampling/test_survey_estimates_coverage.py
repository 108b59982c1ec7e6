"""Coverage of design_estimates' intervals, by seeded simulation of stratified sampling.

A fixed population of 9,800 calls in five interaction types: four small, hard strata
(600/500/400/300 calls, flag rates 0.55/0.45/0.40/0.35) and one large, easy one (8,000 calls,
flag rate 0.10). Each draw is a stratified simple random sample without replacement that
oversamples the small strata; each sampled call is weighted N_h / n_h and the stratum sizes
are passed for the finite population correction.

Coverage bounds: with D independent draws the number of covering intervals is Binomial(D, c)
for the method's true coverage c. At D = 500 and the band [92%, 98%], a method with c = 95%
falls outside with probability 0.15% (below) + 0.02% (above); with c = 94% or c = 96.5%
(a slightly liberal, or a conservative, correct method) 2.8% and 1.9%. D = 500 keeps the
three simulations at about 15 s (about 8 ms per design_estimates call). The seeds are fixed, so
each run is the same; the band says how far the measured figure may sit from 95% by chance.
"""

from __future__ import annotations

import numpy as np

from qa_app.domain.sampling.estimates import DesignCall, design_estimates

STRATUM_SIZES = {"billing": 600, "cancellation": 500, "complaint": 400, "escalation": 300}
STRATUM_SIZES["general"] = 8000
FLAG_RATES = {"billing": 0.55, "cancellation": 0.45, "complaint": 0.40, "escalation": 0.35}
FLAG_RATES["general"] = 0.10
SCORE_MEANS = {"billing": 62.0, "cancellation": 55.0, "complaint": 48.0, "escalation": 45.0}
SCORE_MEANS["general"] = 80.0
DRAWS = 500
COVERAGE_BAND = (0.92, 0.98)


def _flag_population() -> dict[str, np.ndarray]:
    """Exactly round(N_h * p_h) flagged calls per stratum: true rate 1620 / 9800 = 0.1653."""
    population = {}
    for stratum, size in STRATUM_SIZES.items():
        flagged = round(size * FLAG_RATES[stratum])
        population[stratum] = np.r_[np.ones(flagged), np.zeros(size - flagged)]
    return population


def _score_population(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Right-skewed scores (gamma, shape 8) whose stratum means differ by up to 35 points."""
    return {
        stratum: rng.gamma(shape=8.0, scale=SCORE_MEANS[stratum] / 8.0, size=size)
        for stratum, size in STRATUM_SIZES.items()
    }


def _true_value(population: dict[str, np.ndarray]) -> float:
    return sum(v.sum() for v in population.values()) / sum(STRATUM_SIZES.values())


def _simulate(population, sample_sizes, rate: bool, rng: np.random.Generator, draws: int):
    """Weighted and unweighted estimates, and where each interval missed the truth."""
    truth = _true_value(population)
    weighted, unweighted, below, above = [], [], 0, 0
    for _ in range(draws):
        calls = []
        for stratum, size in STRATUM_SIZES.items():
            n = sample_sizes[stratum]
            picked = population[stratum][rng.choice(size, n, replace=False)]
            calls += [DesignCall(float(v), size / n, stratum) for v in picked]
        result = design_estimates(calls, STRATUM_SIZES, rate=rate)[None]
        weighted.append(result.estimate)
        unweighted.append(result.unweighted)
        below += truth < result.ci[0]
        above += truth > result.ci[1]
    coverage = 1 - (below + above) / draws
    return truth, float(np.mean(weighted)), float(np.mean(unweighted)), coverage, below, above


# 40 calls from each small stratum (6.7-13% of it), 120 from the large one (1.5%).
OVERSAMPLED = {stratum: 40 for stratum in STRATUM_SIZES} | {"general": 120}


def test_weighted_rate_is_unbiased_and_its_interval_covers():
    """Measured (seed 20240611, 500 draws): mean weighted rate 0.1663 vs true 0.1653,
    mean unweighted rate 0.2939; Korn-Graubard 95% intervals cover in 96.6% of draws
    (9 missed low, 8 high). Slightly conservative, as expected: the interval's effective
    sample size is truncated at n."""
    rng = np.random.default_rng(20240611)
    truth, weighted, unweighted, coverage, below, above = _simulate(
        _flag_population(), OVERSAMPLED, True, rng, DRAWS
    )
    assert abs(weighted - truth) < 0.005, (
        f"mean weighted rate {weighted:.4f} vs true {truth:.4f} (Monte Carlo SE ~0.0011)"
    )
    assert unweighted - truth > 0.1, (
        f"unweighted rate {unweighted:.4f} should overstate the true {truth:.4f}: "
        "the oversampled strata flag 35-55% of calls, the large one 10%"
    )
    assert COVERAGE_BAND[0] <= coverage <= COVERAGE_BAND[1], (
        f"coverage {coverage:.3f} over {DRAWS} draws ({below} missed low, {above} high)"
    )


def test_weighted_mean_is_unbiased_and_its_interval_covers():
    """Measured (seed 20240612, 500 draws): mean weighted mean 75.20 vs true 75.21,
    mean unweighted mean 64.21; t 95% intervals cover in 94.8% of draws (8 missed low,
    18 high: the scores are right-skewed)."""
    rng = np.random.default_rng(20240612)
    population = _score_population(rng)
    truth, weighted, unweighted, coverage, below, above = _simulate(
        population, OVERSAMPLED, False, rng, DRAWS
    )
    assert abs(weighted - truth) < 0.5, (
        f"mean weighted score {weighted:.2f} vs true {truth:.2f} (Monte Carlo SE ~0.1)"
    )
    assert truth - unweighted > 8, (
        f"unweighted mean {unweighted:.2f} should understate the true {truth:.2f}: "
        "the oversampled strata score 45-62, the large one 80"
    )
    assert COVERAGE_BAND[0] <= coverage <= COVERAGE_BAND[1], (
        f"coverage {coverage:.3f} over {DRAWS} draws ({below} missed low, {above} high)"
    )


def test_rate_interval_undercovers_when_the_dominant_stratum_has_few_flags():
    """Known limit, not a target: with only 40 calls from the large stratum (82% of the
    population, flag rate 0.10, so ~4 flagged calls expected) the Korn-Graubard interval
    covers in about 91-92% of draws, not 95% (2,000 and 3,000 draws at other seeds: 91.0%
    and 92.1%), and
    nearly every miss is an interval lying wholly below the truth: the estimate's skew
    comes from one small binomial count, which the interval's effective sample size
    (for the overall rate of 0.165) does not capture.
    Measured (seed 20240613, 500 draws): 91.4%, 6 missed low, 37 missed high; mean weighted
    rate 0.1675 vs true 0.1653, unweighted 0.3716. Binomial(500, 0.915): P(coverage >= 94%)
    = 2.3%. The 2,000- and 3,000-draw runs put the coverage 7-8 binomial standard errors
    below 95%, so the shortfall is real (R's svyciprop(method="beta") does not truncate the
    effective sample size, so its interval is no wider and would not do better).
    If design_estimates' interval improves, move this design into the tests above.
    """
    rng = np.random.default_rng(20240613)
    sample_sizes = {stratum: 40 for stratum in STRATUM_SIZES}
    truth, weighted, unweighted, coverage, below, above = _simulate(
        _flag_population(), sample_sizes, True, rng, DRAWS
    )
    assert abs(weighted - truth) < 0.006, f"weighted {weighted:.4f}, true {truth:.4f}, MC SE .0017"
    assert unweighted - truth > 0.15, f"unweighted {unweighted:.4f} vs true {truth:.4f}"
    assert 0.86 <= coverage < 0.94, f"coverage {coverage:.3f} ({below} low, {above} high)"
    assert above >= 4 * below, f"misses should be lopsided: {below} low, {above} high"

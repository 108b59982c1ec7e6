"""The bootstraps, rater and unit diagnostics, and alpha's invariances (hypothesis)."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qa_app.domain.agreement import Rating, compute_agreement
from qa_app.domain.agreement.alpha import (
    alpha_point,
    bootstrap_krippendorff,
    bootstrap_units,
    jackknife_units,
    pairable,
    resample_indices,
    value_counts,
)
from tests.domain.agreement.agreement_data import krippendorff_2011_ratings

LEVELS = ["nominal", "ordinal", "interval", "ratio"]
DOMAIN = np.arange(1.0, 6.0)


def simulated(rng, raters=6, units=60, noise=0.7, missing=0.2):
    """raters × units scores on 1..5: a true score per unit plus rater noise, some missing."""
    truth = rng.integers(1, 6, size=units)
    matrix = np.clip(np.rint(truth[None, :] + rng.normal(0, noise, size=(raters, units))), 1, 5)
    matrix[rng.random(matrix.shape) < missing] = np.nan
    return matrix


def as_ratings(matrix, dimension="d"):
    return [
        Rating(f"u{j:03d}", f"r{i:02d}", dimension, float(matrix[i, j]))
        for i in range(matrix.shape[0])
        for j in range(matrix.shape[1])
        if not np.isnan(matrix[i, j])
    ]


matrices = st.builds(
    lambda seed, raters, units, noise: simulated(np.random.default_rng(seed), raters, units, noise),
    st.integers(0, 10_000),
    st.integers(2, 6),
    st.integers(3, 25),
    st.floats(0.0, 2.0),
)


@settings(max_examples=60, deadline=None)
@given(matrix=matrices, level=st.sampled_from(LEVELS), seed=st.integers(0, 1000))
def test_vectorised_bootstrap_equals_naive_replicate_for_replicate(matrix, level, seed):
    counts = value_counts(matrix, DOMAIN)
    usable = matrix[:, counts.sum(axis=1) >= 2]
    if usable.shape[1] == 0:
        return
    indices = resample_indices(usable.shape[1], 15, np.random.default_rng(seed))
    fast = bootstrap_units(counts, DOMAIN, level, indices)
    for replicate, drawn in enumerate(indices):
        naive = naive_alpha(usable[:, drawn], level)
        if np.isfinite(naive):
            assert fast[replicate] == pytest.approx(naive, abs=1e-9)
        else:  # no variation in this resample: the package divides 0 by 0, we say undefined
            assert np.isnan(fast[replicate])


def naive_alpha(sample, level):
    """krippendorff.alpha on one resample, NaN where it is undefined."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return float(
                krippendorff.alpha(
                    reliability_data=sample, value_domain=DOMAIN, level_of_measurement=level
                )
            )
        except ValueError:
            return float("nan")


@settings(max_examples=50, deadline=None)
@given(matrix=matrices, level=st.sampled_from(LEVELS), seed=st.integers(0, 1000))
def test_alpha_is_invariant_to_permuting_raters_and_units(matrix, level, seed):
    rng = np.random.default_rng(seed)
    shuffled = matrix[rng.permutation(matrix.shape[0])][:, rng.permutation(matrix.shape[1])]
    first = alpha_point(value_counts(matrix, DOMAIN), DOMAIN, level, matrix.shape[0]).alpha
    second = alpha_point(value_counts(shuffled, DOMAIN), DOMAIN, level, matrix.shape[0]).alpha
    assert (first is None and second is None) or first == pytest.approx(second, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), raters=st.integers(2, 8), level=st.sampled_from(LEVELS))
def test_perfect_agreement_with_variation_is_one(seed, raters, level):
    rng = np.random.default_rng(seed)
    truth = np.concatenate([[1.0, 5.0], rng.integers(1, 6, size=10).astype(float)])
    matrix = np.tile(truth, (raters, 1))
    assert alpha_point(value_counts(matrix, DOMAIN), DOMAIN, level, raters).alpha == 1.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), level=st.sampled_from(LEVELS))
def test_interval_contains_the_estimate_for_reasonable_data(seed, level):
    matrix = simulated(np.random.default_rng(seed), raters=5, units=80, noise=0.8)
    result = compute_agreement(as_ratings(matrix), level, replicates=500, seed=seed).dimensions["d"]
    assert result.interval.low <= result.alpha <= result.interval.high
    assert 0 <= result.interval.q_below["0.667"] <= result.interval.q_below["0.800"] <= 1


def test_seed_makes_the_interval_reproducible_and_b_is_respected():
    ratings = krippendorff_2011_ratings()
    first = compute_agreement(ratings, "ordinal", replicates=300, seed=7).dimensions["value"]
    second = compute_agreement(ratings, "ordinal", replicates=300, seed=7).dimensions["value"]
    other = compute_agreement(ratings, "ordinal", replicates=300, seed=8).dimensions["value"]
    assert first.interval == second.interval != other.interval
    assert first.interval.replicates == 300


def test_small_sessions_get_wider_intervals():
    rng = np.random.default_rng(5)
    big = simulated(rng, raters=5, units=400, noise=0.8)
    small = big[:, :15]
    wide = compute_agreement(as_ratings(small), "ordinal", 1000, seed=1).dimensions["d"].interval
    narrow = compute_agreement(as_ratings(big), "ordinal", 1000, seed=1).dimensions["d"].interval
    assert (wide.high - wide.low) > 2 * (narrow.high - narrow.low)


def test_krippendorff_bootstrap_is_bounded_and_centred():
    rng = np.random.default_rng(3)
    matrix = simulated(rng, raters=4, units=200, noise=0.9)
    counts = value_counts(matrix, DOMAIN)
    point = alpha_point(counts, DOMAIN, "interval", 4).alpha
    alphas = bootstrap_krippendorff(counts, DOMAIN, "interval", 4, 4000, np.random.default_rng(1))
    assert alphas.min() >= -1 and alphas.max() <= 1
    assert np.median(alphas) == pytest.approx(point, abs=0.03)
    result = compute_agreement(
        as_ratings(matrix), "interval", 2000, seed=2, method="krippendorff"
    ).dimensions["d"]
    assert result.interval.method == "krippendorff"
    assert result.interval.low < result.alpha < result.interval.high


def test_rater_diagnostics_find_the_lenient_and_the_random_rater():
    rng = np.random.default_rng(11)
    matrix = simulated(rng, raters=5, units=150, noise=0.4, missing=0.0)
    matrix[1] = np.clip(matrix[1] + 1, 1, 5)  # lenient: one point higher
    matrix[3] = rng.integers(1, 6, size=150).astype(float)  # scores at random
    report = compute_agreement(as_ratings(matrix), "ordinal").dimensions["d"]
    by_rater = {r.rater: r for r in report.rater_diagnostics}
    assert (
        by_rater["r01"].bias == max(r.bias for r in by_rater.values())
        and by_rater["r01"].bias > 0.5
    )
    worst = max(by_rater.values(), key=lambda r: r.effect_of_removing)
    assert worst.rater == "r03" and worst.alpha_without > report.alpha


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    raters=st.integers(2, 6),
    units=st.integers(1, 30),
    missing=st.sampled_from([0.0, 0.3, 0.7]),
    level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_without_a_rater_is_alpha_on_the_others_ratings(seed, raters, units, missing, level):
    """Leaving a rater out by subtracting their coincidences gives what the krippendorff
    package computes on the data without their row, or no alpha where it has none."""
    matrix = simulated(np.random.default_rng(seed), raters, units, 0.7, missing)
    assume(not np.isnan(matrix).all())
    report = compute_agreement(as_ratings(matrix), level).dimensions["d"]
    names = [f"r{i:02d}" for i in range(raters)]
    for diagnostics in report.rater_diagnostics:
        others = matrix[[i for i, name in enumerate(names) if name != diagnostics.rater]]
        counts = value_counts(others, DOMAIN)
        pairs = counts[counts.sum(axis=1) >= 2]
        used = pairs.sum(axis=0) > 0
        if len(pairs) == 0 or used.sum() < 2:  # nothing pairable, or no variation: undefined
            assert diagnostics.alpha_without is None
            continue
        expected = krippendorff.alpha(
            value_counts=counts, value_domain=DOMAIN, level_of_measurement=level
        )
        assert diagnostics.alpha_without == pytest.approx(expected, abs=1e-9)


def test_unit_diagnostics_rank_the_split_call_first():
    ratings = [
        Rating(u, r, "d", v)
        for u, r, v in [
            ("calm", "A", 4.0),
            ("calm", "B", 4.0),
            ("calm", "C", 4.0),
            ("split", "A", 1.0),
            ("split", "B", 5.0),
            ("split", "C", 3.0),
            ("close", "A", 2.0),
            ("close", "B", 3.0),
            ("close", "C", 2.0),
        ]
    ]
    units = compute_agreement(ratings, "interval").dimensions["d"].unit_diagnostics
    assert [u.unit for u in units] == ["split", "close", "calm"]
    assert units[0].spread == 4.0 and units[-1].disagreement == 0.0


def test_pairable_drops_single_value_units():
    counts = np.array([[1, 0], [1, 1], [0, 0]])
    assert pairable(counts).tolist() == [[1, 1]]


@pytest.mark.parametrize("level", ["ordinal", "interval"])
def test_interval_is_alpha_plus_minus_t_times_the_jackknife_error(level):
    """The interval is alpha ± t(C − 1) × the delete-one jackknife standard error (Efron &
    Tibshirani 1993, eq. 11.5), each left-out alpha from krippendorff.alpha itself and the
    multiplier from scipy.stats.t: on Krippendorff's (2011) reliability data."""
    from scipy import stats

    ratings = krippendorff_2011_ratings()
    rows = {r: i for i, r in enumerate("ABCD")}
    matrix = np.full((4, 12), np.nan)
    for rating in ratings:
        matrix[rows[rating.rater], int(rating.unit[-2:]) - 1] = rating.value
    usable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    result = compute_agreement(ratings, level, replicates=300, seed=11).dimensions["value"]
    assert result.interval.kind == "jackknife t"

    def alpha_of(units):
        return krippendorff.alpha(
            reliability_data=usable[:, units], value_domain=DOMAIN, level_of_measurement=level
        )

    calls = usable.shape[1]
    left_out = np.array([alpha_of(np.delete(np.arange(calls), c)) for c in range(calls)])
    error = np.sqrt((calls - 1) / calls * ((left_out - left_out.mean()) ** 2).sum())
    t = stats.t.ppf(0.975, calls - 1)
    estimate = alpha_of(np.arange(calls))
    assert result.interval.low == pytest.approx(estimate - t * error, abs=1e-9)
    assert result.interval.high == pytest.approx(min(1.0, estimate + t * error), abs=1e-9)


def test_an_interval_never_reaches_above_one():
    """Near-perfect agreement: the symmetric interval is cut at alpha's ceiling."""
    rng = np.random.default_rng(8)
    truth = rng.integers(1, 6, size=30).astype(float)
    matrix = np.vstack([truth, truth, truth])
    matrix[2, :2] = np.clip(matrix[2, :2] + 1, 1, 5)
    result = compute_agreement(as_ratings(matrix), "ordinal", replicates=200, seed=1)
    interval = result.dimensions["d"].interval
    assert interval.kind == "jackknife t" and interval.high == 1.0 and interval.low < 1.0


def test_cluster_jackknife_leaves_out_whole_calls():
    """Leaving out call c removes all its dimensions: alpha as if the call were never scored."""
    rng = np.random.default_rng(4)
    matrix = simulated(rng, raters=4, units=12, noise=0.8, missing=0.0)
    clusters = np.repeat(np.arange(6), 2)  # units 0-1 are call 0, 2-3 call 1, ...
    jackknife = jackknife_units(value_counts(matrix, DOMAIN), DOMAIN, "ordinal", clusters)
    for call in range(6):
        rest = matrix[:, clusters != call]
        expected = alpha_point(value_counts(rest, DOMAIN), DOMAIN, "ordinal", 4).alpha
        assert jackknife[call] == pytest.approx(expected, abs=1e-12)


def test_the_interval_for_other_raters_adds_the_raters_jackknife():
    """ci_other_raters = alpha ± 1.96 × sqrt(jackknife variance over calls + over raters),
    each left-out alpha from krippendorff.alpha itself; wider than the calls interval, and
    absent with two raters (leaving one out leaves nobody to agree with)."""
    from scipy import stats

    rng = np.random.default_rng(21)
    matrix = simulated(rng, raters=5, units=40, noise=0.8, missing=0.1)
    result = compute_agreement(as_ratings(matrix), "ordinal", replicates=200, seed=3)
    interval = result.dimensions["d"].interval

    def alpha_of(data):
        return krippendorff.alpha(
            reliability_data=data, value_domain=DOMAIN, level_of_measurement="ordinal"
        )

    usable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    estimate = alpha_of(usable)

    def variance(left_out):
        left_out = np.array(left_out)
        n = len(left_out)
        return (n - 1) / n * ((left_out - left_out.mean()) ** 2).sum()

    calls = variance([alpha_of(np.delete(usable, c, axis=1)) for c in range(usable.shape[1])])
    raters = variance([alpha_of(np.delete(matrix, r, axis=0)) for r in range(5)])
    half = stats.norm.ppf(0.975) * np.sqrt(calls + raters)
    assert interval.other_raters == pytest.approx((estimate - half, estimate + half), abs=1e-9)
    assert interval.other_raters[0] < interval.low and interval.other_raters[1] > interval.high
    two = compute_agreement(as_ratings(matrix[:2]), "ordinal", replicates=200, seed=3)
    assert two.dimensions["d"].interval.other_raters is None
    assert two.dimensions["d"].as_dict()["ci_other_raters"] is None

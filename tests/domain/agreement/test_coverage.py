"""Coverage: the 95% intervals hold a known population alpha in at least 93% of sessions.

Two seeded simulations. The first is a reduced copy of the grid in docs/statistics.md
(tests/domain/agreement/coverage_grid.py, which builds the whole table): three cells where the
old BCa interval held the true alpha in 85–92% of sessions (10 calls; 10 raters and
dimensions correlated at 0.95 over 20 calls; 5 raters with 30% of ratings missing over 40
calls), through the same functions compute_agreement uses for its interval. The second
keeps the earlier check that "overall" must leave out and resample whole calls: sessions
of 100 calls, 5 raters and 3 dimensions sharing a latent call quality.

The sessions go through the functions compute_agreement uses for its interval (the
bootstrap, the jackknife and summarise_bootstrap), not compute_agreement itself, whose
rater and call diagnostics would triple the time; test_overall_interval_is_the_cluster_
bootstrap checks that compute_agreement calls them this way.
"""

from __future__ import annotations

import functools

import numpy as np

from qa_app.domain.agreement import compute_agreement
from qa_app.domain.agreement.alpha import (
    alpha_point,
    bootstrap_krippendorff,
    bootstrap_units,
    cluster_codes,
    jackknife_units,
    resample_indices,
    summarise_bootstrap,
    value_counts,
)
from qa_app.domain.agreement.ratings import RatingColumns
from tests.domain.agreement.coverage_grid import Cell, run_cell

DOMAIN = np.arange(1.0, 6.0)
DIMENSIONS = ("acknowledgment", "clarity", "next_steps")
RATERS = 5
CALLS = 100
SESSIONS = 300
REPLICATES = 400
MINIMUM_COVERAGE = 0.92


def session(rng: np.random.Generator, calls: int) -> np.ndarray:
    """Scores as dimensions × raters × calls."""
    quality = rng.normal(0, 1.0, size=calls)
    truth = quality[None, :] + rng.normal(0, 0.5, size=(len(DIMENSIONS), calls))
    noise = rng.normal(0, 0.7, size=(len(DIMENSIONS), RATERS, calls))
    return np.clip(np.rint(3 + truth[:, None, :] + noise), 1, 5)


def pooled(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every call × dimension as one unit (raters × units), and each unit's call."""
    return np.concatenate(list(scores), axis=1), np.tile(np.arange(scores.shape[2]), len(scores))


@functools.cache
def population_alphas() -> dict[str, float]:
    """Alpha per dimension and pooled, from one very large session (sampling error ~0.002)."""
    scores = session(np.random.default_rng(2026), 200_000)
    alphas = {
        name: alpha_point(value_counts(scores[d], DOMAIN), DOMAIN, "ordinal", RATERS).alpha
        for d, name in enumerate(DIMENSIONS)
    }
    matrix, _ = pooled(scores)
    alphas["overall"] = alpha_point(value_counts(matrix, DOMAIN), DOMAIN, "ordinal", RATERS).alpha
    return alphas


def interval(matrix: np.ndarray, clusters: np.ndarray | None, seed: int):
    """The interval as compute_agreement makes it (method "units")."""
    counts = value_counts(matrix, DOMAIN)
    estimate = alpha_point(counts, DOMAIN, "ordinal", RATERS).alpha
    kept = None if clusters is None else clusters[counts.sum(axis=1) >= 2]
    calls = cluster_codes(kept, int((counts.sum(axis=1) >= 2).sum()))[1]
    indices = resample_indices(calls, REPLICATES, np.random.default_rng(seed))
    alphas = bootstrap_units(counts, DOMAIN, "ordinal", indices, kept)
    jackknife = jackknife_units(counts, DOMAIN, "ordinal", kept)
    return summarise_bootstrap(alphas, "units", 0.95, estimate, jackknife, calls)


REDUCED_GRID = (
    Cell(raters=3, calls=10, rho=0.0, raters_kind="fixed", missing=0.3),
    Cell(raters=10, calls=20, rho=0.95, raters_kind="fixed", missing=0.0),
    Cell(raters=5, calls=40, rho=0.5, raters_kind="fixed", missing=0.3),
)


def test_the_interval_holds_the_population_alpha_across_a_reduced_grid():
    """Each cell 120 sessions (480 dimension intervals, 120 overall); the shipped interval
    (jackknife t) pooled over the cells must hold the truth in at least 93% per target,
    where BCa, kept in the grid for comparison, held it less often."""
    runs = [run_cell(cell, 120, 300, population_calls=50_000) for cell in REDUCED_GRID]
    for target in ("dimension", "overall"):
        shipped = np.mean([run["coverage"][(target, "jackknife_t")] for run in runs])
        bca = np.mean([run["coverage"][(target, "bca")] for run in runs])
        print(f"\n{target}: jackknife t {shipped:.3f}, BCa {bca:.3f}")
        assert shipped >= 0.93, (target, [run["coverage"] for run in runs])
        assert shipped > bca


def test_intervals_hold_the_population_alpha_in_at_least_92_percent_of_sessions():
    truth = population_alphas()
    rng = np.random.default_rng(7)
    held = dict.fromkeys([*truth, "overall, pairs as if independent"], 0)
    for replication in range(SESSIONS):
        scores = session(rng, CALLS)
        matrix, calls = pooled(scores)
        results = {
            name: interval(scores[d], None, replication) for d, name in enumerate(DIMENSIONS)
        }
        results["overall"] = interval(matrix, calls, replication)
        # The old way, for contrast: every call × dimension resampled on its own.
        results["overall, pairs as if independent"] = interval(matrix, None, replication)
        for name, result in results.items():
            assert result.warning is None and result.kind == "jackknife t"  # 100 calls
            held[name] += result.low <= truth[name.split(",")[0]] <= result.high
    coverage = {name: count / SESSIONS for name, count in held.items()}
    print("\ncoverage of the 95% intervals:", coverage)
    naive = coverage.pop("overall, pairs as if independent")
    assert min(coverage.values()) >= MINIMUM_COVERAGE, coverage
    assert naive < coverage["overall"] - 0.05


def as_columns(scores: np.ndarray) -> RatingColumns:
    """The long ratings compute_agreement reads."""
    d, r, c = np.indices(scores.shape).reshape(3, -1)
    return RatingColumns(
        unit=np.array([f"call-{i:03d}" for i in range(scores.shape[2])], dtype=object)[c],
        rater=np.array([f"rater-{i}" for i in range(RATERS)], dtype=object)[r],
        dimension=np.array(DIMENSIONS, dtype=object)[d],
        number=scores.ravel(),
        label=np.full(scores.size, None, dtype=object),
        not_applicable=np.zeros(scores.size, dtype=bool),
        row=np.arange(2, scores.size + 2),
    )


def test_overall_interval_is_the_cluster_bootstrap():
    """compute_agreement resamples whole calls for "overall", as the simulation does."""
    scores = session(np.random.default_rng(3), CALLS)
    report = compute_agreement(as_columns(scores), "ordinal", REPLICATES, seed=5)
    # The pooled units sort by dimension within call; the same units in that order:
    matrix = np.stack([scores[:, :, c] for c in range(CALLS)], axis=2).transpose(1, 2, 0)
    matrix = matrix.reshape(RATERS, -1)
    calls = np.repeat(np.arange(CALLS), len(DIMENSIONS))
    expected = interval(matrix, calls, 5)
    assert (report.overall.interval.low, report.overall.interval.high) == (
        expected.low,
        expected.high,
    )
    for d, name in enumerate(DIMENSIONS):
        mine = interval(scores[d], None, 5)
        assert (report.dimensions[name].interval.low, report.dimensions[name].interval.high) == (
            mine.low,
            mine.high,
        )


def test_krippendorff_method_is_not_a_confidence_interval_and_says_so():
    """KALPHA's bootstrap keeps D_e fixed: it held the true alpha in 59% of 40-call and 79%
    of 100-call sessions (400 each, measured outside the suite); here 150 of 100 calls."""
    truth = population_alphas()["acknowledgment"]
    rng = np.random.default_rng(3)
    held = 0
    for replication in range(150):
        counts = value_counts(session(rng, CALLS)[0], DOMAIN)
        alphas = bootstrap_krippendorff(
            counts, DOMAIN, "ordinal", RATERS, REPLICATES, np.random.default_rng(replication)
        )
        result = summarise_bootstrap(alphas, "krippendorff", calls=CALLS)
        assert "not a confidence interval" in result.warning
        held += result.low <= truth <= result.high
    assert held / 150 < 0.88

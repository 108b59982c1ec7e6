"""The shared-language statistics: Spearman against a published example, the bootstrap
interval's coverage in a seeded simulation, distributions weighted to the mix checked by hand,
mean by position and response rates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from qa_app.domain.surveys.compare import (
    Answer,
    Pair,
    compare,
    distribution,
    mean_by_position,
    mix_weights_for,
    response_rates,
    spearman_interval,
)

# Wikipedia, "Spearman's rank correlation coefficient", section "Example": IQ and hours of
# television per week for ten people; rho = -29/165 = -0.175757..., p = 0.627188 (t test).
IQ = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
TV = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]


def test_spearman_matches_the_published_example():
    rho, _ci, _warnings = spearman_interval(IQ, TV)
    assert rho == pytest.approx(-29 / 165, abs=1e-12)
    assert stats.spearmanr(IQ, TV).pvalue == pytest.approx(0.627188, abs=1e-6)


def test_the_bootstrap_statistic_is_spearmans_rho_with_ties():
    # The interval resamples a batched rank correlation; on the sample itself it must equal
    # spearmanr, ties (every 5-point answer is tied with others) included.
    from qa_app.domain.surveys.compare import _rank_correlation

    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 6, size=(2, 50))
    assert _rank_correlation(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_interval_coverage_in_a_seeded_simulation():
    """Latent bivariate normal (rho 0.5) cut into two 5-point scales, as QA and customers
    answer; the population rank correlation comes from 400,000 draws. 300 samples of 60 calls:
    the 95% BCa intervals cover it close to 95% of the time (binomial 99% band 0.91–0.98)."""
    rng = np.random.default_rng(20261203)
    cuts = [-1.2, -0.4, 0.4, 1.2]

    def draw(n):
        z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
        return np.digitize(z[:, 0], cuts) + 1, np.digitize(z[:, 1], cuts) + 1

    truth = stats.spearmanr(*draw(400_000)).statistic
    covered = 0
    runs = 300
    for run in range(runs):
        _rho, ci, _w = spearman_interval(*draw(60), n_resamples=999, seed=run)
        covered += ci[0] <= truth <= ci[1]
    assert 0.91 <= covered / runs <= 0.98, covered / runs


def test_few_pairs_get_a_warning_instead_of_an_interval():
    rho, ci, warnings = spearman_interval([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert rho == pytest.approx(0.8) and ci is None and "too few for an interval" in warnings[0]
    rho, ci, warnings = spearman_interval([3] * 12, list(range(12)))
    assert rho is None and ci is None and "never varies" in warnings[0]


def test_crosstab_and_disagreements_on_both_scales():
    pairs = [Pair("a", 5, 1), Pair("b", 4, 2), Pair("c", 1, 5), Pair("d", 3, 3), Pair("e", 4.5, 1)]
    result = compare("felt_understood", "loop_closure", pairs, (1, 5), (1, 5))
    assert result.crosstab == {"1": {"5": 1}, "3": {"3": 1}, "4": {"2": 1}, "4.5": {"1": 1},
                               "5": {"1": 1}}  # fmt: skip
    assert result.qa_high_customer_low == ["a", "e", "b"]  # largest gap first
    assert result.qa_low_customer_high == ["c"]
    # On a 7-point customer scale the bottom two points are 1-2 and the top two 6-7.
    seven = compare("x", "y", [Pair("f", 5, 2), Pair("g", 5, 3), Pair("h", 1, 6)], (1, 5), (1, 7))
    assert seven.disagreements == ["f", "h"]


def test_distribution_weighted_to_the_mix_checked_by_hand():
    # All calls: 60 billing, 40 escalation. Answers: 2 billing (5, 5), 6 escalation
    # (1, 1, 1, 2, 2, 5): escalations answer far more often, so unweighted they dominate.
    answers = [Answer(f"b{i}", "felt_understood", 5, 1, "billing", "voice") for i in range(2)]
    answers += [
        Answer(f"e{i}", "felt_understood", s, 1, "escalation", "chat" if i < 3 else "voice")
        for i, s in enumerate((1, 1, 1, 2, 2, 5))
    ]
    weights = mix_weights_for(answers, {"billing": 60, "escalation": 40})
    # weight = share among calls / share among answers: 0.6 / 0.25 and 0.4 / 0.75.
    assert weights["billing"] == pytest.approx(2.4)
    assert weights["escalation"] == pytest.approx(0.4 / 0.75)
    overall = distribution(answers, range(1, 6), weights)["all"]
    # By hand: 0.6 x billing's distribution + 0.4 x escalation's.
    assert overall["shares"][5] == pytest.approx(0.6 * 1 + 0.4 * (1 / 6))
    assert overall["shares"][1] == pytest.approx(0.4 * (3 / 6))
    assert overall["shares"][2] == pytest.approx(0.4 * (2 / 6))
    assert overall["shares"][3] == 0 and overall["shares"][4] == 0
    assert overall["unweighted"][5] == pytest.approx(3 / 8) and overall["n"] == 8
    by_channel = distribution(answers, range(1, 6), weights, by="channel")
    assert by_channel["chat"]["shares"][1] == pytest.approx(1.0)  # three escalations, all 1
    # voice: 2 billing at 2.4 (score 5), escalation 2, 2, 5 at 0.533...
    voice_total = 2 * 2.4 + 3 * (0.4 / 0.75)
    assert by_channel["voice"]["shares"][5] == pytest.approx((4.8 + 0.4 / 0.75) / voice_total)


def test_mean_by_position_and_response_rates():
    answers = [
        Answer("a", "felt_understood", 5, 1, None, None),
        Answer("b", "felt_understood", 3, 1, None, None),
        Answer("c", "felt_understood", 2, 3, None, None),
        Answer("d", "felt_understood", 4, None, None, None),  # imported without position
    ]
    assert mean_by_position(answers) == {"felt_understood": {1: (2, 4.0), 3: (1, 2.0)}}
    rates = response_rates(
        [("billing", True), ("billing", False), ("escalation", True), (None, False)]
    )
    assert rates == {"(blank)": (0, 1), "billing": (1, 2), "escalation": (1, 1)}

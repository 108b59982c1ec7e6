"""Agreement statistics against published values, and the stated policy for degenerate data."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from qa_app.domain.agreement import Rating, RatingsError, compute_agreement
from tests.domain.agreement.agreement_data import PUBLISHED_ALPHA, krippendorff_2011_ratings


@pytest.mark.parametrize(("level", "published"), PUBLISHED_ALPHA.items())
def test_alpha_matches_krippendorff_2011(level, published):
    """Krippendorff (2011), Computing Krippendorff's Alpha-Reliability, section C."""
    result = compute_agreement(krippendorff_2011_ratings(), level).dimensions["value"]
    assert round(result.alpha, 3) == published
    assert result.alpha == pytest.approx(
        1 - result.observed_disagreement / result.expected_disagreement, abs=1e-12
    )
    assert (result.units, result.pairable_units, result.pairable_values, result.raters) == (
        12,
        11,
        40,
        4,
    )


def test_ac2_quadratic_matches_irrcac():
    """irrCAC (Gwet), gwet.ac1.raw(weights = "quadratic") on the Krippendorff (2011) data: 0.914."""
    result = compute_agreement(krippendorff_2011_ratings(), "ordinal").dimensions["value"]
    assert round(result.ac2, 3) == 0.914
    assert result.ac2_weights == "quadratic"


def test_percent_agreement_counts_rater_pairs():
    # Unit 1: 1,1,1 (3 agreeing pairs); unit 2: 2,2,3 (1 of 3 exact, 3 of 3 within one);
    # unit 3: 1,4 (0 of 1).
    ratings = [Rating("u1", r, "d", 1.0) for r in "ABC"]
    ratings += [
        Rating("u2", "A", "d", 2.0),
        Rating("u2", "B", "d", 2.0),
        Rating("u2", "C", "d", 3.0),
    ]
    ratings += [Rating("u3", "A", "d", 1.0), Rating("u3", "B", "d", 4.0)]
    result = compute_agreement(ratings, "ordinal").dimensions["d"]
    assert result.percent_agreement == pytest.approx(4 / 7)
    assert result.within_one_agreement == pytest.approx(6 / 7)


def test_overall_pools_unit_dimension_pairs():
    ratings = krippendorff_2011_ratings("acknowledgment") + krippendorff_2011_ratings("summary")
    report = compute_agreement(ratings, "interval")
    assert set(report.dimensions) == {"acknowledgment", "summary"}
    assert report.overall.units == 24 and report.overall.pairable_values == 80
    # Two copies of the same data: pooled alpha is close to, not equal to, the single alpha
    # (n grows, so the small-sample correction (n - 1) changes slightly).
    assert report.overall.alpha == pytest.approx(0.849, abs=0.01)


def single_rater():
    return [Rating(f"u{i}", "A", "d", float(i % 5 + 1)) for i in range(10)]


def no_pairs():
    return [Rating(f"u{i}", "AB"[i % 2], "d", float(i % 5 + 1)) for i in range(10)]


def all_identical():
    return [Rating(f"u{i}", r, "d", 4.0) for i in range(6) for r in "ABC"]


@pytest.mark.parametrize(
    ("make", "reason", "percent"),
    [
        (single_rater, "only one rater", None),
        (no_pairs, "no unit was scored by two or more raters", None),
        (all_identical, "every pairable score is the same (4)", 1.0),
    ],
)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_degenerate_data_gets_a_reason_not_nan(make, reason, percent, level):
    report = compute_agreement(make(), level, replicates=200, seed=1)
    result = report.dimensions["d"]
    assert result.alpha is None and reason in result.reason
    assert result.units > 0 and result.raters >= 1
    assert result.percent_agreement == percent
    assert result.interval is None
    text = json.dumps(report.as_dict(), allow_nan=False)  # raises on NaN or Infinity
    assert '"alpha": null' in text


def test_not_applicable_is_excluded_and_counted():
    ratings = [
        Rating(r.unit, r.rater, r.dimension, None, not_applicable=True)
        if (r.unit, r.rater) == ("unit-12", "C")
        else r
        for r in krippendorff_2011_ratings()
    ]
    result = compute_agreement(ratings, "ordinal").dimensions["value"]
    assert round(result.alpha, 3) == 0.815 and result.not_applicable == 1


def test_text_categories_at_the_nominal_level():
    ratings = [
        Rating(u, r, "d", v)
        for u, r, v in [
            ("1", "A", "calm"),
            ("1", "B", "calm"),
            ("2", "A", "upset"),
            ("2", "B", "calm"),
            ("3", "A", "upset"),
            ("3", "B", "upset"),
            ("4", "A", "calm"),
            ("4", "B", "calm"),
        ]
    ]
    result = compute_agreement(ratings, "nominal").dimensions["d"]
    assert result.percent_agreement == 0.75
    assert result.within_one_agreement is None and result.ac2_weights == "identity (AC1)"
    # Hand computation: o = [[4,1],[1,2]], n = 8, D_o = 2/8, D_e = 2·5·3/(8·7) → alpha = 0.5333.
    assert result.alpha == pytest.approx(1 - (2 / 8) / (30 / 56))


def test_ratings_off_the_rubric_scale_or_twice_are_refused():
    ratings = krippendorff_2011_ratings()
    with pytest.raises(RatingsError, match="value 5 is not on the rubric scale 1–4"):
        compute_agreement(ratings, "ordinal", scale=[1, 2, 3, 4])
    twice = [Rating("u1", "A", "d", 3.0, row=2), Rating("u1", "A", "d", 4.0, row=7)]
    with pytest.raises(
        RatingsError, match="row 7: rater 'A' already rated unit 'u1' on 'd' in row 2"
    ):
        compute_agreement(twice, "ordinal")


def test_rubric_scale_fixes_the_value_domain():
    # Only 2s and 4s used: with the 1-5 scale, AC2's categories are the five points.
    ratings = [Rating(f"u{i}", r, "d", 2.0 if i % 2 else 4.0) for i in range(6) for r in "AB"]
    ratings.append(Rating("u0", "C", "d", 2.0))
    on_scale = compute_agreement(ratings, "ordinal", scale=[1, 2, 3, 4, 5]).dimensions["d"]
    observed = compute_agreement(ratings, "ordinal").dimensions["d"]
    assert on_scale.alpha == pytest.approx(observed.alpha)
    assert on_scale.ac2 != observed.ac2


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: the
# coincidence matrix of the 4 observers × 12 units example (in thirds) and its margins
# n_c = 9, 13, 10, 5, 3, n = 40 pairable values, as printed there.
K2011_COINCIDENCES_IN_THIRDS = [
    [21, 4, 1, 1, 0],
    [4, 30, 4, 1, 0],
    [1, 4, 24, 1, 0],
    [1, 1, 1, 12, 0],
    [0, 0, 0, 0, 9],
]
K2011_MARGINS = [9, 13, 10, 5, 3]


def k2011_disagreements(delta) -> tuple[Fraction, Fraction]:
    """D_o = Σ o·δ² / n and D_e = Σ n_c·n_k·δ² / (n(n − 1)), the paper's definitions,
    in exact fractions from its printed coincidences."""
    n = sum(K2011_MARGINS)
    o = [[Fraction(x, 3) for x in row] for row in K2011_COINCIDENCES_IN_THIRDS]
    values = range(5)
    observed = sum(o[c][k] * delta(c, k) for c in values for k in values) / n
    expected = sum(
        K2011_MARGINS[c] * K2011_MARGINS[k] * delta(c, k) for c in values for k in values
    ) / (n * (n - 1))
    return observed, expected


def k2011_ordinal(c: int, k: int) -> Fraction:
    """The paper's ordinal metric, (Σ_{g=c..k} n_g − (n_c + n_k)/2)², divided by n²: the
    distance as a share of the pairable values, so D_o and D_e no longer grow with n²."""
    low, high = min(c, k), max(c, k)
    counts = sum(K2011_MARGINS[low : high + 1]) - Fraction(K2011_MARGINS[c] + K2011_MARGINS[k], 2)
    return (counts / sum(K2011_MARGINS)) ** 2


@pytest.mark.parametrize(
    ("level", "delta"),
    [
        ("nominal", lambda c, k: Fraction(int(c != k))),
        ("ordinal", k2011_ordinal),
        ("interval", lambda c, k: Fraction((c - k) ** 2)),
    ],
)
def test_disagreements_match_krippendorff_2011_normalised(level, delta):
    observed, expected = k2011_disagreements(delta)
    report = compute_agreement(krippendorff_2011_ratings(), level)
    result = report.dimensions["value"]
    assert result.observed_disagreement == pytest.approx(float(observed), rel=1e-12)
    assert result.expected_disagreement == pytest.approx(float(expected), rel=1e-12)
    assert round(float(1 - observed / expected), 3) == PUBLISHED_ALPHA[level]
    if level == "nominal":  # 8 of 40 values off the diagonal; 1216 of 1560 pairs differ
        assert (observed, expected) == (Fraction(1, 5), Fraction(1216, 1560))
    if level == "ordinal":
        # Shares of the 40 values: well under 1, where count² units gave 47.3 and 256.1.
        assert result.observed_disagreement < result.expected_disagreement < 1


def test_ordinal_disagreements_do_not_grow_with_the_sample():
    once = compute_agreement(krippendorff_2011_ratings(), "ordinal").dimensions["value"]
    tenfold = [
        Rating(f"{copy}-{r.unit}", r.rater, r.dimension, r.value)
        for copy in range(10)
        for r in krippendorff_2011_ratings()
    ]
    ten = compute_agreement(tenfold, "ordinal").dimensions["value"]
    assert ten.observed_disagreement == pytest.approx(once.observed_disagreement, rel=1e-9)
    # D_e's n(n − 1) small-sample correction moves it 2%; in count² units it grew 100-fold.
    assert ten.expected_disagreement == pytest.approx(once.expected_disagreement, rel=0.03)


def test_float_noise_is_rounded_before_output():
    """Rater r2's bias here is exactly 0; float arithmetic gave −8.9e-17."""
    scores = [[3, 3, 3, 2, 4], [1, 3, 2, 4, 4], [4, 5, 5, 1, 1], [1, 4, 5, 5, 4]]
    ratings = [
        Rating(f"u{j}", f"r{i}", "d", float(v))
        for i, row in enumerate(scores)
        for j, v in enumerate(row)
    ]
    others = [Fraction(sum(row[j] for row in scores) - scores[2][j], 3) for j in range(5)]
    assert sum(Fraction(scores[2][j]) - others[j] for j in range(5)) == 0
    report = compute_agreement(ratings, "ordinal")
    bias = {r["rater"]: r["bias"] for r in report.as_dict()["dimensions"]["d"]["rater_diagnostics"]}
    assert bias["r2"] == 0.0 and str(bias["r2"]) == "0.0"
    from qa_app.domain.agreement.formatting import format_table

    line = next(x for x in format_table(report).splitlines() if x.startswith("r2 "))
    assert "-0.00" not in line and " 0.00 " in line

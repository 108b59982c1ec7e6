"""Minimum detectable effect and power of a cluster-randomised experiment
(qa_app.domain.experiments.power), against Cohen's tables and the design-effect formula."""

from __future__ import annotations

import math

import pytest

from qa_app.domain.experiments.power import minimum_detectable_effect, power_for_effect


def _plain(**kwargs):
    """One call per unit and no clustering: the ordinary two-sample t test."""
    return {"baseline_mean": 0.0, "baseline_sd": 1.0, "calls_per_unit": 1, "icc": 0.0, **kwargs}


def test_cohens_table_two_sample_t_test():
    """Cohen (1988), Statistical Power Analysis for the Behavioral Sciences, 2nd ed., Table
    2.4.1 (two-sided α = 0.05, power 0.80): n = 64 per group for d = 0.5, n = 26 for d = 0.8,
    n = 393 for d = 0.2."""
    assert power_for_effect(
        effect=0.5, units_per_arm=64, binary=False, **_plain()
    ) == pytest.approx(0.80, abs=0.005)
    assert power_for_effect(
        effect=0.8, units_per_arm=26, binary=False, **_plain()
    ) == pytest.approx(0.80, abs=0.01)
    assert power_for_effect(
        effect=0.2, units_per_arm=393, binary=False, **_plain()
    ) == pytest.approx(0.80, abs=0.005)
    mde = minimum_detectable_effect(units_per_arm=64, binary=False, **_plain())
    assert mde["mde_standardised"] == pytest.approx(0.5, abs=0.005)
    assert mde["design_effect"] == 1.0 and mde["effective_n_per_arm"] == 64
    # one unit fewer per group and d = 0.5 is no longer reached at 80%
    assert power_for_effect(effect=0.5, units_per_arm=63, binary=False, **_plain()) < 0.80 < 0.8015


def test_the_mde_and_the_power_are_inverse_of_each_other():
    design = {"baseline_mean": 4.1, "baseline_sd": 0.9, "units_per_arm": 3, "calls_per_unit": 250,
              "icc": 0.03, "binary": False}  # fmt: skip
    mde = minimum_detectable_effect(power=0.9, **design)
    assert power_for_effect(effect=mde["mde"], **design) == pytest.approx(0.9, abs=1e-6)
    assert power_for_effect(effect=-mde["mde"], **design) == pytest.approx(0.9, abs=1e-6)
    assert power_for_effect(effect=mde["mde"] / 2, **design) < 0.9


def test_clustering_shrinks_the_sample_by_the_design_effect():
    """Design effect 1 + (m − 1)·ICC (Kish 1965; Donner & Klar 2000): 3 queues per arm × 200
    calls with ICC 0.05 → 10.95, so 600 calls per arm count as 54.8."""
    mde = minimum_detectable_effect(baseline_mean=0.3, baseline_sd=None, units_per_arm=3,
                                    calls_per_unit=200, icc=0.05, binary=True)  # fmt: skip
    assert mde["design_effect"] == pytest.approx(10.95)
    assert mde["effective_n_per_arm"] == pytest.approx(600 / 10.95)
    assert mde["sd"] == pytest.approx(math.sqrt(0.3 * 0.7))
    assert mde["df"] == 4  # degrees of freedom from the 6 queues, not the 1,200 calls
    assert mde["mde"] == pytest.approx(mde["mde_standardised"] * mde["sd"])
    unclustered = minimum_detectable_effect(baseline_mean=0.3, baseline_sd=None, units_per_arm=3,
                                            calls_per_unit=200, icc=0.0, binary=True)  # fmt: skip
    assert mde["mde"] > 2.5 * unclustered["mde"]
    assert "design effect is 1 + (200 − 1) × 0.05 = 10.95" in mde["explanation"]
    assert "percentage points" in mde["explanation"]


def test_a_design_too_small_for_a_rate_says_so():
    mde = minimum_detectable_effect(baseline_mean=0.9, baseline_sd=None, units_per_arm=2,
                                    calls_per_unit=50, icc=0.1, binary=True)  # fmt: skip
    assert any("above 100%" in w for w in mde["warnings"])


def test_a_design_whose_randomisation_test_can_never_reach_alpha_says_so():
    """Six queues, three per arm: C(6, 3) = 20 assignments, and a two-sided test counts the
    mirror image too, so the smallest p-value is 2/20 = 0.10."""
    design = {"baseline_mean": 4.0, "baseline_sd": 1.0, "calls_per_unit": 300, "icc": 0.05,
              "binary": False}  # fmt: skip
    six = minimum_detectable_effect(units_per_arm=3, **design)
    assert any("20 possible assignments" in w and "0.100" in w for w in six["warnings"])
    assert not minimum_detectable_effect(units_per_arm=5, **design)["warnings"]  # 2/252


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"units_per_arm": 1}, "units per arm must be a whole number of at least 2"),
        ({"units_per_arm": 2.5}, "units per arm must be a whole number"),
        ({"calls_per_unit": 0}, "calls per unit must be at least 1"),
        ({"icc": 1.5}, "ICC\\) must be between 0 and 1"),
        ({"alpha": 0}, "alpha must be between 0 and 1"),
        ({"power": 0.01}, "power must be between alpha"),
        ({"baseline_sd": None}, "standard deviation must be above 0"),
        ({"binary": True, "baseline_mean": 1.0}, "strictly between 0 and 1"),
    ],
)
def test_bad_designs_are_refused_with_a_clear_message(change, message):
    arguments = {"baseline_mean": 4.0, "baseline_sd": 1.0, "units_per_arm": 4,
                 "calls_per_unit": 100, "icc": 0.05, "binary": False, **change}  # fmt: skip
    with pytest.raises(ValueError, match=message):
        minimum_detectable_effect(**arguments)


def test_unequal_arms_follow_cohens_harmonic_mean_rule():
    """Cohen (1988), section 2.3.2: with unequal groups the tables are read at the harmonic
    mean n' = 2·n1·n2 / (n1 + n2). 48 treated and 96 control give n' = 64, the Table 2.4.1
    size for d = 0.5 at 80% power (measured 0.802); 2 trained and 4 control queues are the
    issue's pilot."""
    unequal = power_for_effect(
        effect=0.5, units_per_arm=48, control_units=96, binary=False, **_plain()
    )
    assert unequal == pytest.approx(0.80, abs=0.01)
    pilot = minimum_detectable_effect(units_per_arm=2, control_units=4, binary=False, **_plain())
    assert pilot["df"] == 4 and pilot["control_units"] == 4
    assert "2 treatment and 4 control units" in pilot["explanation"]
    # C(6, 2) = 15 assignments, no mirror image with unequal arms: p never below 1/15
    assert any("15 possible assignments" in w and "0.067" in w for w in pilot["warnings"])

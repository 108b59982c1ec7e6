"""Minimum detectable effect and power of a cluster-randomised experiment.

Calls of one queue or schedule block resemble each other, so m calls per unit carry the
information of only m / (1 + (m − 1)·ICC) independent calls (the design effect, Kish 1965;
Donner & Klar 2000). The power calculation is statsmodels' two-sample t test
(``TTestIndPower.power``) on that effective number of calls per arm, with the degrees of
freedom of the units (2 × units per arm − 2) rather than of the calls, because the analysis'
errors are clustered by unit. The minimum detectable effect is the standardised effect d at
which that power reaches the target (found by scipy's ``brentq``), times the metric's standard
deviation. For a rate (``binary``) the standard deviation is √(p(1 − p)) at the baseline rate —
the difference-in-means (linear probability) view the analysis itself takes.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["minimum_detectable_effect", "power_for_effect"]


def _design(baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, power, binary):
    if isinstance(units_per_arm, bool) or int(units_per_arm) != units_per_arm or units_per_arm < 2:
        raise ValueError(
            f"units per arm must be a whole number of at least 2; got {units_per_arm!r}"
        )
    if not calls_per_unit >= 1:
        raise ValueError(f"calls per unit must be at least 1; got {calls_per_unit!r}")
    if not 0 <= icc <= 1:
        raise ValueError(
            f"the intra-cluster correlation (ICC) must be between 0 and 1; got {icc!r}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    if power is not None and not alpha < power < 1:
        raise ValueError(f"power must be between alpha ({alpha}) and 1; got {power!r}")
    if binary:
        if not 0 < baseline_mean < 1:
            raise ValueError(
                f"a rate's baseline must be strictly between 0 and 1; got {baseline_mean!r}"
            )
        sd = math.sqrt(baseline_mean * (1 - baseline_mean))
    else:
        if baseline_sd is None or not baseline_sd > 0:
            raise ValueError(
                f"a mean's baseline standard deviation must be above 0; got {baseline_sd!r}"
            )
        sd = float(baseline_sd)
    deff = 1 + (calls_per_unit - 1) * icc
    n_eff = units_per_arm * calls_per_unit / deff
    df = 2 * int(units_per_arm) - 2
    return sd, deff, n_eff, df


def _power(d, n_eff, df, alpha):
    from statsmodels.stats.power import TTestIndPower

    power = float(TTestIndPower().power(d, n_eff, alpha, ratio=1, df=df, alternative="two-sided"))
    if np.isnan(power):
        # scipy's noncentral t returns NaN for the far (wrong-sign) tail when the noncentrality
        # is large and the degrees of freedom few; that tail is then negligible, so the power
        # is the near tail alone: the one-sided test at alpha / 2.
        power = float(
            TTestIndPower().power(d, n_eff, alpha / 2, ratio=1, df=df, alternative="larger")
        )
    return power


def power_for_effect(
    *,
    effect: float,
    baseline_mean: float,
    baseline_sd: float | None,
    units_per_arm: int,
    calls_per_unit: float,
    icc: float,
    alpha: float = 0.05,
    binary: bool,
) -> float:
    """Probability that the experiment finds a difference of ``effect`` (metric units)
    significant at ``alpha`` (two-sided), for the design described."""
    sd, _, n_eff, df = _design(
        baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, None, binary
    )
    return _power(abs(effect) / sd, n_eff, df, alpha)


def minimum_detectable_effect(
    *,
    baseline_mean: float,
    baseline_sd: float | None,
    units_per_arm: int,
    calls_per_unit: float,
    icc: float,
    alpha: float = 0.05,
    power: float = 0.8,
    binary: bool,
) -> dict:
    """The smallest difference the design detects with probability ``power``; with the design
    effect, effective sample size and a plain-words explanation of the calculation."""
    from scipy.optimize import brentq

    sd, deff, n_eff, df = _design(
        baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, power, binary
    )
    high = 1.0
    while _power(high, n_eff, df, alpha) < power:
        high *= 2
    d = float(brentq(lambda x: _power(x, n_eff, df, alpha) - power, 1e-9, high, xtol=1e-10))
    mde = d * sd
    unit = "percentage points" if binary else "of the metric's units"
    shown = f"{mde * 100:.1f} {unit}" if binary else f"{mde:.3g} {unit}"
    notes = []
    if binary and baseline_mean + mde > 1:
        notes.append("the detectable rise would take the rate above 100%: the design is too small")
    # Below 30 units the analysis uses randomisation inference, whose p-value cannot fall below
    # 2 / (number of equally likely assignments); strata only lower that number.
    n = int(units_per_arm)
    smallest_p = 2 / math.comb(2 * n, n)
    if 2 * n < 30 and smallest_p > alpha:
        notes.append(
            f"with {n} units per arm there are at most {math.comb(2 * n, n)} possible "
            f"assignments, so the randomisation test's p-value can never fall below "
            f"{smallest_p:.2f}: no result can reach α = {alpha:g}, whatever the effect; "
            "add units (or treat the experiment as a pilot)"
        )
    m = calls_per_unit
    explanation = (
        f"With {int(units_per_arm)} units per arm and about {m:g} calls each, and calls "
        f"of one unit correlated (ICC {icc:g}), the design effect is 1 + ({m:g} − 1) × "
        f"{icc:g} = {deff:.2f}: the {units_per_arm * m:g} calls per arm carry the "
        f"information of {n_eff:.1f} independent calls. A two-sided t test at α = {alpha:g} "
        f"on that many calls, with {df} degrees of freedom (units, not calls), reaches "
        f"{power:.0%} power for a standardised difference of {d:.3f} standard deviations; "
        f"with a standard deviation of {sd:.3g} that is a difference of {shown}. "
        "Smaller true effects may be missed."
    )
    return {
        "mde": mde,
        "mde_standardised": d,
        "baseline_mean": baseline_mean,
        "sd": sd,
        "design_effect": deff,
        "effective_n_per_arm": n_eff,
        "calls_per_arm": units_per_arm * calls_per_unit,
        "units_per_arm": int(units_per_arm),
        "calls_per_unit": calls_per_unit,
        "icc": icc,
        "alpha": alpha,
        "power": power,
        "df": df,
        "method": (
            "statsmodels TTestIndPower on the effective sample size (design effect), "
            "degrees of freedom from the units"
        ),
        "explanation": explanation,
        "warnings": notes,
    }

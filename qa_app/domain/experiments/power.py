"""Minimum detectable effect and power of a cluster-randomised experiment.

Calls of one queue or schedule block resemble each other, so m calls per unit carry the
information of only m / (1 + (m − 1)·ICC) independent calls (the design effect, Kish 1965;
Donner & Klar 2000). The power calculation is statsmodels' two-sample t test
(``TTestIndPower.power``) on that effective number of calls per arm, with the degrees of
freedom of the units (treatment units + control units − 2) rather than of the calls, because
the analysis' errors are clustered by unit. The minimum detectable effect is the standardised
effect d at which that power reaches the target (found by scipy's ``brentq``), times the
metric's standard deviation. For a rate (``binary``) the standard deviation is √(p(1 − p)) at
the baseline rate — the difference-in-means (linear probability) view the analysis itself
takes. Unequal arms (an allocation such as two of six queues trained): ``units_per_arm`` is the
treatment arm's units and ``control_units`` the control's, passed to statsmodels as its
``ratio``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["minimum_detectable_effect", "power_for_effect"]


def _design(
    baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, power, binary,
    control_units=None,
):  # fmt: skip
    control_units = units_per_arm if control_units is None else control_units
    for what, n in (("units per arm", units_per_arm), ("control units", control_units)):
        if isinstance(n, bool) or int(n) != n or n < 2:
            raise ValueError(f"{what} must be a whole number of at least 2; got {n!r}")
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
    df = int(units_per_arm) + int(control_units) - 2
    return sd, deff, n_eff, df, control_units / units_per_arm


def _power(d, n_eff, df, alpha, ratio=1.0):
    from statsmodels.stats.power import TTestIndPower

    power = float(
        TTestIndPower().power(d, n_eff, alpha, ratio=ratio, df=df, alternative="two-sided")
    )
    if np.isnan(power):
        # scipy's noncentral t returns NaN for the far (wrong-sign) tail when the noncentrality
        # is large and the degrees of freedom few; that tail is then negligible, so the power
        # is the near tail alone: the one-sided test at alpha / 2.
        power = float(
            TTestIndPower().power(d, n_eff, alpha / 2, ratio=ratio, df=df, alternative="larger")
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
    control_units: int | None = None,
) -> float:
    """Probability that the experiment finds a difference of ``effect`` (metric units)
    significant at ``alpha`` (two-sided), for the design described (``control_units``:
    the control arm's units when it differs from ``units_per_arm``, the treatment's)."""
    sd, _, n_eff, df, ratio = _design(
        baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, None, binary,
        control_units,
    )  # fmt: skip
    return _power(abs(effect) / sd, n_eff, df, alpha, ratio)


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
    control_units: int | None = None,
    smallest_p_value: float | None = None,
    distinct_assignments: int | None = None,
) -> dict:
    """The smallest difference the design detects with probability ``power``; with the design
    effect, effective sample size and a plain-words explanation of the calculation.

    ``units_per_arm`` is the treatment arm's units, ``control_units`` the control's (default
    the same). ``smallest_p_value`` / ``distinct_assignments``: the randomisation test's
    resolution worked out from the actual design (strata, allocation; experiment_assignment.
    design_resolution); without them it is C(units, treatment units) assignments of one
    stratum, the mirror image counted when the arms are equal."""
    from scipy.optimize import brentq

    sd, deff, n_eff, df, ratio = _design(
        baseline_mean, baseline_sd, units_per_arm, calls_per_unit, icc, alpha, power, binary,
        control_units,
    )  # fmt: skip
    n_c = int(units_per_arm if control_units is None else control_units)
    high = 1.0
    while _power(high, n_eff, df, alpha, ratio) < power:
        high *= 2
    d = float(brentq(lambda x: _power(x, n_eff, df, alpha, ratio) - power, 1e-9, high, xtol=1e-10))
    mde = d * sd
    unit = "percentage points" if binary else "of the metric's units"
    shown = f"{mde * 100:.1f} {unit}" if binary else f"{mde:.3g} {unit}"
    notes = []
    if binary and baseline_mean + mde > 1:
        notes.append("the detectable rise would take the rate above 100%: the design is too small")
    # Below 30 units the analysis uses randomisation inference, whose p-value cannot fall below
    # the chance of the most extreme assignment (and its mirror image) among the design's
    # equally likely ones; strata only lower their number.
    n = int(units_per_arm)
    if smallest_p_value is None:
        distinct_assignments = math.comb(n + n_c, n)
        smallest_p_value = (2 if n == n_c else 1) / distinct_assignments
    if n + n_c < 30 and smallest_p_value > alpha:
        many = f"{distinct_assignments} " if distinct_assignments else ""
        notes.append(
            f"with {n} treatment and {n_c} control units there are {many}possible "
            f"assignments, so the randomisation test's p-value can never fall below "
            f"{smallest_p_value:.3f}: no result can reach α = {alpha:g}, whatever the effect; "
            "read the experiment as an exploratory pilot, or add units"
        )
    m = calls_per_unit
    arms_text = f"{n} units per arm" if n == n_c else f"{n} treatment and {n_c} control units"
    explanation = (
        f"With {arms_text} and about {m:g} calls each, and calls "
        f"of one unit correlated (ICC {icc:g}), the design effect is 1 + ({m:g} − 1) × "
        f"{icc:g} = {deff:.2f}: the {units_per_arm * m:g} calls of the treatment arm carry the "
        f"information of {n_eff:.1f} independent calls"
        + (f" (the control's {n_c * m:g}, of {n_eff * ratio:.1f})" if n != n_c else "")
        + f". A two-sided t test at α = {alpha:g} "
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
        "control_units": n_c,
        "smallest_p_value": smallest_p_value,
        "distinct_assignments": distinct_assignments,
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

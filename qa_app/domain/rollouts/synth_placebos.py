"""Placebo inference for a synthetic control (qa_app.domain.rollouts.synth).

* In space: each donor in turn is refitted as if it had been rolled out to, with the other
  donors as its pool (the treated unit is left out of every pool: its post-rollout outcomes
  carry the effect under study); ``placebo_p_value`` is the treated unit's rank of the
  post/pre RMSPE ratio among all units (Abadie, Diamond & Hainmueller 2010, section 3.3).
* In time: the same fit with a fake rollout inside the pre-period, on pre-rollout data only.

pysyncon's ``PlaceboTest`` is not used: it always runs a process pool (a web worker must not
fork), prints progress to standard output (which would corrupt ``--format json``), and its
``pvalue`` counts the rollout period in both the pre and the post window and leaves the
treated unit out of the count, so its smallest p-value is 0 rather than 1/(J+1). The
placebos here are the same pysyncon fits, run one after another.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from qa_app.domain.rollouts.synth_fit import (
    MIN_PRE_PERIODS,
    fit_gaps,
    json_time,
    post_pre_ratio,
    rmspe,
)


def in_space_placebos(
    frame: pd.DataFrame,
    *,
    donors: list[str],
    pre_times: list[Any],
    **fit_args: Any,
) -> list[dict[str, Any]]:
    """Each donor refitted as if treated, the other donors as its pool (treated unit left out)."""
    placebos = []
    pool_frame = frame[frame[fit_args["unit"]].isin(donors)]
    for donor in donors:
        others = [d for d in donors if d != donor]
        _, path, synthetic = fit_gaps(
            pool_frame, treated=donor, donors=others, pre_times=pre_times, **fit_args
        )
        gap = path - synthetic
        is_pre = gap.index.isin(pre_times)
        placebos.append(
            {"unit": donor, "rmspe_ratio": post_pre_ratio(rmspe(gap[~is_pre]), rmspe(gap[is_pre]))}
        )
    return placebos


def failed_placebos(placebos: list[dict[str, Any]]) -> list[str]:
    """The donors whose placebo fit has no post/pre RMSPE ratio (NaN: both gaps are zero)."""
    return [p["unit"] for p in placebos if math.isnan(p["rmspe_ratio"])]


def placebo_p_value(treated_ratio: float, placebo_ratios: list[float]) -> float | None:
    """Share of all units (treated included) whose ratio is at least the treated unit's.

    A failed placebo (NaN ratio) is left out of both the count and the number of units: kept
    in the number of units only, it would make the p-value smaller than the ranks allow."""
    if math.isnan(treated_ratio):
        return None
    usable = [r for r in placebo_ratios if not math.isnan(r)]
    at_least = sum(1 for r in usable if r >= treated_ratio)
    return (1 + at_least) / (1 + len(usable))


def in_time_placebo(
    frame: pd.DataFrame,
    *,
    treated: str,
    donors: list[str],
    pre_times: list[Any],
    periods: int | None,
    warnings: list[str],
    **fit_args: Any,
) -> dict[str, Any] | None:
    """The fit with a fake rollout ``periods`` before the real one, on pre-period data only."""
    n_pre = len(pre_times)
    if periods is None:
        periods = n_pre // 2
    if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError(
            f"in_time_placebo_periods must be a whole number of 1 or more; got {periods!r}"
        )
    if n_pre - periods < MIN_PRE_PERIODS:
        warnings.append(
            f"No in-time placebo: a fake rollout {periods} period(s) before the real one "
            f"leaves {n_pre - periods} earlier period(s) to fit on; at least "
            f"{MIN_PRE_PERIODS} are needed."
        )
        return None
    fake_pre = pre_times[: n_pre - periods]
    pre_frame = frame[frame[fit_args["time"]].isin(pre_times)]
    _, path, synthetic = fit_gaps(
        pre_frame, treated=treated, donors=donors, pre_times=fake_pre, **fit_args
    )
    gap = path - synthetic
    is_fake_pre = gap.index.isin(fake_pre)
    estimate = float(gap[~is_fake_pre].mean())
    fake_pre_rmspe = rmspe(gap[is_fake_pre])
    if fake_pre_rmspe > 0 and abs(estimate) > 2 * fake_pre_rmspe:
        warnings.append(
            f"In-time placebo: with a fake rollout at {json_time(pre_times[n_pre - periods])!r} "
            f"the gap before the real rollout averages {estimate:.3g}, more than twice the fit "
            f"error ({fake_pre_rmspe:.3g}); the treated unit drifted from its synthetic control "
            "before the rollout, so the post-rollout gap may not be the rollout's doing."
        )
    return {
        "fake_start": pre_times[n_pre - periods],
        "estimate": estimate,
        "pre_rmspe": fake_pre_rmspe,
    }

"""Synthetic control for a rollout to one unit (queue or team), with placebo inference.

The estimator is pysyncon's ``Synth`` (Abadie & Gardeazabal 2003; Abadie, Diamond &
Hainmueller 2010): donor weights are non-negative and sum to one, chosen so that the weighted
donors match the treated unit's predictors before the rollout, with the predictor importances
(the V matrix) chosen to minimise the pre-rollout outcome error. This module only prepares the
panel, checks it, and turns pysyncon's fits into numbers a reader can use:

* the gap (treated minus synthetic) in every period, and ``att``, its mean after the rollout;
* ``pre_rmspe`` / ``post_rmspe``: root mean squared gap before / after the rollout, and their
  ratio;
* the in-space placebo p-value: each donor in turn is treated as if it had been rolled out to
  (with the other donors as its donor pool; the treated unit is left out of every placebo pool
  because its post-rollout outcomes carry the effect under study), and the p-value is the rank
  of the treated unit's post/pre RMSPE ratio among all units, divided by their number
  (Abadie, Diamond & Hainmueller 2010, section 3.3). With J donors the smallest possible value
  is 1/(J+1); there is no standard error or confidence interval. A placebo fit with no ratio
  (its gaps before and after are both zero) is left out of the rank and the count, with a
  warning;
* an in-time placebo: the same fit with a fake rollout date inside the pre-period, using only
  pre-rollout data; its estimate should be near zero.

Predictors. With none named, the donors are matched on the outcome itself: its pre-period
mean and its value at every pre-period time, each standardised across units and counted
equally (a fixed V), so the weights minimise the pre-period gap. With named ``predictors``,
the match is on their pre-period means plus the outcome's pre-period mean and its values at
the first, middle and last pre-period times (lagged outcomes, as ADH 2010 use cigarette sales
in 1975, 1980 and 1988), and the predictor importances V are chosen by pysyncon's search to
minimise the pre-period outcome error (Abadie & Gardeazabal's procedure).

The fit itself goes through qa_app.domain.rollouts.synth_fit (pysyncon's ``Synth``); the
placebos are in qa_app.domain.rollouts.synth_placebos, which explains why pysyncon's
``PlaceboTest`` is not used; the result and its JSON report are in
qa_app.domain.rollouts.synth_result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qa_app.domain.rollouts.periods import parse_period
from qa_app.domain.rollouts.synth_fit import (
    MIN_PRE_PERIODS,
    fit_gaps,
    json_time,
    outcome_lags,
    post_pre_ratio,
    rmspe,
)
from qa_app.domain.rollouts.synth_placebos import (
    failed_placebos,
    in_space_placebos,
    in_time_placebo,
    placebo_p_value,
)
from qa_app.domain.rollouts.synth_result import SynthResult

__all__ = ["synthetic_control"]

FEW_PRE_PERIODS = 5
MIN_DONORS = 2
# Pre-period fit is called poor when the pre-RMSPE exceeds this share of the outcome's
# pre-period standard deviation (pooled over all units and pre-period times).
POOR_FIT_SHARE = 0.5
WEIGHT_DIGITS = 3


# ---------------------------------------------------------------------------------------------
# Checking the panel


def _coerce_start(times: pd.Series, treatment_start: Any) -> Any:
    """treatment_start in the type of the time column, or a clear ValueError."""
    if pd.api.types.is_datetime64_any_dtype(times):
        try:
            return pd.Timestamp(treatment_start)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"treatment_start {treatment_start!r} is not a date, but the time column holds "
                "dates"
            ) from exc
    if pd.api.types.is_numeric_dtype(times):
        if isinstance(treatment_start, bool) or not isinstance(
            treatment_start, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"treatment_start {treatment_start!r} is not a number, but the time column "
                "holds numbers"
            )
        return treatment_start
    if not isinstance(treatment_start, str):
        raise ValueError(
            f"treatment_start {treatment_start!r} is not text, but the time column holds text "
            "(period strings such as 2024-03 are compared as text)"
        )
    return treatment_start


def _check_text_periods(times: pd.Series, treatment_start: Any) -> None:
    """Text periods are compared as text: a week or month label that is not zero-padded
    (2025-W9, sorting after 2025-W10) is refused, naming the padded form."""
    if pd.api.types.is_numeric_dtype(times) or pd.api.types.is_datetime64_any_dtype(times):
        return
    for text in [*pd.unique(times), treatment_start]:
        period = parse_period(text) if isinstance(text, str) else None
        if period is not None and period.label != text:
            raise ValueError(
                f"period {text!r} is not zero-padded: periods given as text are ordered as "
                f"text, where {text!r} would sort out of calendar order; write "
                f"{period.label!r} (ISO weeks as 2025-W09, months as 2025-03)"
            )


def _check_panel(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated_unit: str,
    predictors: Sequence[str],
) -> pd.DataFrame:
    """The panel with text unit labels, or a ValueError naming the problem."""
    if not isinstance(panel, pd.DataFrame):
        raise ValueError("the panel must be a table (pandas DataFrame)")
    wanted = [unit, time, outcome, *predictors]
    missing_cols = [c for c in dict.fromkeys(wanted) if c not in panel.columns]
    if missing_cols:
        raise ValueError(
            f"the panel has no column(s) {', '.join(map(repr, missing_cols))}; "
            f"columns are {', '.join(map(repr, panel.columns))}"
        )
    if outcome in predictors:
        raise ValueError(
            f"the outcome {outcome!r} is already used as a predictor (its pre-period mean and "
            "lags); leave it out of predictors"
        )
    frame = panel[list(dict.fromkeys(wanted))].copy()
    if frame[unit].isna().any() or frame[time].isna().any():
        row = int(np.flatnonzero((frame[unit].isna() | frame[time].isna()).to_numpy())[0])
        raise ValueError(f"row {row + 1} of the panel has no {unit!r} or no {time!r}")
    frame[unit] = frame[unit].astype(str)
    for col in [outcome, *predictors]:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            raise ValueError(f"column {col!r} must hold numbers")
    bad = frame[outcome].isna() | ~np.isfinite(frame[outcome].astype(float))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"the outcome {outcome!r} is missing or not finite in {int(bad.sum())} row(s); "
            f"first: row {row + 1} (unit {frame[unit].iloc[row]!r}, "
            f"time {frame[time].iloc[row]!r})"
        )
    duplicated = frame.duplicated([unit, time], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise ValueError(
            f"{int(duplicated.sum())} rows share a unit and time; the panel needs one row per "
            f"unit and time (first: unit {first[unit]!r}, time {first[time]!r})"
        )
    units = sorted(frame[unit].unique())
    if str(treated_unit) not in units:
        shown = ", ".join(units[:20]) + (" ..." if len(units) > 20 else "")
        raise ValueError(f"treated unit {treated_unit!r} is not in the panel; units: {shown}")
    times = sorted(frame[time].unique())
    expected = len(units) * len(times)
    if len(frame) != expected:
        present = set(zip(frame[unit], frame[time], strict=True))
        gaps = [(u, t) for u in units for t in times if (u, t) not in present]
        shown = "; ".join(f"unit {u!r} at {json_time(t)!r}" for u, t in gaps[:5])
        raise ValueError(
            f"{len(gaps)} unit-time cell(s) are missing; every unit needs a row at every time "
            f"({shown}{' ...' if len(gaps) > 5 else ''})"
        )
    return frame


def synthetic_control(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated_unit: str,
    treatment_start: Any,
    predictors: Sequence[str] = (),
    in_time_placebo_periods: int | None = None,
) -> SynthResult:
    """Synthetic control for a rollout to ``treated_unit`` starting at ``treatment_start``.

    ``panel`` is long: one row per unit and time; times sort in order (numbers, dates or
    period strings such as ``2024-03``; strings are compared as text, so write them
    zero-padded: ``2024-W09``, not ``2024-W9``). Periods before ``treatment_start`` are the
    pre-period; from it on, the post-period. Week or month labels that are not zero-padded
    are refused, since they would sort out of order. Donors are all other units. Without
    ``predictors`` the donors are matched on the outcome's whole pre-period path; with them,
    on their pre-period means and a few outcome lags (see the module docstring).
    ``in_time_placebo_periods`` is how many periods before the real start the fake rollout is
    placed (default: half the pre-period).

    Raises ValueError, naming the problem, for an unknown treated unit, fewer than 2
    pre-periods or donors, missing unit-time cells, no post-period, or non-numeric values.
    Warns (in ``warnings``) under 5 pre-periods, on a poor pre-period fit, and when the
    treated unit lies outside the donors' range.
    """
    predictors = list(predictors)
    frame = _check_panel(panel, unit, time, outcome, str(treated_unit), predictors)
    treated = str(treated_unit)
    start = _coerce_start(frame[time], treatment_start)
    _check_text_periods(frame[time], start)
    times = sorted(frame[time].unique())
    pre_times = [t for t in times if t < start]
    post_times = [t for t in times if t >= start]
    donors = sorted(u for u in frame[unit].unique() if u != treated)
    warnings: list[str] = []

    if len(donors) < MIN_DONORS:
        raise ValueError(
            f"a synthetic control needs at least {MIN_DONORS} donor units besides "
            f"{treated!r}; the panel has {len(donors)}"
        )
    if len(pre_times) < MIN_PRE_PERIODS:
        raise ValueError(
            f"a synthetic control needs at least {MIN_PRE_PERIODS} periods before the rollout "
            f"({json_time(start)!r}); the panel has {len(pre_times)}"
        )
    if not post_times:
        raise ValueError(
            f"the panel has no period at or after the rollout start {json_time(start)!r}; "
            f"its last period is {json_time(times[-1])!r}"
        )
    if len(pre_times) < FEW_PRE_PERIODS:
        warnings.append(
            f"Only {len(pre_times)} periods before the rollout (fewer than {FEW_PRE_PERIODS}): "
            "the donor weights rest on very little history and a good pre-period fit may be "
            "luck."
        )
    for col in predictors:
        pre_vals = frame.loc[frame[time].isin(pre_times)].groupby(unit)[col].mean()
        if pre_vals.isna().any():
            empty = sorted(pre_vals[pre_vals.isna()].index)
            raise ValueError(
                f"predictor {col!r} has no values before the rollout for unit(s) "
                f"{', '.join(map(repr, empty[:10]))}"
            )
    constant = [
        col
        for col in predictors
        if frame.loc[frame[time].isin(pre_times)].groupby(unit)[col].mean().nunique() < 2
    ]
    if constant:
        # pysyncon scales each predictor by its spread across units; a constant one would
        # divide by zero, and it cannot tell donors apart anyway.
        warnings.append(
            f"Predictor(s) {', '.join(map(repr, constant))} have the same pre-period mean in "
            "every unit and were left out."
        )
        predictors = [c for c in predictors if c not in constant]

    fit_args = {"unit": unit, "time": time, "outcome": outcome, "predictors": predictors}
    weights, treated_path, synthetic = fit_gaps(
        frame, treated=treated, donors=donors, pre_times=pre_times, **fit_args
    )
    gap = treated_path - synthetic
    is_pre = gap.index.isin(pre_times)
    pre_rmspe, post_rmspe = rmspe(gap[is_pre]), rmspe(gap[~is_pre])
    ratio = post_pre_ratio(post_rmspe, pre_rmspe)
    att = float(gap[~is_pre].mean())

    pre_frame = frame[frame[time].isin(pre_times)]
    pooled_sd = float(pre_frame[outcome].std(ddof=1))
    if pooled_sd > 0 and pre_rmspe > POOR_FIT_SHARE * pooled_sd:
        warnings.append(
            f"Poor pre-rollout fit: the pre-period RMSPE ({pre_rmspe:.3g}) is "
            f"{pre_rmspe / pooled_sd:.0%} of the outcome's pre-period standard deviation "
            f"({pooled_sd:.3g}); the synthetic unit does not track {treated!r} before the "
            "rollout, so the post-rollout gap is not a credible estimate."
        )
    unit_means = pre_frame.groupby(unit)[outcome].mean()
    donor_means = unit_means[donors]
    if unit_means[treated] > donor_means.max() or unit_means[treated] < donor_means.min():
        side = "above" if unit_means[treated] > donor_means.max() else "below"
        warnings.append(
            f"{treated!r}'s pre-rollout mean of {outcome!r} is {side} every donor's, so no "
            "weighted average of donors can match it; read the gap with caution."
        )

    placebos = in_space_placebos(frame, donors=donors, pre_times=pre_times, **fit_args)
    placebo_p = placebo_p_value(ratio, [p["rmspe_ratio"] for p in placebos])
    failed = failed_placebos(placebos)
    if failed:
        warnings.append(
            f"{len(failed)} placebo fits failed and are left out of the in-space placebo "
            f"p-value ({', '.join(map(repr, failed[:10]))}): their gaps before and after the "
            "rollout are both zero, so they have no post/pre RMSPE ratio to rank."
        )
    in_time = in_time_placebo(
        frame,
        treated=treated,
        donors=donors,
        pre_times=pre_times,
        periods=in_time_placebo_periods,
        warnings=warnings,
        **fit_args,
    )

    rounded = {d: round(float(w), WEIGHT_DIGITS) for d, w in weights.items()}
    return SynthResult(
        treated_unit=treated,
        treatment_start=start,
        att=att,
        weights={d: w for d, w in sorted(rounded.items(), key=lambda kv: -kv[1]) if w != 0},
        gap=[
            {
                "time": t,
                "treated": float(treated_path[t]),
                "synthetic": float(synthetic[t]),
                "gap": float(gap[t]),
            }
            for t in gap.index
        ],
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        rmspe_ratio=ratio,
        placebo_p_value=placebo_p,
        placebos=placebos,
        in_time_placebo=in_time,
        predictors=[f"{outcome} (pre-period mean)"]
        + [
            f"{outcome} at {json_time(t)}"
            for t in (outcome_lags(pre_times) if predictors else pre_times)
        ]
        + [f"{c} (pre-period mean)" for c in predictors],
        n_pre_periods=len(pre_times),
        n_post_periods=len(post_times),
        warnings=warnings,
    )

"""Robustness checks of a rollout's difference-in-differences estimate.

Each re-runs the Callaway–Sant'Anna fit (qa_app.domain.rollouts.did.fit_did, the simple ATT
only) on a changed panel; an estimate that moves a lot under them is not one to act on.

- **placebo_windows**: every cohort's adoption moved back k periods, using only the periods
  before its real adoption; the simple ATT of that fake rollout should be near zero. Each
  placebo gives ``fake_start``, the earliest fake adoption period (its week or month label,
  or the period number), ``fake_starts``, the fake adoption period of every cohort (earliest
  first; staggered adoption has one per cohort), and ``shift_periods``, k.
- **sensitivity**: the ATT leaving each unit out (small panels), and over a shorter and a
  longer window of periods around the adoptions.
"""

from __future__ import annotations

import pandas as pd

from qa_app.domain.rollouts.did import DidError, fit_did, recode_edges, rounded

LEAVE_ONE_OUT_LIMIT = 60
PLACEBO_SHIFTS = (1, 2)


def window_panel(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """``window`` periods before the first adoption through ``window`` after the last."""
    cohorts = frame["cohort"].dropna()
    if cohorts.empty:
        return frame
    start, end = cohorts.min() - window, cohorts.max() + window - 1
    return _trim(frame, start, end)


def _trim(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    kept = frame[(frame["time"] >= start) & (frame["time"] <= end)]
    return recode_edges(kept)[0]


def placebo_windows(frame, control, alpha, period_labels) -> list[dict]:
    """Fake rollouts 1 and 2 periods before the real adoptions (see the module docstring);
    a shift that leaves nothing to estimate is skipped."""
    placebos = []
    first = frame["time"].min()
    for shift in PLACEBO_SHIFTS:
        # Only the periods before each unit's real adoption; the fake adoption needs a period
        # before it inside the panel.
        data = frame[frame["cohort"].isna() | (frame["time"] < frame["cohort"])].copy()
        data["cohort"] = data["cohort"] - shift
        data = data[~(data["cohort"] <= first)]
        if data["cohort"].notna().sum() == 0 or (
            control == "never" and data["cohort"].isna().all()
        ):
            continue
        try:
            fit = fit_did(data, control, alpha, details=False)
        except DidError:
            continue
        fakes = [period_label(f, period_labels) for f in sorted(data["cohort"].dropna().unique())]
        placebos.append(
            {
                "fake_start": fakes[0],
                "fake_starts": fakes,
                "shift_periods": shift,
                "estimate": rounded(fit.att),
                "se": rounded(fit.se),
                "ci": [rounded(fit.ci[0]), rounded(fit.ci[1])],
                "covers_zero": fit.ci[0] <= 0 <= fit.ci[1],
            }
        )
    return placebos


def period_label(period, labels):
    """The week or month label of a period index, or the index when there are no labels."""
    value = int(period)
    return labels.get(value, value) if labels else value


def sensitivity_runs(frame, windowed, control, alpha, window, labels) -> dict:
    """Leave-one-out and shorter/longer-window ATTs; ``windowed`` is the panel of the
    headline fit, ``frame`` all the data (see the module docstring)."""
    result: dict = {}
    units = sorted(windowed["unit"].unique())
    if len(units) <= LEAVE_ONE_OUT_LIMIT:
        estimates = {}
        for left_out in units:
            try:
                estimates[left_out] = fit_did(
                    windowed[windowed["unit"] != left_out], control, alpha, details=False
                ).att
            except DidError:
                continue
        if estimates:
            low = min(estimates, key=estimates.get)
            high = max(estimates, key=estimates.get)
            result["leave_one_out"] = {
                "min": rounded(estimates[low]),
                "min_without": low,
                "max": rounded(estimates[high]),
                "max_without": high,
                "runs": len(estimates),
                "units": len(units),
            }
    else:
        result["leave_one_out"] = {
            "not_run": f"{len(units)} units (leave-one-out runs up to {LEAVE_ONE_OUT_LIMIT})"
        }
    for name, data in _windows(frame, windowed, window).items():
        if isinstance(data, str):
            result[name] = {"not_run": data}
            continue
        try:
            fit = fit_did(data, control, alpha, details=False)
        except DidError as exc:
            result[name] = {"not_run": str(exc)}
            continue
        result[name] = {
            "periods": [
                period_label(data["time"].min(), labels),
                period_label(data["time"].max(), labels),
            ],
            "att": rounded(fit.att),
            "ci": [rounded(fit.ci[0]), rounded(fit.ci[1])],
        }
    return result


def _windows(frame, windowed, window) -> dict:
    """The shorter and the longer window: half and double ``window`` periods around the
    adoptions. With no window (or when half of it still holds every period used), the
    shorter one takes a quarter of the periods off each end; with no window there is no
    longer one."""
    shorter = window_panel(frame, max(1, window // 2)) if window else None
    if window:
        longer = window_panel(frame, window * 2)
        if len(longer) == len(windowed):
            longer = "the data has no periods beyond those used"
    if shorter is None or len(shorter) == len(windowed):
        times = sorted(windowed["time"].unique())
        cut = len(times) // 4
        shorter = (
            _trim(windowed, times[cut], times[-1 - cut])
            if cut
            else "too few periods to shorten (fewer than four)"
        )
    if not window:
        longer = "the data has no periods beyond those used"
    return {"shorter_window": shorter, "longer_window": longer}

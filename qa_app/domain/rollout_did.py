"""Staggered-adoption difference-in-differences for a rollout that was never randomised.

The estimator is Callaway and Sant'Anna's (2021) group-time ATT from the ``differences``
package (``ATTgt``, outcome-regression DiD without covariates, varying base period, errors
clustered by unit, analytic standard errors from the influence functions). It is robust to
effects that differ by cohort and over time, unlike a two-way fixed-effects regression.

What we add: data checks, the pre-trend test in words, placebo windows, sensitivity runs,
warnings, and the sentence saying that this is an association.

The panel is one row per unit and period: ``unit``, ``time`` (an integer period index),
``outcome`` and ``first_treated`` (the period index of adoption; NaN or 0 for never treated).

- **att**: Callaway and Sant'Anna's "simple" aggregation: the post-treatment ATT(g,t)
  averaged with weights proportional to group (cohort) size.
- **event_study**: their "event" aggregation, the effect by periods since adoption
  (negative periods are the leads: short differences before adoption).
- **pretrend_p_value**: a joint Wald test that every event-study lead is zero,
  W = n b' V^-1 b with V the covariance of the leads from the library's influence functions
  (``get_vcv_from_if``), chi-square with as many degrees of freedom as leads. The library's
  own test over every pre-treatment ATT(g,t) (the one R's ``did`` prints) is reported too.
- **placebos**: every cohort's adoption moved back k periods, using only the periods before
  its real adoption; the simple ATT of that fake rollout should be near zero.
- **sensitivity**: the ATT leaving each unit out (small panels), and over a shorter and a
  longer window of periods around the adoptions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CONTROLS = {"never": "never_treated", "notyet": "not_yet_treated"}
FEW_UNITS = 5
LEAVE_ONE_OUT_LIMIT = 60
PLACEBO_SHIFTS = (1, 2)
NOT_ESTIMABLE = (
    "no group-time effect could be estimated: each adopting unit needs values in the period "
    "before its adoption and after it, and so do comparison units"
)
NO_LEADS = "pre-trends not tested: no period before adoption has a comparison"
ASSOCIATION = (
    "This is an observational comparison, not an experiment: the rollout was not randomised, "
    "so the estimate is an association. It stands for the intervention's effect only if, "
    "without the rollout, adopting and comparison units would have moved in parallel (the "
    "pre-trend test and the placebo windows check what the data can show of that) and "
    "nothing else changed for the adopting units when they adopted."
)


class DidError(ValueError):
    """The panel cannot be evaluated; the message says why."""


@dataclass
class DidFit:
    """One Callaway–Sant'Anna fit: the simple ATT, the event study and the pre-trend tests."""

    att: float
    se: float
    ci: tuple[float, float]
    event_study: list[dict]
    pretrend_p_value: float | None
    pretrend_statistic: float | None
    pretrend_leads: int
    pretrend_problem: str | None
    group_time_pretest: dict | None
    units: int
    treated_units: int
    control_units: int
    control: str


@dataclass
class DidReport:
    fit: DidFit
    placebos: list[dict]
    sensitivity: dict
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        fit = self.fit
        return {
            "method": "did",
            "estimator": "Callaway-Sant'Anna ATT(g,t), simple aggregation (differences.ATTgt)",
            "control_group": fit.control,
            "att": _r(fit.att),
            "se": _r(fit.se),
            "ci": [_r(fit.ci[0]), _r(fit.ci[1])],
            "units": fit.units,
            "treated_units": fit.treated_units,
            "control_units": fit.control_units,
            "event_study": fit.event_study,
            "pretrend_p_value": _r(fit.pretrend_p_value),
            "pretrend": fit.pretrend_problem or pretrend_sentence(fit.pretrend_p_value),
            "pretrend_test": {
                "leads": fit.pretrend_leads,
                "wald": _r(fit.pretrend_statistic),
                "group_time": fit.group_time_pretest,
            },
            "placebos": self.placebos,
            "sensitivity": self.sensitivity,
            "warnings": self.warnings,
            "association": ASSOCIATION,
        }


def _r(value, digits: int = 6):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def pretrend_sentence(p_value: float | None) -> str:
    """The pre-trend test's p-value in words."""
    if p_value is None:
        return NO_LEADS
    if p_value < 0.05:
        return (
            f"pre-trends differ: p = {p_value:.3g} — adopting and comparison units were already "
            "moving apart before adoption; the estimate is not trustworthy"
        )
    return f"no evidence against parallel trends (p = {p_value:.2g})"


# --------------------------------------------------------------------------- preparation


def prepare_panel(
    panel: pd.DataFrame, *, unit: str, time: str, outcome: str, first_treated: str
) -> tuple[pd.DataFrame, list[str]]:
    """The panel in the library's form (unit, time index; ``cohort`` NaN when never treated),
    balanced, with a warning for every unit dropped or recoded."""
    for column in (unit, time, outcome, first_treated):
        if column not in panel.columns:
            raise DidError(f"the panel has no column '{column}'")
    frame = panel[[unit, time, outcome, first_treated]].copy()
    frame.columns = ["unit", "time", "y", "cohort"]
    frame["unit"] = frame["unit"].astype(str)
    notes: list[str] = []
    frame = frame.dropna(subset=["y"])
    if frame.duplicated(["unit", "time"]).any():
        twice = frame[frame.duplicated(["unit", "time"], keep=False)].iloc[0]
        raise DidError(f"unit '{twice['unit']}' has more than one row for period {twice['time']}")
    cohorts = frame.groupby("unit")["cohort"].nunique(dropna=False)
    if (cohorts > 1).any():
        raise DidError(f"unit '{cohorts[cohorts > 1].index[0]}' has more than one adoption period")
    frame["cohort"] = frame["cohort"].where(frame["cohort"] > 0)
    if frame["time"].nunique() < 2:
        raise DidError("the panel needs at least two periods")
    frame, recoded = _recode(frame)
    notes.extend(recoded)
    periods = frame["time"].nunique()
    counts = frame.groupby("unit")["time"].nunique()
    gaps = sorted(counts[counts < periods].index)
    if gaps:
        missing = int(periods * len(counts) - counts.sum())
        notes.append(
            f"{missing} unit-period(s) have no value ({len(gaps)} unit(s): {_names(gaps)}): "
            "the panel is unbalanced, so the estimator treats it as repeated cross-sections "
            "(less precise, and it assumes the units seen in each period are comparable)"
        )
    if frame.empty:
        raise DidError("no unit is left to compare")
    return frame.reset_index(drop=True), notes


def _recode(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Units that adopted in the first period have no period before to compare: left out.
    Units that adopt after the last period are untreated throughout: never treated here."""
    notes = []
    first, last = frame["time"].min(), frame["time"].max()
    early = sorted(frame.loc[frame["cohort"] <= first, "unit"].unique())
    if early:
        notes.append(
            f"{len(early)} unit(s) adopted in or before the first period ({_names(early)}): "
            "left out, there is no period before their adoption to compare"
        )
        frame = frame[~frame["unit"].isin(early)]
    late = sorted(frame.loc[frame["cohort"] > last, "unit"].unique())
    if late:
        notes.append(
            f"{len(late)} unit(s) adopted after the last period ({_names(late)}): "
            "counted as never treated in this window"
        )
        frame = frame.copy()
        frame.loc[frame["cohort"] > last, "cohort"] = np.nan
    return frame.reset_index(drop=True), notes


def _names(units: list[str], limit: int = 5) -> str:
    return ", ".join(units[:limit]) + (
        f" and {len(units) - limit} more" if len(units) > limit else ""
    )


# --------------------------------------------------------------------------- estimation


def fit_did(
    frame: pd.DataFrame, control: str = "never", alpha: float = 0.05, details: bool = True
) -> DidFit:
    """One Callaway–Sant'Anna fit on a prepared panel (see prepare_panel).

    ``details=False`` skips the event study and the pre-trend tests (placebo and
    sensitivity runs only need the ATT)."""
    if control not in CONTROLS:
        raise DidError(f"control must be one of {', '.join(CONTROLS)}, not '{control}'")
    treated = frame.loc[frame["cohort"].notna(), "unit"].nunique()
    never = frame.loc[frame["cohort"].isna(), "unit"].nunique()
    if treated == 0:
        raise DidError("no unit adopted within the panel's periods: there is nothing to estimate")
    if control == "never" and never == 0:
        raise DidError(
            "no unit is never treated: choose not-yet-treated units as controls (--control notyet)"
        )
    model, result = _run(frame, CONTROLS[control], alpha)
    simple = _aggregate(model, "simple", alpha).iloc[0]
    if not math.isfinite(simple["ATT"]) or not math.isfinite(simple["std_error"]):
        raise DidError(
            "no adopting unit has a comparison in the periods after its adoption: "
            "the effect cannot be estimated"
        )
    if not details:
        return DidFit(
            float(simple["ATT"]),
            float(simple["std_error"]),
            (float(simple["lower"]), float(simple["upper"])),
            [],
            None,
            None,
            0,
            None,
            None,
            frame["unit"].nunique(),
            treated,
            never if control == "never" else frame["unit"].nunique() - treated,
            CONTROLS[control],
        )
    event = _aggregate(model, "event", alpha)
    event_study = [
        {
            "relative_period": int(k),
            "estimate": _r(row["ATT"]),
            "se": _r(row["std_error"]),
            "ci": [_r(row["lower"]), _r(row["upper"])],
        }
        for k, row in event.iterrows()
        if not math.isnan(row["ATT"])
    ]
    statistic, p_value, leads, problem = _leads_wald(model)
    return DidFit(
        att=float(simple["ATT"]),
        se=float(simple["std_error"]),
        ci=(float(simple["lower"]), float(simple["upper"])),
        event_study=event_study,
        pretrend_p_value=p_value,
        pretrend_statistic=statistic,
        pretrend_leads=leads,
        pretrend_problem=problem,
        group_time_pretest=_group_time_pretest(model),
        units=frame["unit"].nunique(),
        treated_units=treated,
        control_units=never if control == "never" else frame["unit"].nunique() - treated,
        control=CONTROLS[control],
    )


def _run(frame: pd.DataFrame, control_group: str, alpha: float):
    from differences import ATTgt

    data = frame.set_index(["unit", "time"])
    with warnings.catch_warnings():
        # The library warns (UserWarning) about cells it cannot estimate, e.g. a cohort with
        # no comparison units in a period; those cells come back as NaN, which we report.
        warnings.simplefilter("ignore", UserWarning)
        model = ATTgt(data=data, cohort_column="cohort")
        try:
            result = model.fit(
                "y",
                est_method="reg",
                control_group=control_group,
                alpha=alpha,
                progress_bar=False,
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise DidError(f"{NOT_ESTIMABLE} (the estimator said: {exc})") from None
    return model, result


def _aggregate(model, kind: str, alpha: float) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # see _run
        try:
            return _flat(model.aggregate(kind, alpha=alpha))
        except (IndexError, KeyError, ValueError, np.linalg.LinAlgError):
            # The library fails this way when no group-time effect could be estimated (every
            # cell lacked treated or comparison observations).
            raise DidError(NOT_ESTIMABLE) from None


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """The library's result tables have three column levels; the last names the figure."""
    flat = table.copy()
    flat.columns = [c[-1] if isinstance(c, tuple) else c for c in flat.columns]
    return flat


def _leads_wald(model) -> tuple[float | None, float | None, int, str | None]:
    """Joint Wald test that every event-study lead is zero, from the influence functions;
    the last item says why there is no test, when there is none."""
    from differences.models.attgt.utility_ntl import get_vcv_from_if, stack_influence_funcs
    from scipy.stats import chi2

    # The event aggregation's named tuples carry each relative period's influence function;
    # the library exposes no public accessor for them (ATTgt.wald_pre_test is broken in 0.3.0).
    event_ntl = model._result_dict["full_sample"]["aggregate_inst"].event
    leads = [
        r
        for r in event_ntl
        if r.relative_period < 0 and r.influence_func is not None and not np.isnan(r.ATT)
    ]
    if not leads:
        return None, None, 0, NO_LEADS
    estimates = np.array([r.ATT for r in leads], dtype=float)
    vcv, n = get_vcv_from_if(stack_influence_funcs(leads), return_n_obs=True)
    singular = (
        f"pre-trends not tested: the {len(leads)} periods before adoption cannot be tested "
        "jointly with so few units (their covariance is singular); read the leads in the "
        "event study one by one"
    )
    if np.linalg.matrix_rank(vcv) < len(leads):
        return None, None, len(leads), singular
    try:
        statistic = float(n * estimates @ np.linalg.solve(vcv, estimates))
    except np.linalg.LinAlgError:
        return None, None, len(leads), singular
    if not math.isfinite(statistic):
        return None, None, len(leads), singular
    return statistic, float(chi2.sf(statistic, len(leads))), len(leads), None


def _group_time_pretest(model) -> dict | None:
    """The library's Wald pre-test over every pre-treatment ATT(g,t) (R did's W and p)."""
    from differences.models.attgt.utility_ntl import wald_pre_test

    ntl = model._result_dict["full_sample"]["ATTgt_ntl"]
    try:
        result = wald_pre_test(ntl)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not math.isfinite(result["W"]):
        return None
    return {"wald": _r(result["W"]), "p_value": _r(result["p_value"])}


# --------------------------------------------------------------------------- the report


def evaluate_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    control: str = "never",
    window: int | None = None,
    period_labels: dict | None = None,
    alpha: float = 0.05,
) -> DidReport:
    """The full DiD report: the fit, placebo windows, sensitivity and warnings.

    ``window``: periods kept before the first adoption and after the last one (None: all);
    the sensitivity runs use half and double that. ``period_labels`` maps period indexes to
    labels (week or month) for the placebo dates.
    """
    frame, notes = prepare_panel(
        panel, unit=unit, time=time, outcome=outcome, first_treated=first_treated
    )
    if control == "never" and frame["cohort"].notna().all():
        notes.append("no unit is never treated: not-yet-treated units are the controls instead")
        control = "notyet"
    windowed = _window(frame, window) if window else frame
    fit = fit_did(windowed, control, alpha)
    report = DidReport(fit, _placebos(windowed, control, alpha, period_labels), {}, notes)
    report.sensitivity = _sensitivity(frame, windowed, control, alpha, window, period_labels)
    report.warnings.extend(_warnings(fit, report.placebos))
    return report


def _window(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """``window`` periods before the first adoption through ``window`` after the last."""
    cohorts = frame["cohort"].dropna()
    if cohorts.empty:
        return frame
    start, end = cohorts.min() - window, cohorts.max() + window - 1
    return _trim(frame, start, end)


def _trim(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    kept = frame[(frame["time"] >= start) & (frame["time"] <= end)]
    return _recode(kept)[0]


def _placebos(frame, control, alpha, period_labels) -> list[dict]:
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
        fakes = sorted(data["cohort"].dropna().unique())
        placebos.append(
            {
                "fake_start": -shift,
                "fake_start_periods": [_label(f, period_labels) for f in fakes],
                "estimate": _r(fit.att),
                "se": _r(fit.se),
                "ci": [_r(fit.ci[0]), _r(fit.ci[1])],
                "covers_zero": fit.ci[0] <= 0 <= fit.ci[1],
            }
        )
    return placebos


def _label(period, labels):
    value = int(period)
    return labels.get(value, value) if labels else value


def _sensitivity(frame, windowed, control, alpha, window, labels) -> dict:
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
                "min": _r(estimates[low]),
                "min_without": low,
                "max": _r(estimates[high]),
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
            "periods": [_label(data["time"].min(), labels), _label(data["time"].max(), labels)],
            "att": _r(fit.att),
            "ci": [_r(fit.ci[0]), _r(fit.ci[1])],
        }
    return result


def _windows(frame, windowed, window) -> dict:
    """The shorter and the longer window: half and double ``window`` periods around the
    adoptions. With no window (or when half of it still holds every period used), the
    shorter one takes a quarter of the periods off each end; with no window there is no
    longer one."""
    shorter = _window(frame, max(1, window // 2)) if window else None
    if window:
        longer = _window(frame, window * 2)
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


def _warnings(fit: DidFit, placebos: list[dict]) -> list[str]:
    found = []
    if fit.treated_units < FEW_UNITS or fit.control_units < FEW_UNITS:
        found.append(
            f"few units ({fit.treated_units} adopting, {fit.control_units} comparison): the "
            "standard errors rely on many units and may be too small, and the pre-trend test "
            "rejects too often; read the interval and the test as rough"
        )
    if fit.pretrend_p_value is not None and fit.pretrend_p_value < 0.05:
        found.append(pretrend_sentence(fit.pretrend_p_value))
    if fit.pretrend_p_value is None:
        found.append(fit.pretrend_problem or NO_LEADS)
    off = [p for p in placebos if not p["covers_zero"]]
    if off:
        shifts = ", ".join(str(-p["fake_start"]) for p in off)
        found.append(
            f"placebo rollouts {shifts} period(s) early show an 'effect' whose interval "
            "excludes zero: something other than the rollout moves the outcome"
        )
    return found


# --------------------------------------------------------------------------- either method


def evaluate_panel(
    data: pd.DataFrame,
    columns: tuple[str, str, str, str],
    *,
    method: str = "did",
    control: str = "never",
    window: int | None = None,
    period_labels: dict | None = None,
) -> dict:
    """The JSON report of ``method`` (did, or synth for a rollout to one unit) on a panel whose
    ``columns`` are (unit, time, outcome, first treated); DidError says what is wrong."""
    unit, time, outcome, first_treated = columns
    if method == "did":
        return evaluate_did(
            data,
            unit=unit,
            time=time,
            outcome=outcome,
            first_treated=first_treated,
            control=control,
            window=window,
            period_labels=period_labels,
        ).to_json()
    if method != "synth":
        raise DidError(f"method must be did or synth, not '{method}'")
    adopting = data[first_treated].fillna(0) > 0
    treated = sorted(data.loc[adopting, unit].astype(str).unique())
    if len(treated) != 1:
        listed = f" ({_names(treated)})" if treated else ""
        raise DidError(
            "a synthetic control needs exactly one adopting unit; this rollout has "
            f"{len(treated)}{listed}. Use the did method for several"
        )
    try:
        from qa_app.domain.rollout_synth import synthetic_control
    except ModuleNotFoundError:
        raise DidError("the synthetic control is not available in this installation") from None

    start = int(data.loc[data[unit].astype(str) == treated[0], first_treated].iloc[0])
    panel = data[[unit, time, outcome]].copy()
    panel[unit] = panel[unit].astype(str)
    try:
        result = synthetic_control(
            panel,
            unit=unit,
            time=time,
            outcome=outcome,
            treated_unit=treated[0],
            treatment_start=start,
        )
    except ValueError as exc:
        raise DidError(str(exc)) from None
    report = result.to_json()
    report.setdefault("treatment_start", start)
    if period_labels:
        report["treatment_start_period"] = _label(start, period_labels)
    report.setdefault("association", ASSOCIATION)
    return report

"""Staggered-adoption difference-in-differences for a rollout that was never randomised.

The estimator is Callaway and Sant'Anna's (2021) group-time ATT from the ``differences``
package (``ATTgt``, outcome-regression DiD without covariates, varying base period, errors
clustered by unit, analytic standard errors from the influence functions). It is robust to
effects that differ by cohort and over time, unlike a two-way fixed-effects regression.

This module prepares and checks the panel and makes one fit with its event study and
pre-trend tests. The robustness checks (placebo windows, leave-one-out, window sensitivity)
are in qa_app.domain.rollouts.robustness; the full report, with its warnings, and the choice
between DiD and a synthetic control are in qa_app.domain.rollouts.evaluation.

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
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

CONTROLS = {"never": "never_treated", "notyet": "not_yet_treated"}
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


def rounded(value, digits: int = 6):
    """``value`` rounded for the JSON report; None for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def pretrend_sentence(p_value: float | None, few_units: str | None = None) -> str:
    """The pre-trend test's p-value in words. ``few_units`` ("2 adopting, 3 comparison") says
    the test is rough: with a handful of units its p-values run far too small, so a tiny one
    is printed as "p < 0.001" rather than as a figure nobody can stand behind."""
    if p_value is None:
        return NO_LEADS
    shown = f"p = {p_value:.3g}" if p_value >= 0.001 else "p < 0.001"
    rough = (
        f" (with only {few_units} units the test is rough and rejects too often)"
        if few_units
        else ""
    )
    if p_value < 0.05:
        return (
            f"pre-trends differ: {shown}{rough} — adopting and comparison units were already "
            "moving apart before adoption; the estimate is not trustworthy"
        )
    return f"no evidence against parallel trends (p = {p_value:.2g}){rough}"


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
    frame, recoded = recode_edges(frame)
    notes.extend(recoded)
    periods = frame["time"].nunique()
    counts = frame.groupby("unit")["time"].nunique()
    gaps = sorted(counts[counts < periods].index)
    if gaps:
        missing = int(periods * len(counts) - counts.sum())
        notes.append(
            f"{missing} unit-period(s) have no value ({len(gaps)} unit(s): {name_list(gaps)}): "
            "the panel is unbalanced, so the estimator treats it as repeated cross-sections "
            "(less precise, and it assumes the units seen in each period are comparable)"
        )
    if frame.empty:
        raise DidError("no unit is left to compare")
    return frame.reset_index(drop=True), notes


def recode_edges(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The panel with its edges recoded, and a note for each change. Units that adopted in
    the first period have no period before to compare: left out. Units that adopt after the
    last period are untreated throughout: never treated here."""
    notes = []
    first, last = frame["time"].min(), frame["time"].max()
    early = sorted(frame.loc[frame["cohort"] <= first, "unit"].unique())
    if early:
        notes.append(
            f"{len(early)} unit(s) adopted in or before the first period ({name_list(early)}): "
            "left out, there is no period before their adoption to compare"
        )
        frame = frame[~frame["unit"].isin(early)]
    late = sorted(frame.loc[frame["cohort"] > last, "unit"].unique())
    if late:
        notes.append(
            f"{len(late)} unit(s) adopted after the last period ({name_list(late)}): "
            "counted as never treated in this window"
        )
        frame = frame.copy()
        frame.loc[frame["cohort"] > last, "cohort"] = np.nan
    return frame.reset_index(drop=True), notes


def name_list(units: list[str], limit: int = 5) -> str:
    """The first ``limit`` unit names, and how many more there are."""
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
    comparison = never if control == "never" else _not_yet_comparison_units(frame, never)
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
            comparison,
            CONTROLS[control],
        )
    event = _aggregate(model, "event", alpha)
    event_study = [
        {
            "relative_period": int(k),
            "estimate": rounded(row["ATT"]),
            "se": rounded(row["std_error"]),
            "ci": [rounded(row["lower"]), rounded(row["upper"])],
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
        control_units=comparison,
        control=CONTROLS[control],
    )


def _not_yet_comparison_units(frame: pd.DataFrame, never: int) -> int:
    """The units that serve as not-yet-treated comparisons: those never treated, and those
    adopting after the first adoption (each compares with earlier cohorts before its own).
    When every unit adopts, the comparison is the later cohorts, as in R's ``did``: counting
    "units minus adopting units" said 0 comparison units and warned of too few."""
    adopting = frame.loc[frame["cohort"].notna(), ["unit", "cohort"]]
    first = adopting["cohort"].min()
    return never + adopting.loc[adopting["cohort"] > first, "unit"].nunique()


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
    """Joint Wald test that every event-study lead is zero, from the influence functions, with
    a small-sample F reference; the last item says why there is no test, when there is none."""
    from differences.models.attgt.utility_ntl import get_vcv_from_if, stack_influence_funcs
    from scipy.stats import f as f_dist

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
    k = len(leads)
    if n - k < 1:
        return None, None, k, singular
    # Read as Hotelling's T^2 of n units, (n - k) / (k (n - 1)) W ~ F(k, n - k), not as
    # chi2(k): with 12 units the chi2 reading rejected parallel trends in about 40% of seeded
    # panels where they held (tests/domain/rollouts/test_pretrend_size.py).
    scaled = statistic * (n - k) / (k * (n - 1))
    return statistic, float(f_dist.sf(scaled, k, n - k)), k, None


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
    return {"wald": rounded(result["W"]), "p_value": rounded(result["p_value"])}

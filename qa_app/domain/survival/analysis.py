"""Survival by cohort: do customers whose first reviewed call had a flag stay longer?

Plain records in, plain results out; no Flask, no database. The web page and
``qa-app survival`` both call :func:`qa_app.domain.survival.cohorts.build_cohort` then
:func:`analyse`. The estimators are lifelines' (Kaplan–Meier, log-rank, Cox, restricted mean
survival time); this module prepares the data, checks what can be said, and words it.

Everything here compares customers who were not assigned to their calls at random: every
figure is an association in observational data, and the reports say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qa_app.domain.money import format_money
from qa_app.domain.survival.cohorts import Cohort, Member, SurvivalError, describe_left_out

BY_CHOICES = ("segment", "channel", "interaction_type")
SURVIVAL_DAYS = (90, 180, 365)
DEFAULT_HORIZON = 365
MIN_CUSTOMERS, MIN_EVENTS = 20, 5
DAYS_PER_MONTH = 365.25 / 12
Z95 = 1.959963984540054
COVARIATES = ("interaction_type", "channel", "agent_tenure_days")
# How pages name the fields the comparison is split by (BY_CHOICES) and adjusted for
# (COVARIATES): words, not column names. The JSON keeps the column names.
FIELD_LABELS = {
    "segment": "segment",
    "channel": "channel",
    "interaction_type": "interaction type",
    "agent_tenure_days": "agent tenure (days)",
}
ASSOCIATION_NOTE = (
    "This is an association in observational data: customers were not assigned to calls with "
    "or without the flag at random, so the difference may come from other things that differ "
    "between them, not from the flag itself."
)
FLAG_PHRASES = {
    "acknowledged": "whose feelings were acknowledged",
    "summarized": "whose concern was summarised back to them",
    "confirmed_next_steps": "who were given confirmed next steps",
    "closed_emotional_loop": "whose emotional loop was closed",
    "empathy_absent": "who met no real acknowledgment",
}


def analyse(
    cohort: Cohort, horizon: float = DEFAULT_HORIZON, by: str | None = None, currency: str = ""
) -> dict:
    """Kaplan–Meier, log-rank, Cox and RMST for with/without the flag, as the issue's JSON.

    With ``by``, the same figures for each value of that field under ``strata``; the
    top-level figures are for the whole cohort.
    """
    if horizon <= 0:
        raise SurvivalError("the horizon is a number of days above 0")
    if by is not None and by not in BY_CHOICES:
        raise SurvivalError(f"cannot group by '{by}'; choose one of {', '.join(BY_CHOICES)}")
    result = {
        "cohort": cohort.cohort,
        "flag": cohort.flag,
        "as_of": cohort.as_of.date().isoformat(),
        "window_days": list(cohort.window),
        **compare(cohort.members, horizon, cohort.flag, currency),
        "left_out": dict(sorted(cohort.left_out.items())),
        "left_out_text": describe_left_out(cohort),
        "association": ASSOCIATION_NOTE,
    }
    if by is not None:
        values = sorted({getattr(m, by) or "(none)" for m in cohort.members})
        result["by"] = by
        result["strata"] = [
            {
                "stratum": value,
                **compare(
                    [m for m in cohort.members if (getattr(m, by) or "(none)") == value],
                    horizon,
                    cohort.flag,
                    currency,
                ),
            }
            for value in values
        ]
    return result


def value_sentence(
    flag: str,
    horizon: float,
    difference: float | None,
    money: float | None,
    ci: Sequence[float] | None,
    currency: str = "",
) -> str | None:
    """The RMST difference in words, then in money when there is a figure for it, e.g. "In
    their first year, customers whose feelings were acknowledged stayed on average 12 days
    longer than those without (95% interval 3 to 21 days). At their monthly value that is about
    40 per customer (in the currency of monthly_value)."."""
    if difference is None or not math.isfinite(difference):
        return None
    period = "first year" if round(horizon) == 365 else f"first {horizon:g} days"
    who = FLAG_PHRASES.get(flag, f"whose first call had the flag '{flag}'")
    more = "longer" if difference >= 0 else "less long"
    text = (
        f"In their {period}, customers {who} stayed on average {abs(difference):.0f} days "
        f"{more} than those without"
    )
    if ci:
        text += f" (95% interval {ci[0]:.0f} to {ci[1]:.0f} days)"
        if ci[0] <= 0 <= ci[1]:
            text += "; the interval includes no difference at all"
    text += "."
    if money is not None and math.isfinite(money):
        amount = format_money(abs(money), currency, digits=0)
        unit = "" if currency else " (in the currency of monthly_value)"
        text += (
            f" At their monthly value that is about {amount} per customer "
            f"{'more' if money >= 0 else 'less'}{unit}."
        )
    return text


# --- the models (lifelines) ----------------------------------------------------------------


def _number(value, digits: int = 4):
    """A JSON-safe float: None for missing, infinite or NaN values."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _fit_km(members: Sequence[Member], label: str):
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(label=label).fit([m.days for m in members], [m.ended for m in members])


def _km_figures(members: Sequence[Member], group: str) -> dict:
    """n, events, median with its 95% interval, and survival at 90/180/365 days."""
    from lifelines.utils import median_survival_times

    events = sum(m.ended for m in members)
    figures = {
        "group": group,
        "n": len(members),
        "events": events,
        "median_days": None,
        "median_ci": [None, None],
        "survival": dict.fromkeys(map(str, SURVIVAL_DAYS)),
        "small": len(members) < MIN_CUSTOMERS or events < MIN_EVENTS,
    }
    if not members:
        return figures
    kmf = _fit_km(members, group)
    figures["median_days"] = _number(kmf.median_survival_time_, 1)
    ci = median_survival_times(kmf.confidence_interval_)
    figures["median_ci"] = [_number(ci.iloc[0, 0], 1), _number(ci.iloc[0, 1], 1)]
    last = max(m.days for m in members)
    for day in SURVIVAL_DAYS:
        value = float(kmf.predict(day))
        # Past the last follow-up the curve is not observed (unless it already reached 0).
        figures["survival"][str(day)] = _number(value) if day <= last or value == 0 else None
    return figures


def rmst_with_se(members: Sequence[Member], horizon: float) -> tuple[float, float]:
    """Restricted mean survival time up to ``horizon`` (lifelines) and its standard error.

    The standard error is the Greenwood-type one of Klein & Moeschberger (2003, §4.5) and
    survRM2's ``rmst2``: the sum over event times t_j ≤ horizon of A_j² d_j / (n_j (n_j − d_j)),
    A_j being the area under the Kaplan–Meier curve from t_j to the horizon.
    """
    import numpy as np
    from lifelines.utils import restricted_mean_survival_time

    kmf = _fit_km(members, "group")
    mean = float(restricted_mean_survival_time(kmf, t=horizon))
    curve = kmf.survival_function_.iloc[:, 0]
    curve = curve[curve.index <= horizon]
    starts = curve.index.to_numpy(dtype=float)
    widths = np.diff(np.append(starts, horizon))
    tail = np.cumsum((widths * curve.to_numpy())[::-1])[::-1]  # area from each step on
    table = kmf.event_table
    variance = 0.0
    for start, area in zip(starts, tail, strict=True):
        if start <= 0 or start not in table.index:
            continue
        d, n = float(table.at[start, "observed"]), float(table.at[start, "at_risk"])
        if d > 0 and n > d:
            variance += area**2 * d / (n * (n - d))
    return mean, math.sqrt(variance)


def _cox(members: Sequence[Member]) -> dict:
    """Hazard ratio with vs without, adjusted for the covariates that vary in the cohort."""
    import warnings

    import numpy as np
    import pandas as pd
    from lifelines import CoxPHFitter

    result = {
        "hazard_ratio": None,
        "ci": [None, None],
        "adjusted_for": [],
        "not_adjusted_for": [],
        "error": None,
        "warnings": [],
    }
    data = pd.DataFrame(
        {
            "days": [m.days for m in members],
            "ended": [m.ended for m in members],
            "exposed": [int(m.exposed) for m in members],
        }
    )
    if data.exposed.nunique() < 2 or not data.ended.any():
        result["error"] = (
            "not fitted: the cohort has only one group"
            if data.exposed.nunique() < 2
            else "not fitted: no customer in the cohort has ended"
        )
        return result
    for name in COVARIATES:
        values = [getattr(m, name) for m in members]
        if name == "agent_tenure_days":
            unknown = sum(v is None for v in values)
            if unknown:
                result["not_adjusted_for"].append(
                    {"covariate": name, "reason": f"unknown for {unknown} customer(s)"}
                )
                continue
            if len(set(values)) < 2:
                result["not_adjusted_for"].append(
                    {"covariate": name, "reason": f"no variation in this cohort (all {values[0]})"}
                )
                continue
            data[name] = np.asarray(values, dtype=float)
        else:
            labels = [v or "(none)" for v in values]
            if len(set(labels)) < 2:
                result["not_adjusted_for"].append(
                    {
                        "covariate": name,
                        "reason": f"no variation in this cohort (all '{labels[0]}')",
                    }
                )
                continue
            dummies = pd.get_dummies(
                pd.Series(labels, dtype="category"), prefix=name, drop_first=True, dtype=float
            )
            data = pd.concat([data, dummies], axis=1)
        result["adjusted_for"].append(name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = CoxPHFitter().fit(data, duration_col="days", event_col="ended")
    except Exception as exc:  # lifelines raises several kinds (convergence, singular matrix)
        result["error"] = f"not fitted: {str(exc).strip().splitlines()[0][:300]}"
        return result
    row = model.summary.loc["exposed"]
    result["hazard_ratio"] = _number(row["exp(coef)"])
    result["ci"] = [_number(row["exp(coef) lower 95%"]), _number(row["exp(coef) upper 95%"])]
    result["p_value"] = _number(row["p"], 6)
    result["warnings"] = sorted(
        {
            str(w.message).strip().splitlines()[0][:200]
            for w in caught
            if "Convergence" in type(w.message).__name__
        }
    )
    return result


def compare(members: Sequence[Member], horizon: float, flag: str, currency: str = "") -> dict:
    """The with/without comparison of one set of customers (a cohort or one stratum).

    The restricted mean is taken up to the horizon asked for or, when a group is followed
    for less, up to the last day both groups are followed (so no figure assumes a curve stays
    flat beyond its data); ``rmst.horizon`` is the one used, ``rmst.asked_horizon`` the other.
    """
    from lifelines.statistics import logrank_test

    with_flag = [m for m in members if m.exposed]
    without = [m for m in members if not m.exposed]
    groups = [_km_figures(with_flag, "with"), _km_figures(without, "without")]
    warnings_ = [
        f"the '{g['group']}' group is small ({g['n']} customers, {g['events']} ended): "
        "read its figures with care"
        for g in groups
        if g["small"]
    ]
    result = {
        "groups": groups,
        "logrank": {"statistic": None, "p_value": None},
        "cox": {"hazard_ratio": None, "ci": [None, None], "adjusted_for": []},
        "rmst": {
            "horizon": horizon,
            "with": None,
            "without": None,
            "difference": None,
            "ci": [None, None],
        },
        "value": {"monthly_value_mean": None, "difference": None},
    }
    if not with_flag or not without:
        warnings_.append("one group is empty: there is nothing to compare")
        result["warnings"] = warnings_
        return result
    if any(m.ended for m in members):
        test = logrank_test(
            [m.days for m in with_flag],
            [m.days for m in without],
            [m.ended for m in with_flag],
            [m.ended for m in without],
        )
        result["logrank"] = {
            "statistic": _number(test.test_statistic),
            "p_value": _number(test.p_value, 6),
        }
    result["cox"] = _cox(members)
    if result["cox"]["error"]:
        warnings_.append(f"Cox model {result['cox']['error']}")
    asked = horizon
    followed = min(max(m.days for m in part) for part in (with_flag, without))
    if followed < horizon:
        horizon = float(math.floor(followed))
        short = "with" if max(m.days for m in with_flag) == followed else "without"
        warnings_.append(
            f"the '{short}' group is followed for {horizon:g} days at most, so the "
            f"restricted means and their difference are over the first {horizon:g} days, not "
            f"the {asked:g} asked for"
        )
    (a, se_a), (b, se_b) = rmst_with_se(with_flag, horizon), rmst_with_se(without, horizon)
    difference, se = a - b, math.sqrt(se_a**2 + se_b**2)
    ci = [difference - Z95 * se, difference + Z95 * se]
    result["rmst"] = {
        "horizon": horizon,
        "asked_horizon": asked,
        "with": _number(a, 2),
        "without": _number(b, 2),
        "difference": _number(difference, 2),
        "ci": [_number(ci[0], 2), _number(ci[1], 2)],
    }
    values = [m.monthly_value for m in members if m.monthly_value is not None]
    mean_value = sum(values) / len(values) if values else None
    money = difference / DAYS_PER_MONTH * mean_value if mean_value is not None else None
    result["value"] = {
        "monthly_value_mean": _number(mean_value, 2),
        "difference": _number(money, 2),
        # No money figure from a group too small to stand behind (its own warning says so).
        "sentence": value_sentence(
            flag, horizon, difference, None if any(g["small"] for g in groups) else money, ci,
            currency,
        ),
    }
    result["warnings"] = warnings_
    return result


def curves(members: Sequence[Member]) -> dict[str, dict[str, list[float]]]:
    """Kaplan–Meier curve and 95% band per group, for the chart: times, survival, low, high."""
    out = {}
    for group, part in (
        ("with", [m for m in members if m.exposed]),
        ("without", [m for m in members if not m.exposed]),
    ):
        if not part:
            continue
        kmf = _fit_km(part, group)
        band = kmf.confidence_interval_
        out[group] = {
            "days": [float(t) for t in kmf.survival_function_.index],
            "survival": [float(v) for v in kmf.survival_function_.iloc[:, 0]],
            "low": [float(v) for v in band.iloc[:, 0]],
            "high": [float(v) for v in band.iloc[:, 1]],
        }
    return out


def at_risk(members: Sequence[Member], ticks: Sequence[float]) -> dict[str, list[int]]:
    """Number still at risk (neither ended nor censored yet) at each tick, per group."""
    return {
        group: [sum(1 for m in members if m.exposed == exposed and m.days >= t) for t in ticks]
        for group, exposed in (("with", True), ("without", False))
    }

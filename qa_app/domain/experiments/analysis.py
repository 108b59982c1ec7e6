"""The analysis of a randomised experiment: the difference between two arms, per metric.

- **Effect**: treatment − control difference in call-level means, the coefficient of
  ``value ~ treated`` by ordinary least squares (statsmodels).
- **30 or more randomisation units with data** (``ri_unit_threshold``): the interval and p-value
  use the cluster-robust covariance with the units as clusters (statsmodels ``cov_type=
  "cluster"``: Stata's CR1 small-sample factor, t on G − 1 degrees of freedom), because calls of
  one queue or schedule block share its customers, staff and hours and are not independent.
- **Fewer units**: cluster-robust errors are unreliable with few clusters, so the p-value comes
  from randomisation inference (Fisher's exact test of "no effect on any call"): the assignment
  is re-drawn ``permutations`` times (at least 1,000) with the recorded design
  (experiment_assignment.assign_units: the same strata and arms, seeds derived from a generator
  seeded by the experiment's seed), the difference in means recomputed each time, and
  p = (1 + #{|draw| ≥ |observed|}) / (1 + draws). When the design has no more distinct
  assignments than that and all are equally likely (fixed counts per stratum, e.g. two of six
  queues), every one is enumerated instead and p = #{|assignment| ≥ |observed|} / their
  number: the exact test, without Monte Carlo error. The interval is the same test inverted
  (Imbens & Rubin 2015, §5.7): every shift τ for which "treatment adds τ to every call"
  is not rejected at level α, under that constant-effect assumption. Because the difference in
  means is linear in τ, each draw's rejection region is a quadratic inequality in τ and the
  accepted set is found exactly (its hull is reported). When the design has too few distinct
  assignments to ever reject, the interval is unbounded and shown as missing, with a warning.
  With more than two arms each comparison shuffles only the two arms' units within their
  strata (a conditional randomisation test; see experiment_randomisation.Draws).
- **Measured** (tests/domain/experiments/test_simulation.py, seeded): randomisation p-values
  uniform under no effect (5.5% at or below 0.05 in 200 experiments of 12 queues); the
  inverted interval covered a planted effect in 93.5% of 200; the cluster-robust interval
  covered in 93.2% of 250 experiments of 40 queues — CR1 errors run slightly narrow with a few
  dozen clusters of unequal size, so a 95% interval there is closer to a 93% one. The
  clustered standard errors match Petersen's published test-data values
  (tests/domain/experiments/test_analysis.py).
- **Subgroups** (equity: interaction complexity, tenure, channel): the same estimate within each
  level, and an interaction test: ``value ~ treated * C(level)``, cluster-robust Wald F test of
  the interaction terms (approximate with few units, said so in a warning; not shown with
  fewer than 10 units, or fewer than 2 × levels + 1, where the clustered covariance is
  unreliable or singular).

This is a randomised comparison, so the effect is causal for the units and period of the
experiment — provided the contamination check (experiment_contamination) is clean.

The cluster-robust fits (the effect with many units, the interaction test) are in
qa_app.domain.experiments.clustered_errors; the re-draws in qa_app.domain.experiments.randomisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qa_app.domain.experiments.assignment import validate_design
from qa_app.domain.experiments.clustered_errors import cluster_estimate, interaction_p
from qa_app.domain.experiments.randomisation import Draws, ri_estimate

__all__ = [
    "MetricEffect",
    "SubgroupEffect",
    "estimate_effect",
]

CLUSTER = "cluster-robust"
RANDOMISATION = "randomisation-inference"
MIN_PERMUTATIONS = 1000


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _pair(ci) -> list[float | None] | None:
    return None if ci is None else [_num(ci[0]), _num(ci[1])]


@dataclass
class SubgroupEffect:
    """The effect within one level of an equity subgroup variable (e.g. channel=chat)."""

    variable: str
    level: str
    effect: float | None
    ci: tuple[float, float] | None
    n_calls: int
    n_units: int
    warning: str | None
    p_value: float | None = None

    def to_json(self) -> dict:
        return {
            "subgroup": f"{self.variable}={self.level}",
            "variable": self.variable,
            "level": self.level,
            "effect": _num(self.effect),
            "ci": _pair(self.ci),
            "p_value": _num(self.p_value),
            "n_calls": self.n_calls,
            "n_units": self.n_units,
            "warning": self.warning,
        }


@dataclass
class MetricEffect:
    """One metric's treatment − control difference, its interval, p-value and subgroups."""

    metric: str
    primary: bool
    effect: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    method: str
    n_units: int
    n_calls: int
    arm_means: dict[str, float]
    subgroups: list[SubgroupEffect] = field(default_factory=list)
    interaction_p_values: dict[str, float | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ci_method: str | None = None
    control: str = ""
    treatment: str = ""
    alpha: float = 0.05
    permutations: int | None = None
    units_per_arm: dict[str, int] = field(default_factory=dict)
    randomisation: str | None = None
    distinct_assignments: int | None = None
    smallest_p_value: float | None = None

    def to_json(self) -> dict:
        """The issue's JSON shape (metric, primary, effect, ci [lo, hi], p_value, method,
        subgroups [{subgroup: "channel=chat", effect, ci, ...}]) plus the rest."""
        return {
            "metric": self.metric,
            "primary": self.primary,
            "effect": _num(self.effect),
            "ci": _pair(self.ci),
            "p_value": _num(self.p_value),
            "method": self.method,
            "ci_method": self.ci_method,
            "control": self.control,
            "treatment": self.treatment,
            "confidence": 1 - self.alpha,
            "permutations": self.permutations,
            "randomisation": self.randomisation,
            "distinct_assignments": self.distinct_assignments,
            "smallest_p_value": _num(self.smallest_p_value),
            "n_units": self.n_units,
            "n_calls": self.n_calls,
            "units_per_arm": dict(self.units_per_arm),
            "arm_means": {k: _num(v) for k, v in self.arm_means.items()},
            "subgroups": [s.to_json() for s in self.subgroups],
            "interaction_p_values": {k: _num(v) for k, v in self.interaction_p_values.items()},
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------- data preparation


def _prepare(rows, control, treatment, strata, arms, subgroup_columns, allocation=None):
    """Checked copy of the rows: unit, arm, value, treated (0/1), the subgroup columns; only
    the two compared arms. Raises ValueError naming the row or column that is wrong."""
    validate_design(strata, arms, allocation)
    if control == treatment:
        raise ValueError(f"control and treatment must be different arms; both are {control!r}")
    for role, arm in (("control", control), ("treatment", treatment)):
        if arm not in arms:
            raise ValueError(
                f"the {role} arm {arm!r} is not one of the plan's arms ({', '.join(arms)})"
            )
    needed = ["unit", "arm", "value", *subgroup_columns]
    missing = [c for c in needed if c not in rows.columns]
    if missing:
        raise ValueError(f"the call rows lack column(s): {', '.join(missing)}")
    data = rows[needed].copy().reset_index(drop=True)
    data["unit"] = data["unit"].astype(str)
    data["arm"] = data["arm"].astype(str)
    unknown_units = sorted(set(data["unit"]) - set(strata))
    if unknown_units:
        raise ValueError(
            f"call rows for unit(s) not in the design: {', '.join(unknown_units[:10])}"
        )
    bad_arm = ~data["arm"].isin(list(arms))
    if bad_arm.any():
        i = int(np.flatnonzero(bad_arm)[0])
        raise ValueError(
            f"call row {i + 1}: arm {data['arm'][i]!r} is not one of the plan's arms "
            f"({', '.join(arms)})"
        )
    pairs = data[["unit", "arm"]].drop_duplicates()
    split = pairs[pairs["unit"].duplicated(keep=False)]
    if len(split):
        unit = min(split["unit"])
        both = sorted(split.loc[split["unit"] == unit, "arm"])
        raise ValueError(f"unit {unit} appears under arms {', '.join(both)}; a unit has one arm")
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    for column in subgroup_columns:
        data[column] = data[column].where(data[column].notna(), "(not recorded)").astype(str)
    data = data[data["arm"].isin([control, treatment])]
    dropped = int((~np.isfinite(data["value"].to_numpy(dtype=float))).sum())
    data = data[np.isfinite(data["value"].to_numpy(dtype=float))].copy()
    data["treated"] = (data["arm"] == treatment).astype(float)
    return data, dropped


# ------------------------------------------------------------------------ the two estimators


def _estimate(data, method, draws, alpha):
    """(effect, ci, p, warnings, n_units) for these calls, with the degenerate cases named."""
    n_t = int(data.loc[data.treated == 1, "unit"].nunique())
    n_c = int(data.loc[data.treated == 0, "unit"].nunique())
    n_units = n_t + n_c
    if n_t == 0 or n_c == 0:
        empty = " or ".join(side for side, n in (("control", n_c), ("treatment", n_t)) if n == 0)
        return None, None, None, [f"no calls in the {empty} arm"], n_units
    values = data["value"].to_numpy(dtype=float)
    effect = float(values[data.treated == 1].mean() - values[data.treated == 0].mean())
    if min(n_t, n_c) < 2:
        return (
            effect,
            None,
            None,
            [
                f"only {n_t} treatment and {n_c} control unit(s) have calls; an error cannot be "
                "estimated from a single unit in an arm"
            ],
            n_units,
        )
    if np.ptp(values) == 0:
        return (
            0.0,
            None,
            None,
            ["the metric has the same value on every call; nothing to test"],
            n_units,
        )
    if method == RANDOMISATION:
        effect, ci, p, warns = ri_estimate(data, draws, alpha)
        return float(effect), ci, p, warns, n_units
    effect, ci, p, warns = cluster_estimate(data, alpha)
    return effect, ci, p, warns, n_units


# --------------------------------------------------------------------------------- public API


def estimate_effect(
    rows: pd.DataFrame,
    *,
    metric: str,
    primary: bool,
    control: str,
    treatment: str,
    strata: Mapping[str, str],
    arms: Sequence[str],
    seed: int,
    subgroup_columns: Sequence[str] = (),
    permutations: int = 2000,
    ri_unit_threshold: int = 30,
    alpha: float = 0.05,
    min_permutations: int = MIN_PERMUTATIONS,
    allocation: Mapping[str, int] | None = None,
) -> MetricEffect:
    """The treatment − control difference in call-level means of one metric.

    ``rows``: one row per call with columns unit, arm, value (a number; blanks are left out
    and counted in a warning) and the subgroup columns (text). Units with data in the two arms
    fewer than ``ri_unit_threshold`` → randomisation inference with ``permutations`` re-draws of
    the recorded design (``strata``, ``arms``; seeds derived from ``seed``); otherwise
    cluster-robust errors by unit. ``min_permutations`` (1,000) exists so that simulation
    tests can run smaller; reports use the default. Empty arms, one unit in an arm, constant
    values: no error, a warning and missing figures. ``allocation``: the plan's arm ratios, so
    that the re-draws follow the recorded design. With randomisation inference the result
    carries the design's smallest attainable p-value and, when that is above ``alpha``, says
    that no result of this design can be significant.
    """
    arms = list(arms)
    subgroup_columns = list(subgroup_columns)
    if permutations < min_permutations:
        raise ValueError(
            f"randomisation inference needs at least {min_permutations} re-draws; "
            f"got {permutations}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
    data, dropped = _prepare(rows, control, treatment, strata, arms, subgroup_columns, allocation)
    n_units = int(data["unit"].nunique())
    units_by_arm = data.groupby("arm")["unit"].nunique()
    method = RANDOMISATION if n_units < ri_unit_threshold else CLUSTER
    draws = None
    if method == RANDOMISATION:
        observed = data.groupby("unit")["treated"].first().astype(bool).to_dict()
        draws = Draws(strata, arms, seed, permutations, control, treatment, observed, allocation)
    effect, ci, p_value, warns, _ = _estimate(data, method, draws, alpha)
    warnings = list(warns)
    resolution = draws.resolution if draws is not None else {}
    if resolution and p_value is not None and resolution["smallest_p_value"] > alpha:
        warnings.append(
            f"this design can never give a p-value below {resolution['smallest_p_value']:.3f} "
            f"({resolution['distinct_assignments']} distinct assignments of the {control} and "
            f"{treatment} units), so no result can reach α = {alpha:g}: read it as an "
            "exploratory, underpowered pilot, not as a test",
        )
    if dropped:
        warnings.append(f"{dropped} call(s) without a value for {metric} were left out")
    ci_method = None
    if ci is not None:
        ci_method = (
            "randomisation test inverted (constant additive effect)"
            if method == RANDOMISATION
            else "cluster-robust (CR1), t on units − 1 degrees of freedom"
        )
    result = MetricEffect(
        metric=metric,
        primary=primary,
        effect=effect,
        ci=ci,
        p_value=p_value,
        method=method,
        n_units=n_units,
        n_calls=len(data),
        arm_means={arm: float(v) for arm, v in data.groupby("arm")["value"].mean().items()},
        warnings=warnings,
        ci_method=ci_method,
        control=control,
        treatment=treatment,
        alpha=alpha,
        permutations=len(draws.treated) if draws is not None else None,
        units_per_arm={arm: int(units_by_arm.get(arm, 0)) for arm in (control, treatment)},
        randomisation=draws.design if draws is not None else None,
        distinct_assignments=resolution.get("distinct_assignments"),
        smallest_p_value=resolution.get("smallest_p_value"),
    )
    for variable in subgroup_columns:
        for level in sorted(data[variable].unique()):
            part = data[data[variable] == level]
            s_effect, s_ci, s_p, s_warns, s_units = _estimate(part, method, draws, alpha)
            result.subgroups.append(
                SubgroupEffect(
                    variable=variable,
                    level=level,
                    effect=s_effect,
                    ci=s_ci,
                    n_calls=len(part),
                    n_units=s_units,
                    warning="; ".join(s_warns) or None,
                    p_value=s_p,
                )
            )
        p, note = interaction_p(data, variable, few_units=method == RANDOMISATION)
        result.interaction_p_values[variable] = p
        if note:
            result.warnings.append(note)
    return result

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
  strata (a conditional randomisation test; see ``_Draws``).
- **Measured** (tests/domain/test_experiment_simulation.py, seeded): randomisation p-values
  uniform under no effect (5.5% at or below 0.05 in 200 experiments of 12 queues); the
  inverted interval covered a planted effect in 93.5% of 200; the cluster-robust interval
  covered in 93.2% of 250 experiments of 40 queues — CR1 errors run slightly narrow with a few
  dozen clusters of unequal size, so a 95% interval there is closer to a 93% one. The
  clustered standard errors match Petersen's published test-data values
  (tests/domain/test_experiment_analysis.py).
- **Subgroups** (equity: interaction complexity, tenure, channel): the same estimate within each
  level, and an interaction test: ``value ~ treated * C(level)``, cluster-robust Wald F test of
  the interaction terms (approximate with few units, said so in a warning; not shown with
  fewer than 10 units, or fewer than 2 × levels + 1, where the clustered covariance is
  unreliable or singular).

This is a randomised comparison, so the effect is causal for the units and period of the
experiment — provided the contamination check (experiment_contamination) is clean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from qa_app.domain.experiment_assignment import (
    randomisation_resolution,
    redraw_assignments,
    validate_design,
)

__all__ = [
    "MetricEffect",
    "SubgroupEffect",
    "cluster_robust_ols",
    "estimate_effect",
]

CLUSTER = "cluster-robust"
RANDOMISATION = "randomisation-inference"
MIN_PERMUTATIONS = 1000
MIN_INTERACTION_UNITS = 10


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


@lru_cache(maxsize=8)
def _draws(
    strata_items: tuple, arms: tuple, seed: int, permutations: int, allocation: tuple | None
) -> tuple:
    """Units and re-drawn arm indices for a design; cached because every metric of a report
    re-draws the same design with the same seed."""
    seeds = np.random.default_rng(seed).integers(0, 2**63 - 1, size=permutations)
    units, drawn = redraw_assignments(
        dict(strata_items), list(arms), [int(s) for s in seeds],
        dict(allocation) if allocation else None,
    )  # fmt: skip
    drawn.setflags(write=False)
    return units, drawn


def _within_strata(strata, observed: dict[str, bool], seed: int, permutations: int):
    """Treated indicator of the compared units under ``permutations`` re-draws that shuffle
    the observed labels within each stratum (each stratum keeps its counts)."""
    units = sorted(observed)
    rng = np.random.default_rng(seed)
    treated = np.empty((permutations, len(units)))
    by_stratum: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_stratum.setdefault(str(strata[unit]), []).append(i)
    for stratum in sorted(by_stratum):
        group = np.array(by_stratum[stratum])
        labels = np.array([float(observed[units[i]]) for i in group])
        order = np.argsort(rng.random((permutations, len(group))), axis=1)
        treated[:, group] = labels[order]
    return units, treated


def _every_assignment(strata, units, treated_row) -> np.ndarray:
    """Every arrangement of the compared units with ``treated_row``'s number of treated units
    in each stratum (rows: 1 treated, 0 control); used when there are few enough to list."""
    from itertools import combinations, product

    by_stratum: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_stratum.setdefault(str(strata[unit]), []).append(i)
    choices = []
    for stratum in sorted(by_stratum):
        group = by_stratum[stratum]
        choices.append(list(combinations(group, int(sum(treated_row[group])))))
    rows = []
    for picks in product(*choices):
        row = np.zeros(len(units))
        for chosen in picks:
            row[list(chosen)] = 1.0
        rows.append(row)
    return np.array(rows)


class _Draws:
    """The re-drawn assignments of randomisation inference, shared by a metric's estimates.

    Two arms: the whole recorded design re-drawn (assign_units with seeds derived from the
    experiment's seed, with the plan's allocation, so "two of six queues" is re-drawn as two
    of six). More arms: the comparison concerns only the units of the two arms, and
    re-drawing the whole design would move some of them to other arms (whose calls tell nothing
    about this comparison), so the labels of the two arms' units are shuffled within each
    stratum instead, keeping each stratum's counts: the conditional randomisation test, exact
    given those counts because the design makes every arrangement with them equally likely."""

    def __init__(
        self, strata, arms, seed, permutations, control, treatment, observed, allocation=None
    ):
        if len(arms) == 2:
            key = tuple(sorted((str(u), str(s)) for u, s in strata.items()))
            alloc = tuple(sorted(allocation.items())) if allocation else None
            self.units, drawn = _draws(key, tuple(arms), int(seed), int(permutations), alloc)
            t_index, c_index = list(arms).index(treatment), list(arms).index(control)
            self.treated = (drawn == t_index).astype(float)
            self.control = (drawn == c_index).astype(float)
            self.design = "the recorded design re-drawn"
            self.resolution = randomisation_resolution(strata, self.units, drawn, c_index, t_index)
        else:
            self.units, self.treated = _within_strata(strata, observed, int(seed), permutations)
            self.control = 1.0 - self.treated
            self.design = (
                f"the {control} and {treatment} units' labels shuffled within strata "
                "(conditional randomisation test)"
            )
            labels = self.treated[:1].astype(int)  # 1 treated, 0 control
            self.resolution = randomisation_resolution(strata, self.units, labels, 0, 1, True)
        self.exact = (
            self.resolution["exact"] and self.resolution["distinct_assignments"] <= permutations
        )
        if self.exact:
            self.treated = _every_assignment(strata, self.units, self.treated[0])
            self.control = 1.0 - self.treated
            self.design += (
                f"; all {len(self.treated)} equally likely assignments enumerated (exact test)"
            )
        self.index = {u: i for i, u in enumerate(self.units)}

    def statistics(self, data: pd.DataFrame, column: str) -> np.ndarray:
        """Difference in call-level means of ``column`` under every draw (NaN when a draw
        leaves one side of these calls empty)."""
        position = data["unit"].map(self.index).to_numpy()
        s = np.bincount(
            position, weights=data[column].to_numpy(dtype=float), minlength=len(self.units)
        )
        n = np.bincount(position, minlength=len(self.units)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty sides become NaN, excluded
            return self.treated @ s / (self.treated @ n) - self.control @ s / (self.control @ n)


def _ri_estimate(data, draws: _Draws, alpha):
    """Observed difference, randomisation p-value and inverted-test interval (or None)."""
    effect = (
        data.loc[data.treated == 1, "value"].mean() - data.loc[data.treated == 0, "value"].mean()
    )
    a = draws.statistics(data, "value")
    b = draws.statistics(data, "treated")
    valid = np.isfinite(a) & np.isfinite(b)
    a, b = a[valid], b[valid]
    warnings = []
    if len(a) == 0:
        return effect, None, None, ["no re-drawn assignment put these units in both arms"]
    scale = max(abs(effect), float(np.abs(a).max()), 1e-300)
    tol = 1e-9 * scale  # ties within rounding count as "as extreme" (conservative)
    # Re-draws add the observed assignment (1 + ... / 1 + draws); an enumeration holds it.
    plus = 0 if draws.exact else 1
    p_value = (plus + np.sum(np.abs(a) >= abs(effect) - tol)) / (plus + len(a))
    ci = _invert(effect, a, b, alpha, tol, plus)
    if ci is None:
        warnings.append(
            f"the {1 - alpha:.0%} interval is unbounded: this design has too few distinct "
            "assignments to rule out any effect size"
        )
    return effect, ci, float(p_value), warnings


def _invert(effect, a, b, alpha, tol, plus=1):
    """Hull of {τ : p(τ) > α} for H0 "treatment adds τ to every call". Under H0 each draw's
    statistic is a − τ·b and the observed one is effect − τ; draw k counts as extreme where
    (a_k − τ b_k)² ≥ (effect − τ)², a quadratic inequality, so p(τ) only changes at its roots."""
    qa = b**2 - 1
    qb = -2 * (a * b - effect)
    qc = a**2 - effect**2
    roots = [effect]
    quad = np.abs(qa) > 1e-12
    disc = qb**2 - 4 * qa * qc
    ok = quad & (disc >= 0)
    sq = np.sqrt(np.where(ok, disc, 0))
    roots += list(((-qb - sq) / (2 * np.where(ok, qa, 1)))[ok])
    roots += list(((-qb + sq) / (2 * np.where(ok, qa, 1)))[ok])
    lin = ~quad & (np.abs(qb) > 1e-300)
    roots += list((-qc / np.where(lin, qb, 1))[lin])
    roots = np.unique(np.asarray(roots, dtype=float))
    gap = max(float(np.ptp(roots)), abs(effect), 1.0)
    probes = np.concatenate([[roots[0] - gap], (roots[:-1] + roots[1:]) / 2, [roots[-1] + gap]])

    def p_at(taus):
        out = np.empty(len(taus))
        for start in range(0, len(taus), 256):  # chunks keep the draws × probes matrix small
            t = taus[start : start + 256, None]
            extreme = np.abs(a[None, :] - t * b[None, :]) >= np.abs(effect - t) - tol
            out[start : start + 256] = (plus + extreme.sum(axis=1)) / (plus + len(a))
        return out

    accepted = p_at(probes) > alpha
    if accepted[0] or accepted[-1]:
        return None
    inside = np.flatnonzero(accepted)
    if len(inside) == 0:
        return (effect, effect)
    # probe i lies between roots[i - 1] and roots[i]
    return (float(roots[inside[0] - 1]), float(roots[inside[-1]]))


def cluster_robust_ols(y, exog: pd.DataFrame, groups):
    """statsmodels OLS of ``y`` on the columns of ``exog`` (include the constant) with the
    covariance clustered by ``groups``: Stata's CR1 (small-sample factor
    G/(G − 1)·(N − 1)/(N − K)) and t on G − 1 degrees of freedom. The one place the
    experiment's clustered errors come from (validated on Petersen's test data). Arrays rather
    than a formula: the formula parser costs more than the fit on a report's many small fits."""
    import statsmodels.api as sm

    codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
    return sm.OLS(np.asarray(y, dtype=float), exog.astype(float)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )


def _cluster_estimate(data, alpha):
    """OLS value ~ treated with the units as clusters: effect, CI, p-value, warnings."""
    exog = pd.DataFrame({"const": 1.0, "treated": data["treated"].to_numpy(dtype=float)})
    fit = cluster_robust_ols(data["value"], exog, data["unit"])
    effect = float(fit.params["treated"])
    # The variances before their square roots: with few clusters the clustered covariance can
    # be singular and a variance zero or (by rounding) negative, which must not reach the
    # user as a NaN error (statsmodels' bse would warn "invalid value encountered in sqrt").
    variances = np.diag(np.asarray(fit.cov_params(), dtype=float))
    if (
        not np.all(np.isfinite(variances))
        or variances.min() <= (1e-12 * max(1.0, abs(effect))) ** 2
    ):
        return effect, None, None, ["values do not vary within the arms; no error can be estimated"]
    lo, hi = fit.conf_int(alpha=alpha).loc["treated"]
    return effect, (float(lo), float(hi)), float(fit.pvalues["treated"]), []


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
        effect, ci, p, warns = _ri_estimate(data, draws, alpha)
        return float(effect), ci, p, warns, n_units
    effect, ci, p, warns = _cluster_estimate(data, alpha)
    return effect, ci, p, warns, n_units


def _interaction_p(data, variable, few_units):
    """Cluster-robust Wald F test that the effect is the same in every level of ``variable``."""
    both = data.groupby(variable)["treated"].agg(lambda t: t.min() == 0 and t.max() == 1)
    levels = sorted(both[both].index)
    if len(levels) < 2:
        return (
            None,
            f"{variable}: fewer than two levels have calls in both arms; no interaction test",
        )
    frame = data[data[variable].isin(levels)]
    n_clusters = frame["unit"].nunique()
    # The model has 2 × levels coefficients; the clustered covariance is built from one score
    # per unit, and those scores sum to zero, so it has rank at most units − 1: with fewer
    # units than coefficients + 1 it is singular and the test (and its errors) meaningless.
    needed = 2 * len(levels) + 1
    if few_units and n_clusters < MIN_INTERACTION_UNITS:
        # Clustered errors over-reject badly with a handful of clusters (Cameron & Miller
        # 2015): a p-value of 0.002 from five queues would be a number we cannot stand behind.
        return (
            None,
            f"{variable}: only {n_clusters} units; an interaction test needs at least "
            f"{MIN_INTERACTION_UNITS} to be trusted, so none is shown: read the subgroup "
            "effects as exploratory",
        )
    if n_clusters < needed:
        return (
            None,
            f"{variable}: too few units ({n_clusters}) for an interaction test over "
            f"{len(levels)} levels (it needs at least {needed}); no interaction test",
        )
    treated = frame["treated"].to_numpy(dtype=float)
    exog = pd.DataFrame({"const": 1.0, "treated": treated})
    for level in levels[1:]:  # the first level is the reference
        exog[f"level:{level}"] = (frame[variable] == level).to_numpy(dtype=float)
    for level in levels[1:]:
        exog[f"treated:{level}"] = treated * exog[f"level:{level}"]
    fit = cluster_robust_ols(frame["value"], exog, frame["unit"])
    names = list(exog.columns)
    terms = [i for i, n in enumerate(names) if n.startswith("treated:")]
    restriction = np.zeros((len(terms), len(names)))
    for row, i in enumerate(terms):
        restriction[row, i] = 1.0
    cov = np.asarray(fit.cov_params(), dtype=float)
    block = cov[np.ix_(terms, terms)]
    eigen = np.linalg.eigvalsh((block + block.T) / 2) if np.all(np.isfinite(block)) else [-1.0]
    if not np.all(np.isfinite(cov)) or np.min(eigen) <= 1e-12 * max(1.0, float(np.max(eigen))):
        # Too few units carry each level in each arm for the clustered covariance of the
        # interaction terms to be of full rank: no test rather than a NaN or a false p-value.
        return None, (
            f"{variable}: too few units carry each level in both arms to estimate the "
            "interaction's error; no interaction test"
        )
    test = fit.wald_test(restriction, use_f=True, scalar=True)
    note = None
    if few_units:
        note = (
            f"{variable}: interaction test from cluster-robust errors with only "
            f"{n_clusters} units; approximate"
        )
    return float(test.pvalue), note


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
        draws = _Draws(strata, arms, seed, permutations, control, treatment, observed, allocation)
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
        p, note = _interaction_p(data, variable, few_units=method == RANDOMISATION)
        result.interaction_p_values[variable] = p
        if note:
            result.warnings.append(note)
    return result

"""Randomisation inference for an experiment (Fisher's exact test of "no effect on any call"
and its inversion into an interval), used by experiment_analysis.estimate_effect below 30
units.

The re-drawn assignments follow the recorded design (experiment_assignment.assign_units with
the plan's strata, arms and allocation, seeds derived from the experiment's seed); with more
than two arms the compared arms' labels are shuffled within strata instead (the conditional
test); when the design has no more distinct, equally likely assignments than re-draws, every
one is listed (the exact test). The design's resolution (its number of distinct assignments
and smallest attainable p-value, experiment_assignment.randomisation_resolution) travels with
the draws so the report can say when no result can be significant.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from qa_app.domain.experiments.assignment import randomisation_resolution, redraw_assignments

__all__ = ["Draws", "ri_estimate"]


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


class Draws:
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


def ri_estimate(data, draws: Draws, alpha):
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

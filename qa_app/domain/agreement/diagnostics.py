"""Percent agreement, Gwet's AC2, and per-rater and per-unit diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from qa_app.domain.agreement.alpha import (
    alphas_from_coincidences,
    distances,
    pairable,
    value_counts,
)


def percent_agreement(
    counts: np.ndarray, domain: np.ndarray, numeric: bool
) -> tuple[float | None, float | None]:
    """Share of rater pairs on the same unit that agree exactly, and within one scale point.

    Every pair of raters who scored the same unit counts once.
    """
    counts = pairable(counts)
    if len(counts) == 0:
        return None, None
    m = counts.sum(axis=1)
    pairs = float((m * (m - 1)).sum() / 2)
    exact = float((counts * (counts - 1)).sum() / 2) / pairs
    if not numeric:
        return exact, None
    near = (np.abs(np.subtract.outer(domain, domain)) <= 1).astype(float)
    within = float(((np.einsum("uk,kl,ul->u", counts, near, counts) - m).sum()) / 2) / pairs
    return exact, within


def gwet_ac2(counts: np.ndarray, domain: np.ndarray, numeric: bool) -> float | None:
    """Gwet's AC2 with quadratic weights (identity weights, i.e. AC1, for text categories).

    Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., ch. 3, for several
    raters and missing ratings: p_a averages, over units with two or more ratings,
    Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1)) with r*_ik = Σ_l w_kl r_il; chance
    agreement p_e = T_w / (q (q − 1)) · Σ_k π_k (1 − π_k), with π_k the mean share of
    category k per rated unit and T_w the sum of the weights. None when undefined.
    """
    q = len(domain)
    rated = counts[counts.sum(axis=1) >= 1]
    if q < 2 or len(pairable(counts)) == 0:
        return None
    if numeric:
        span = domain.max() - domain.min()
        weights = 1.0 - (np.subtract.outer(domain, domain) / span) ** 2
    else:
        weights = np.eye(q)
    r = rated.sum(axis=1).astype(float)
    several = r >= 2
    weighted = rated @ weights
    p_a = float(((rated * (weighted - 1)).sum(axis=1)[several] / (r * (r - 1))[several]).mean())
    pi = (rated / r[:, None]).mean(axis=0)
    p_e = float(weights.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum())
    if p_e >= 1:
        return None
    return (p_a - p_e) / (1 - p_e)


@dataclass(frozen=True)
class RaterDiagnostics:
    rater: str
    scored: int
    mean: float | None
    bias: float | None
    alpha_without: float | None
    effect_of_removing: float | None


def rater_diagnostics(
    matrix: np.ndarray,
    raters: list[str],
    domain: np.ndarray,
    level: str,
    alpha: float | None,
    numeric: bool,
) -> list[RaterDiagnostics]:
    """Each rater's mean, bias against the others' unit mean, and leave-one-rater-out alpha.

    ``effect_of_removing`` > 0 means agreement rises without this rater.
    """
    present = ~np.isnan(matrix)
    totals = np.nansum(matrix, axis=0)
    per_unit = present.sum(axis=0)
    without = alphas_without_each_rater(matrix, domain, level)
    results = []
    for index, rater in enumerate(raters):
        row = matrix[index]
        mine = present[index]
        mean = bias = None
        if numeric and mine.any():
            mean = float(row[mine].mean())
            shared = mine & (per_unit >= 2)
            if shared.any():
                others = (totals[shared] - row[shared]) / (per_unit[shared] - 1)
                bias = float((row[shared] - others).mean())
        alpha_without = None if np.isnan(without[index]) else float(without[index])
        effect = alpha_without - alpha if alpha_without is not None and alpha is not None else None
        results.append(
            RaterDiagnostics(rater, int(mine.sum()), mean, bias, alpha_without, effect)
        )
    return results


def alphas_without_each_rater(matrix: np.ndarray, domain: np.ndarray, level: str) -> np.ndarray:
    """Alpha with each rater (row of ``matrix``) left out in turn; NaN where undefined.

    The coincidence matrix without a rater is everyone's minus that rater's share: on each
    unit they scored, the unit's contribution with its m values less its contribution
    with the other m − 1 (Krippendorff 2011, "Computing Krippendorff's alpha-reliability",
    eq. for o_ck: a unit's pairs weighted by 1 / (m_u − 1)). One pass over the ratings
    rather than recounting every unit once per rater.
    """
    raters, v = matrix.shape[0], len(domain)
    counts = value_counts(matrix, domain)
    pairable_units = counts.sum(axis=1) >= 2
    if not pairable_units.any():
        return np.full(raters, np.nan)
    kept = counts[pairable_units].astype(float)
    parts = _unit_pairs(kept)
    # share[u, k]: what unit u loses from the coincidences when a rater who gave it the k-th
    # value leaves; one row per unit and value, however many raters gave it.
    less_one = (kept[:, None, :] - np.eye(v)[None]).reshape(-1, v)
    share = parts[:, None, :] - _unit_pairs(less_one).reshape(len(kept), v, v * v)
    # Every rating on a pairable unit: its rater (in order), its unit and its value's place.
    place = np.cumsum(pairable_units) - 1
    rated = ~np.isnan(matrix) & pairable_units[None, :]
    rater_of, unit_of = np.nonzero(rated)
    value_of = np.searchsorted(domain, matrix[rater_of, unit_of])
    lost = share[place[unit_of], value_of]
    removed = np.zeros((raters, v * v))
    scored = np.bincount(rater_of, minlength=raters)
    starts = np.concatenate(([0], np.cumsum(scored)[:-1]))
    if len(lost):
        # reduceat over each rater's run of ratings; a rater with none on a pairable unit
        # would get the next rater's first rating from it, so they keep their zeros.
        sums = np.add.reduceat(lost, np.minimum(starts, len(lost) - 1), axis=0)
        removed[scored > 0] = sums[scored > 0]
    o = (parts.sum(axis=0)[None, :] - removed).reshape(raters, v, v)
    # A cell whose every pair was the rater's is zero up to rounding: make it zero, so "no
    # variation left" stays undefined instead of a ratio of rounding errors.
    o[o < 1e-9] = 0.0
    return alphas_from_coincidences(o, domain, level)


def _unit_pairs(counts: np.ndarray) -> np.ndarray:
    """Each row's unit contribution to the coincidences, flattened; zero below two values."""
    m = counts.sum(axis=1)
    outer = counts[:, :, None] * counts[:, None, :]
    outer[:, np.arange(counts.shape[1]), np.arange(counts.shape[1])] -= counts
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs = outer / np.where(m >= 2, m - 1, 1)[:, None, None]
    pairs[m < 2] = 0.0
    return pairs.reshape(len(counts), -1)


@dataclass(frozen=True)
class UnitDiagnostics:
    unit: str
    values: list[float]
    spread: float | None
    disagreement: float


def unit_diagnostics(
    matrix: np.ndarray,
    units: list[str],
    domain: np.ndarray,
    level: str,
    expected: float | None,
    numeric: bool,
) -> list[UnitDiagnostics]:
    """Pairable units ranked by disagreement, the calls to discuss first at the top.

    A unit's disagreement is the mean δ² over its pairs of values, divided by the
    expected disagreement D_e when there is one: 0 is full agreement, 1 is as much
    disagreement as chance would give.
    """
    counts = value_counts(matrix, domain)
    m = counts.sum(axis=1)
    keep = np.flatnonzero(m >= 2)
    if len(keep) == 0:
        return []
    n_c = counts[keep].sum(axis=0)
    delta = distances(level, domain, n_c.astype(float))
    within = np.einsum("uk,kl,ul->u", counts[keep], delta, counts[keep]) / (m[keep] * (m[keep] - 1))
    if expected:
        within = within / expected
    within = within.tolist()
    # Each kept unit's values in rater order, cut from one flat array: a NumPy call per unit
    # took a tenth of a second at 10,000 units.
    columns = matrix[:, keep].T
    present = ~np.isnan(columns)
    flat = columns[present].tolist()
    ends = np.cumsum(present.sum(axis=1)).tolist()
    if numeric:
        spreads = (np.nanmax(columns, axis=1) - np.nanmin(columns, axis=1)).tolist()
    else:
        spreads = [None] * len(keep)
    results = []
    start = 0
    for position, (unit_index, end) in enumerate(zip(keep.tolist(), ends, strict=True)):
        results.append(
            UnitDiagnostics(units[unit_index], flat[start:end], spreads[position], within[position])
        )
        start = end
    results.sort(key=lambda u: (-u.disagreement, -(u.spread or 0), u.unit))
    return results


class UnitRanking(Sequence[UnitDiagnostics]):
    """:func:`unit_diagnostics`' ranking, worked out the first time it is read.

    A report that shows no units (the agreement command's JSON without --units) never pays
    for ranking ten thousand of them.
    """

    def __init__(self, compute: Callable[[], list[UnitDiagnostics]]):
        self._compute = compute
        self._rows: list[UnitDiagnostics] | None = None

    def _ranked(self) -> list[UnitDiagnostics]:
        if self._rows is None:
            self._rows = self._compute()
        return self._rows

    def __getitem__(self, index):
        return self._ranked()[index]

    def __len__(self) -> int:
        return len(self._ranked())

    def __iter__(self) -> Iterator[UnitDiagnostics]:
        return iter(self._ranked())

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"UnitRanking({self._ranked()!r})"

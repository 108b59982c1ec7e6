"""One with/without comparison of the flag comparison (qa_app.domain.flags.comparison).

A reviewed call as the comparison sees it (:class:`ComparisonRow`); the running sums of the
calls on one side (:class:`Side`) and their weighted sums (:class:`Weighted`); the
standardised sides over the interaction types both have (:func:`standardized`); and one
group's crude, weighted and standardised differences with their 95% intervals and warnings,
in its JSON shape (:func:`group_result`). The adjusted difference and the design-based
interval are computed by :class:`qa_app.domain.flags.comparison.Comparison` and handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qa_app.domain.comparison_statistics import (
    effective_n,
    mean_difference_interval,
    rate_difference_interval,
)

SMALL_CELL = 30


@dataclass(frozen=True)
class ComparisonRow:
    """One reviewed call as the comparison sees it."""

    flags: Mapping[str, bool | None]
    outcome: float | None
    weight: float = 1.0
    save_script: str | None = None
    agent_tenure_days: int | None = None
    channel: str | None = None
    interaction_type: str | None = None
    team: str | None = None
    queue: str | None = None
    saved: float | None = None
    credit: float | None = None
    # The design stratum the call was drawn in (sampling plan) or weighted in (mix).
    stratum: str = ""


class Side:
    """Running sums for the calls on one side (with or without a flag)."""

    __slots__ = (
        "n",
        "y",
        "y2",
        "w",
        "wy",
        "wy2",
        "w2",
        "saves",
        "credit",
        "w_saves",
        "w_credit",
        "has_credit",
    )

    def __init__(self):
        self.n = 0
        self.y = self.y2 = self.w = self.wy = self.wy2 = self.w2 = 0.0
        self.saves = self.credit = self.w_saves = self.w_credit = 0.0
        self.has_credit = False

    def add(self, row: ComparisonRow) -> None:
        y, w = row.outcome, row.weight
        self.n += 1
        self.y += y
        self.y2 += y * y
        self.w += w
        self.wy += w * y
        self.wy2 += w * y * y
        self.w2 += w * w
        if row.saved is not None and row.credit is not None:
            self.has_credit = True
            self.saves += row.saved
            self.credit += row.credit
            self.w_saves += w * row.saved
            self.w_credit += w * row.credit

    def merge(self, other: Side) -> None:
        for name in Side.__slots__:
            if name == "has_credit":
                self.has_credit = self.has_credit or other.has_credit
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def mean(self) -> float | None:
        return self.y / self.n if self.n else None

    def variance(self) -> float | None:
        """Sample variance (n - 1)."""
        if self.n < 2:
            return None
        return max(0.0, (self.y2 - self.y * self.y / self.n) / (self.n - 1))

    def weighted(self) -> Weighted:
        return Weighted(self.w, self.wy, self.wy2, self.w2)

    def summary(self) -> dict:
        result = {
            "n": self.n,
            "effective_n": round(effective_n(self.w, self.w2), 1),
            "value": self.mean(),
            "weighted_value": self.weighted().mean(),
        }
        if self.has_credit:
            result["credit_per_save"] = self.credit / self.saves if self.saves else None
            result["weighted_credit_per_save"] = (
                self.w_credit / self.w_saves if self.w_saves else None
            )
        return result


@dataclass
class Weighted:
    """Weighted sums of one side: Σw, Σwy, Σwy², Σw²."""

    w: float = 0.0
    wy: float = 0.0
    wy2: float = 0.0
    w2: float = 0.0

    def mean(self) -> float | None:
        return self.wy / self.w if self.w else None

    def variance(self) -> float | None:
        if not self.w:
            return None
        n_eff = self.effective_n()
        if n_eff <= 1:
            return None
        # Weighted population variance scaled to n_eff - 1, the unweighted ddof=1 when w = 1.
        return max(0.0, self.wy2 / self.w - (self.wy / self.w) ** 2) * n_eff / (n_eff - 1)

    def effective_n(self) -> float:
        return effective_n(self.w, self.w2)


def _difference(a, b):
    return None if a is None or b is None else a - b


def _interval(rate: bool, mean1, var1, n1, mean0, var0, n0):
    if rate:
        return rate_difference_interval(mean1, n1, mean0, n0)
    return mean_difference_interval(mean1, var1, n1, mean0, var0, n0)


def standardized(
    with_strata: Mapping[str, Side], without_strata: Mapping[str, Side]
) -> tuple[Weighted, Weighted, list[str], float]:
    """Each side standardised to the group's interaction mix over the types both sides have.

    P_h is the type's share of the group's weighted calls (both sides). A call on side s of
    type h counts P_h / n_sh, so the side's weighted mean is Σ_h P_h ȳ_sh and the weighted
    difference is Σ_h P_h (ȳ₁ₕ − ȳ₀ₕ); its Kish n_eff gives the interval. Types with calls on
    one side only cannot be compared and are left out, the other shares renormalised.
    Returns the two sides, the left-out types and their share of the mix.
    """
    mass = {
        h: with_strata.get(h, Side()).w + without_strata.get(h, Side()).w
        for h in set(with_strata) | set(without_strata)
    }
    total = sum(mass.values())
    kept = [h for h in mass if with_strata.get(h, Side()).n and without_strata.get(h, Side()).n]
    left_out = sorted(set(mass) - set(kept))
    kept_mass = sum(mass[h] for h in kept)
    sides = []
    for strata in (with_strata, without_strata):
        result = Weighted()
        for h in kept:
            side, share = strata[h], mass[h] / kept_mass
            factor = share / side.n
            result.w += share
            result.wy += factor * side.y
            result.wy2 += factor * side.y2
            result.w2 += factor * factor * side.n
        sides.append(result)
    left_share = 1 - kept_mass / total if total else 0.0
    return sides[0], sides[1], left_out, left_share


def group_result(
    flag: str,
    with_: Side,
    without: Side,
    rate: bool = False,
    with_strata: Mapping[str, Side] | None = None,
    without_strata: Mapping[str, Side] | None = None,
    adjusted: tuple | None = None,
    design: tuple[list[float] | None] | None = None,
) -> dict:
    """The JSON shape of one with/without comparison.

    ``design``: (the weighted difference's design-based interval,) when the rows carry
    weights; None: they do not, and the weighted interval is the effective-n one, which is
    then the crude one."""
    first, second = with_.summary(), without.summary()
    warnings = []
    difference = _difference(first["value"], second["value"])
    ci = _interval(
        rate, first["value"], with_.variance(), with_.n, second["value"], without.variance(),
        without.n,
    )
    w1, w0 = with_.weighted(), without.weighted()
    weighted = _difference(w1.mean(), w0.mean())
    if design is not None:
        weighted_ci = design[0] if weighted is not None else None
    else:
        weighted_ci = _interval(
            rate, w1.mean(), w1.variance(), w1.effective_n(), w0.mean(), w0.variance(),
            w0.effective_n(),
        )
    s1, s0, left_out, left_share = standardized(with_strata or {}, without_strata or {})
    first["standardized_value"], second["standardized_value"] = s1.mean(), s0.mean()
    standardized_difference = _difference(s1.mean(), s0.mean())
    standardized_ci = _interval(
        rate, s1.mean(), s1.variance(), s1.effective_n(), s0.mean(), s0.variance(),
        s0.effective_n(),
    )
    if left_out and standardized_difference is not None:
        warnings.append(
            f"Standardised difference leaves out interaction type(s) {', '.join(left_out)} "
            f"({left_share:.0%} of the mix): calls there are all with or all without the "
            "flag. The other types' shares are renormalised."
        )
    elif left_out and with_.n and without.n:
        warnings.append(
            "No interaction type has calls both with and without the flag: no standardised "
            "difference."
        )
    if (
        weighted is not None
        and standardized_difference is not None
        and weighted * standardized_difference < 0
    ):
        warnings.append(
            "The weighted and standardised differences point opposite ways: calls with the "
            "flag are of other interaction types than calls without it. The standardised "
            "figure compares like with like."
        )
    estimate, adjusted_ci, why = adjusted or (None, None, None)
    if why and with_.n and without.n:
        warnings.append(f"No adjusted difference: {why}.")
    smallest = min(w1.effective_n(), w0.effective_n())
    return {
        "flag": flag,
        "with": first,
        "without": second,
        "difference": difference,
        "ci": ci,
        "weighted_difference": weighted,
        "weighted_ci": weighted_ci,
        "standardized_difference": standardized_difference,
        "standardized_ci": standardized_ci,
        "adjusted_difference": estimate,
        "adjusted_ci": adjusted_ci,
        "too_small": smallest < SMALL_CELL,
        "warnings": warnings,
    }

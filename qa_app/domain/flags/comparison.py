"""Save-script outcome comparisons: calls with and without each behaviour flag.

For every save script and flag: n, the outcome's rate (boolean) or mean (numeric) with and
without the flag, and four differences, each with its own 95% interval:

- crude: the reviewed calls as they are;
- weighted: each call weighted back to the interaction mix. This estimates the difference
  in the whole population of calls, *not* the flag's effect: when the flag is commoner in
  easy interaction types, the mix-weighted difference still carries that;
- standardised: Σ_h P_h (ȳ₁ₕ − ȳ₀ₕ) over interaction types h, P_h the type's share of the
  (weighted) calls. Differences are taken inside each type first, so a flag that goes with
  a better outcome in every type cannot show a worse one overall (Simpson's paradox);
- adjusted: the flag's coefficient in a regression on interaction type, tenure and channel
  (main comparison only: segments would need a model fit each, on every export).

All are associations: calls with and without a flag differ in ways no column records.
Intervals and the model come from statsmodels/scipy (see comparison_statistics); the weighted
difference's interval comes from the design (svy): Taylor linearisation with the calls'
design strata and the strata's population sizes, as survey packages compute it. Each side
shows its Kish effective sample size; a side whose effective n is under 30 calls is marked
too small to read.

Rows are folded into running sums, so a year of calls streams through in little memory; the
regression and the design-based intervals need per-call data, kept in arrays as one cell
number (which stands for the call's group, segments and flags: 1, 0 or unknown for each),
one stratum number, the outcome and the weight per call (24 bytes).

This module holds the accumulation, the equity cuts, the adjusted regression and the
design-based intervals; the rows, the running sums of a side and one group's differences
and their JSON shape are in qa_app.domain.flags.comparison_groups.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from qa_app.domain.comparison_statistics import adjusted_difference
from qa_app.domain.flags.comparison_groups import ComparisonRow, Side, group_result
from qa_app.domain.sampling.estimates import domain_differences

ALL = "(all)"
NONE = "(none)"


def tenure_band(days: int | None) -> str | None:
    if days is None:
        return None
    return "new (<90 days)" if days < 90 else "experienced (90+ days)"


def channel_band(channel: str | None) -> str | None:
    if not channel:
        return None
    return "voice" if channel.lower() == "voice" else "chat/email/other"


EQUITY_CUTS: dict[str, Callable[[ComparisonRow], str | None]] = {
    "agent_tenure": lambda r: tenure_band(r.agent_tenure_days),
    "channel": lambda r: channel_band(r.channel),
    "interaction_type": lambda r: r.interaction_type or None,
}
TYPE_SEGMENT = list(EQUITY_CUTS).index("interaction_type")


class Comparison:
    """Accumulates rows, then reports groups (by × flag) and the equity cuts."""

    def __init__(
        self,
        flags: Sequence[str],
        by: str = "save_script",
        value_is: str = "mean",
        stratum_sizes: Mapping[str, int] | None = None,
    ):
        self.flags = list(flags)
        self.by = by
        self.rate = value_is == "rate"
        # Rows fold first into one Side per distinct (by value, segments, flags) key: few keys,
        # one dictionary update per row. They are spread over the report's cells at the end.
        self.cells: dict[tuple, Side] = {}
        self._cell_numbers: dict[tuple, int] = {}
        # Per call, for the adjusted regression and the design-based intervals: its cell's
        # number, its outcome, its design stratum's number and its weight.
        self._row_cells = array("i")
        self._row_outcomes = array("d")
        self._row_strata = array("i")
        self._row_weights = array("d")
        self._strata_numbers: dict[str, int] = {}
        self.stratum_sizes = dict(stratum_sizes or {})
        self._weighted = False  # a weight other than 1: the design gives the intervals
        self._design: dict[str, dict[tuple, list[float] | None]] | None = None
        self._calls: tuple | None = None
        self._sides: dict[tuple, Side] | None = None
        self._strata: dict[tuple, dict[str, Side]] | None = None

    def _by_value(self, row: ComparisonRow) -> str:
        value = getattr(row, self.by)
        return NONE if value in (None, "") else str(value)

    def add(self, row: ComparisonRow) -> None:
        if row.outcome is None:
            return
        segments = tuple(segment_of(row) for segment_of in EQUITY_CUTS.values())
        flags = tuple(row.flags.get(flag) for flag in self.flags)
        key = (self._by_value(row), segments, flags)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Side()
            self._cell_numbers[key] = len(self._cell_numbers)
        cell.add(row)
        self._row_cells.append(self._cell_numbers[key])
        self._row_outcomes.append(row.outcome)
        stratum = self._strata_numbers.get(row.stratum)
        if stratum is None:
            stratum = self._strata_numbers[row.stratum] = len(self._strata_numbers)
        self._row_strata.append(stratum)
        self._row_weights.append(row.weight)
        if row.weight != 1.0:
            self._weighted = True
        self._sides = None
        self._design = None
        self._calls = None

    def _build(self) -> None:
        """(cut, segment, by value, flag, has flag) -> Side, and the same split by interaction
        type for the standardised difference; cut "" is the main comparison."""
        sides: dict[tuple, Side] = defaultdict(Side)
        strata: dict[tuple, dict[str, Side]] = defaultdict(lambda: defaultdict(Side))
        for (value, segments, flags), cell in self.cells.items():
            kind = segments[TYPE_SEGMENT] or NONE
            places = [("", "")] + [
                (cut, segment)
                for cut, segment in zip(EQUITY_CUTS, segments, strict=True)
                if segment is not None
            ]
            for flag, present in zip(self.flags, flags, strict=True):
                if present is None:
                    continue
                for cut, segment in places:
                    for by_value in (value, ALL):
                        key = (cut, segment, by_value, flag, bool(present))
                        sides[key].merge(cell)
                        strata[key][kind].merge(cell)
        self._sides, self._strata = sides, strata

    @property
    def sides(self) -> dict[tuple, Side]:
        if self._sides is None:
            self._build()
        return self._sides

    def add_all(self, rows: Iterable[ComparisonRow]) -> Comparison:
        for row in rows:
            self.add(row)
        return self

    def _adjusted(self) -> dict[tuple[str, str], tuple]:
        """(by value, flag) -> adjusted difference, interval and why it is missing."""
        keys = list(self._cell_numbers)  # in cell-number order
        if not keys:
            return {}
        # One row per distinct (cell, outcome value) with its count: the regression's data
        # in a few hundred rows, however many calls there are.
        values, outcome_codes = np.unique(
            np.frombuffer(self._row_outcomes, dtype=np.float64), return_inverse=True
        )
        combined = np.frombuffer(self._row_cells, dtype=np.intc).astype(np.int64) * len(
            values
        ) + outcome_codes.reshape(-1)
        distinct, counts = np.unique(combined, return_counts=True)
        cells, outcomes = distinct // len(values), values[distinct % len(values)]

        def codes(labels):
            numbers = {v: i for i, v in enumerate(sorted(set(labels), key=str))}
            return np.array([numbers[v] for v in labels], dtype=np.int32)[cells]

        by_values = np.array([k[0] for k in keys], dtype=object)[cells]
        covariates = [codes([k[1][i] for k in keys]) for i in range(len(EQUITY_CUTS))]
        result = {}
        for index, flag in enumerate(self.flags):
            present = np.array(
                [-1 if k[2][index] is None else int(k[2][index]) for k in keys], dtype=np.int8
            )[cells]
            for value in [*sorted(set(by_values)), ALL]:
                mask = present >= 0
                if value != ALL:
                    mask &= by_values == value
                result[(value, flag)] = adjusted_difference(
                    outcomes[mask],
                    present[mask],
                    [c[mask] for c in covariates],
                    self.rate,
                    counts[mask],
                )
        return result

    @property
    def design_based(self) -> bool:
        """Whether the rows carry weights (or strata), so weighted intervals need the design."""
        return self._weighted or len(self._strata_numbers) > 1

    def design_intervals(self, cut: str | None = None) -> dict[tuple, list[float] | None]:
        """(cut, segment, by value, flag) -> the weighted difference's design-based 95%
        interval, for the main comparison (cut "") and every equity segment, or for ``cut``
        alone; empty when the rows carry no weights.

        Every comparison is a pair of domains (with and without the flag) of the whole design:
        calls in other groups, segments or with the flag unknown stay in the design with a
        zero deviation, as survey packages treat domains. svy estimates them
        (``survey_estimates.domain_differences``: one domain mean and one contrast per call),
        batched as far as the domains allow: a call must be in one domain of each svy call, so
        each (cut, flag) takes two, one for every (segment, by value) group and one for the
        segments' (all) groups. A cut's intervals are computed when first asked for.
        """
        if self._design is None:
            self._design = {}
        result = {}
        for name in ["", *EQUITY_CUTS] if cut is None else [cut]:
            if name not in self._design:
                self._design[name] = self._cut_intervals(name)
            result.update(self._design[name])
        return result

    def _design_calls(self) -> tuple | None:
        """The calls the design holds (positive weight): cell numbers, stratum numbers,
        outcomes and weights, and the strata's population sizes where they are usable."""
        if self._calls is not None:
            return self._calls
        w = np.frombuffer(self._row_weights, dtype=np.float64)
        kept = w > 0  # a call left out of weighted figures is no part of the design
        cells = np.frombuffer(self._row_cells, dtype=np.intc)[kept]
        strata = np.frombuffer(self._row_strata, dtype=np.intc)[kept]
        y = np.frombuffer(self._row_outcomes, dtype=np.float64)[kept]
        calls_per_stratum = np.bincount(strata, minlength=len(self._strata_numbers))
        # A population smaller than the calls drawn from it is not a size to correct by.
        sizes = {}
        for name, number in self._strata_numbers.items():
            size = self.stratum_sizes.get(name)
            if size and size >= calls_per_stratum[number]:
                sizes[number] = size
        self._calls = (cells, strata, y, w[kept], sizes)
        return self._calls

    def _cut_intervals(self, cut: str) -> dict[tuple, list[float] | None]:
        """The design-based intervals of one cut ("" the main comparison)."""
        found: dict[tuple, list[float] | None] = {}
        if not self.design_based or not self._cell_numbers:
            return found
        cells, strata, y, w, sizes = self._design_calls()
        if not len(w):
            return found
        # Per cell (in cell-number order): its by value's code, the cut's segment code (-1:
        # none) and each flag (1, 0, -1 unknown).
        keys = list(self._cell_numbers)
        values = sorted({k[0] for k in keys})
        value_codes = {v: i for i, v in enumerate(values)}
        by_code = np.array([value_codes[k[0]] for k in keys], dtype=np.int64)
        present = np.array(
            [[-1 if f is None else int(f) for f in k[2]] for k in keys], dtype=np.int64
        ).reshape(len(keys), len(self.flags))
        if cut:
            cut_index = list(EQUITY_CUTS).index(cut)
            labels = [k[1][cut_index] for k in keys]
            names = sorted({label for label in labels if label is not None})
            numbers = {label: i for i, label in enumerate(names)}
            segment = np.array([numbers.get(label, -1) for label in labels], dtype=np.int64)
        else:
            names, segment = [""], np.zeros(len(keys), dtype=np.int64)
        for index, flag in enumerate(self.flags):
            side = present[:, index]
            inside = (segment >= 0) & (side >= 0)
            # Group g's sides are domains 2g + 1 (with the flag) and 2g (without): first the
            # (segment, by value) groups, then each segment's (all).
            # Named by pass, not by how many values it has: with one save script the first
            # pass has one choice too, and its groups were filed under (all), leaving the
            # save script's own weighted interval empty.
            passes = ((False, len(values), segment * len(values) + by_code), (True, 1, segment))
            for overall, choices, group in passes:
                domain = np.where(inside, 2 * group + side, -1)[cells]
                pairs = [(2 * g + 1, 2 * g) for g in range(len(names) * choices)]
                difference, _se, low, high = domain_differences(y, w, strata, domain, pairs, sizes)
                for g in np.flatnonzero(np.isfinite(difference)):
                    value = ALL if overall else values[g % choices]
                    ci = None
                    if np.isfinite(low[g]) and np.isfinite(high[g]):
                        ci = [float(low[g]), float(high[g])]
                        if self.rate:
                            ci = [max(-1.0, ci[0]), min(1.0, ci[1])]
                    found[(cut, names[g // choices], value, flag)] = ci
        return found

    def _groups(self, cut: str, segment: str, adjusted: Mapping | None = None) -> list[dict]:
        sides = self.sides
        design = self.design_intervals(cut) if self.design_based else None
        values = sorted({k[2] for k in sides if k[0] == cut and k[1] == segment} - {ALL})
        groups = []
        for value in [*values, ALL]:
            for flag in self.flags:
                with_key = (cut, segment, value, flag, True)
                without_key = (cut, segment, value, flag, False)
                result = group_result(
                    flag,
                    sides.get(with_key, Side()),
                    sides.get(without_key, Side()),
                    self.rate,
                    self._strata.get(with_key, {}),
                    self._strata.get(without_key, {}),
                    (adjusted or {}).get((value, flag)),
                    None if design is None else (design.get((cut, segment, value, flag)),),
                )
                groups.append({self.by: value, **result})
        return groups

    def groups(self) -> list[dict]:
        return self._groups("", "", self._adjusted())

    def equity(self) -> list[dict]:
        result = []
        for cut in EQUITY_CUTS:
            for segment in sorted({k[1] for k in self.sides if k[0] == cut}):
                result.append(
                    {"cut": cut, "segment": segment, "groups": self._groups(cut, segment)}
                )
        return result

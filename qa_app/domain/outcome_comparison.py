"""Save-script outcome comparisons: calls with and without each behaviour flag.

For every save script and flag: n, the outcome's rate (boolean) or mean (numeric)
with and without the flag, their difference with a 95% interval, unweighted and
weighted back to the interaction mix. Intervals use the normal approximation
(Welch); the weighted interval uses Kish's effective sample size,
n_eff = (Σw)² / Σw². Cells with fewer than 30 calls on a side are marked too small.

Rows are folded into running sums, so a year of calls streams through in constant memory.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Z_95 = 1.959964
SMALL_CELL = 30
ALL = "(all)"
NONE = "(none)"


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

    def weighted_mean(self) -> float | None:
        return self.wy / self.w if self.w else None

    def variance_of_mean(self) -> float | None:
        if self.n < 2:
            return None
        variance = max(0.0, (self.y2 - self.y * self.y / self.n) / (self.n - 1))
        return variance / self.n

    def weighted_variance_of_mean(self) -> float | None:
        if self.n < 2 or not self.w or not self.w2:
            return None
        variance = max(0.0, self.wy2 / self.w - (self.wy / self.w) ** 2)
        effective_n = self.w * self.w / self.w2
        return variance / effective_n if effective_n > 1 else None

    def summary(self) -> dict:
        result = {"n": self.n, "value": self.mean(), "weighted_value": self.weighted_mean()}
        if self.has_credit:
            result["credit_per_save"] = self.credit / self.saves if self.saves else None
            result["weighted_credit_per_save"] = (
                self.w_credit / self.w_saves if self.w_saves else None
            )
        return result


def _interval(difference, var_a, var_b):
    if difference is None or var_a is None or var_b is None:
        return None
    half = Z_95 * math.sqrt(var_a + var_b)
    return [difference - half, difference + half]


def _difference(a, b):
    return None if a is None or b is None else a - b


def group_result(flag: str, with_: Side, without: Side) -> dict:
    """The JSON shape of one with/without comparison."""
    first, second = with_.summary(), without.summary()
    difference = _difference(first["value"], second["value"])
    weighted = _difference(first["weighted_value"], second["weighted_value"])
    return {
        "flag": flag,
        "with": first,
        "without": second,
        "difference": difference,
        "weighted_difference": weighted,
        "ci": _interval(difference, with_.variance_of_mean(), without.variance_of_mean()),
        "weighted_ci": _interval(
            weighted, with_.weighted_variance_of_mean(), without.weighted_variance_of_mean()
        ),
        "too_small": first["n"] < SMALL_CELL or second["n"] < SMALL_CELL,
    }


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


class Comparison:
    """Accumulates rows, then reports groups (by × flag) and the equity cuts."""

    def __init__(self, flags: Sequence[str], by: str = "save_script"):
        self.flags = list(flags)
        self.by = by
        # Rows fold first into one Side per distinct (by value, segments, flags) key: few keys,
        # one dictionary update per row. They are spread over the report's cells at the end.
        self.cells: dict[tuple, Side] = defaultdict(Side)
        self._sides: dict[tuple, Side] | None = None

    def _by_value(self, row: ComparisonRow) -> str:
        value = getattr(row, self.by)
        return NONE if value in (None, "") else str(value)

    def add(self, row: ComparisonRow) -> None:
        if row.outcome is None:
            return
        segments = tuple(segment_of(row) for segment_of in EQUITY_CUTS.values())
        flags = tuple(row.flags.get(flag) for flag in self.flags)
        self.cells[(self._by_value(row), segments, flags)].add(row)
        self._sides = None

    @property
    def sides(self) -> dict[tuple, Side]:
        """(cut, segment, by value, flag, has flag) -> Side; cut "" is the main comparison."""
        if self._sides is None:
            sides: dict[tuple, Side] = defaultdict(Side)
            for (value, segments, flags), cell in self.cells.items():
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
                            sides[(cut, segment, by_value, flag, bool(present))].merge(cell)
            self._sides = sides
        return self._sides

    def add_all(self, rows: Iterable[ComparisonRow]) -> Comparison:
        for row in rows:
            self.add(row)
        return self

    def _groups(self, cut: str, segment: str) -> list[dict]:
        values = sorted({k[2] for k in self.sides if k[0] == cut and k[1] == segment} - {ALL})
        groups = []
        for value in [*values, ALL]:
            for flag in self.flags:
                with_ = self.sides.get((cut, segment, value, flag, True), Side())
                without = self.sides.get((cut, segment, value, flag, False), Side())
                groups.append({self.by: value, **group_result(flag, with_, without)})
        return groups

    def groups(self) -> list[dict]:
        return self._groups("", "")

    def equity(self) -> list[dict]:
        result = []
        for cut in EQUITY_CUTS:
            for segment in sorted({k[1] for k in self.sides if k[0] == cut}):
                result.append(
                    {"cut": cut, "segment": segment, "groups": self._groups(cut, segment)}
                )
        return result
